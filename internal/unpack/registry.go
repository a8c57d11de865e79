package unpack

import "github.com/thingsec/thingsec/internal/unpack/format"

// Registry lists every unpacker, in the order candidates at the same
// offset are tried: containers and file systems before the streams they
// may contain.
func Registry() []format.Format {
	return []format.Format{}
}
