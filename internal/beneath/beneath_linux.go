package beneath

import (
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// noOpenat2 is set once openat2 proved unusable here (ENOSYS on kernels
// before 5.6, EPERM from a seccomp filter): no later open tries it.
var noOpenat2 atomic.Bool

// fastDir is the tree's directory descriptor for openat2 (-1: none).
type fastDir struct{ fd int }

func openFast(dir string) fastDir {
	if noOpenat2.Load() {
		return fastDir{fd: -1}
	}
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fastDir{fd: -1}
	}
	return fastDir{fd: fd}
}

// how: read only, confined to the tree, no symbolic link anywhere in the
// path (the last component included), no /proc magic links.
var how = unix.OpenHow{
	Flags:   unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NOFOLLOW,
	Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
}

// open is the one-call path; ok is false when the caller must use os.Root.
func (d fastDir) open(name string) (*os.File, bool) {
	if d.fd < 0 || noOpenat2.Load() {
		return nil, false
	}
	for {
		fd, err := unix.Openat2(d.fd, name, &how)
		switch err {
		case nil:
			return os.NewFile(uintptr(fd), name), true
		case unix.EINTR:
			continue
		case unix.ENOSYS, unix.EPERM:
			noOpenat2.Store(true)
		}
		return nil, false
	}
}

func (d fastDir) close() {
	if d.fd >= 0 {
		unix.Close(d.fd)
	}
}
