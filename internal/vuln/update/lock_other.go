//go:build !unix

package update

// lock is a no-op where flock(2) is not available.
func lock(path string) (unlock func(), err error) { return func() {}, nil }
