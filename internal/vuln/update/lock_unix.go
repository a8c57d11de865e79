//go:build unix

package update

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lock takes the update lock of a database: one update at a time fills
// its work copy.
func lock(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("update lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &BusyError{Lock: path}
		}
		return nil, fmt.Errorf("update lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
