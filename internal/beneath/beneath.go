// Package beneath opens the files of one directory tree without leaving
// it: a symbolic link or ".." that would lead out of the tree is refused,
// as os.Root refuses it.
//
// os.Root opens a path one component at a time (an openat and a close per
// directory, then the poller's probes of the file): about fourteen system
// calls for a file three directories down. Where the kernel has openat2,
// a path whose components are all real directories is opened in one call
// that the kernel confines to the tree (RESOLVE_BENEATH) and that refuses
// every symbolic link on the way. Any path that call refuses or fails
// (a link inside the tree, a missing file, an old kernel, a seccomp
// filter) is opened by os.Root, so results and errors are os.Root's.
package beneath

import "os"

// Root is an open directory tree.
type Root struct {
	root *os.Root
	fast fastDir
}

// Open opens the tree at dir.
func Open(dir string) (*Root, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &Root{root: r, fast: openFast(dir)}, nil
}

// Open opens name, relative to the tree, for reading.
func (r *Root) Open(name string) (*os.File, error) {
	if f, ok := r.fast.open(name); ok {
		return f, nil
	}
	return r.root.Open(name)
}

// Close closes the tree; files opened from it stay open.
func (r *Root) Close() error {
	r.fast.close()
	return r.root.Close()
}
