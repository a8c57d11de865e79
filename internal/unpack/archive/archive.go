// Package archive unpacks tar (ustar, GNU, pax; not pre-POSIX v7), zip
// (stored, deflate, zip64) and 7-Zip archives.
package archive

import (
	"strings"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// Formats returns the formats of this package.
func Formats() []format.Format { return []format.Format{Tar(), Zip(), SevenZip()} }

func notMatch(what string) error { return &notMatchError{what} }

type notMatchError struct{ what string }

func (e *notMatchError) Error() string { return format.ErrNotMatch.Error() + ": " + e.what }
func (e *notMatchError) Unwrap() error { return format.ErrNotMatch }

// cName cuts a stored name at its first NUL byte, as C readers do.
func cName(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}
