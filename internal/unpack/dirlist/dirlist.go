// Package dirlist reads a directory target: every entry under it, with
// its mode, size, owner and link target, symbolic links recorded and
// never followed. A listing runs on its own goroutine from the moment it
// is started, so that a caller can start it before it needs it (the
// command line does, while it still builds its analyzers; package ahead
// does, while the program is still initialising). The package needs
// little beyond package os, so that it is ready early.
package dirlist

import (
	"context"
	"io/fs"
	"os"
	"path"
	"syscall"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// SourceSkips are the names scan and secrets leave out of directory
// targets: a repository's history is not part of its tree.
var SourceSkips = map[string]string{".git": "git history and metadata (thingsec secrets --git scans the history)"}

// Listing is one directory's listing, under way or done.
type Listing struct {
	dir  string // as given
	skip map[string]string
	done chan struct{}
	res  Result // set once done is closed
}

// Result is a finished listing.
type Result struct {
	// Abs is the directory's absolute path; "" when it could not be
	// made, and Err says why.
	Abs string
	// Entries are the entries under the directory by their path from
	// it ("/etc/passwd"), the directory itself left out.
	Entries map[string]format.Entry
	// Size is the total size of the regular files.
	Size int64
	// Problems are the entries that could not be read, and those left
	// out, in the order the directory was walked.
	Problems []Problem
	// Err ended the listing early (its context was cancelled).
	Err error
}

// Problem is one entry listed with a problem (Kind "io" or "excluded").
type Problem struct{ Path, Kind, Message string }

// Start starts listing dir, leaving out the entries whose name is a key
// of skip (a directory with everything under it), each listed as an
// "excluded" problem with the reason skip gives.
func Start(ctx context.Context, dir string, skip map[string]string) *Listing {
	ls := &Listing{dir: dir, skip: skip, done: make(chan struct{})}
	go func() {
		defer close(ls.done)
		ls.res = list(ctx, dir, skip)
	}()
	return ls
}

// Dir is the directory being listed, as given to Start.
func (ls *Listing) Dir() string { return ls.dir }

// Skip is the skip set given to Start.
func (ls *Listing) Skip() map[string]string { return ls.skip }

// Wait waits for the listing to end, or for ctx.
func (ls *Listing) Wait(ctx context.Context) (Result, error) {
	select {
	case <-ls.done:
		return ls.res, nil
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

func list(ctx context.Context, dir string, skip map[string]string) Result {
	abs, err := absolute(dir)
	if err != nil {
		return Result{Err: err}
	}
	r := Result{Abs: abs, Entries: map[string]format.Entry{}}
	problem := func(p, kind, msg string) { r.Problems = append(r.Problems, Problem{p, kind, msg}) }
	r.Err = walkDir(abs, func(p, lp string, d fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			problem(lp, "io", err.Error())
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if lp == "/" {
			return nil
		}
		if why, skipped := skip[d.Name()]; skipped {
			problem(lp, "excluded", "not scanned: "+why)
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			problem(lp, "io", err.Error())
			return nil
		}
		e := format.Entry{Path: lp, Mode: fi.Mode(), Size: fi.Size(), ModTime: fi.ModTime()}
		if fi.Mode()&fs.ModeSymlink != 0 {
			e.Linkname, _ = os.Readlink(p)
		}
		Owner(&e, fi)
		r.Entries[lp] = e
		if fi.Mode().IsRegular() {
			r.Size += fi.Size()
		}
		return nil
	})
	return r
}

// Owner sets e's owner from fi, where the system records one.
func Owner(e *format.Entry, fi fs.FileInfo) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		e.UID, e.GID = int(st.Uid), int(st.Gid)
	}
}

// absolute is filepath.Abs for slash-separated paths. This package uses
// package path and its own walk instead of path/filepath, which is
// initialised late (see package ahead).
func absolute(dir string) (string, error) {
	if path.IsAbs(dir) {
		return path.Clean(dir), nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return path.Join(wd, dir), nil
}

// walkFunc is fs.WalkDirFunc with the entry's path from the root too
// ("/" for the root, "/etc/passwd").
type walkFunc func(p, lp string, d fs.DirEntry, err error) error

// walkDir is filepath.WalkDir, except that a root that is a link to a
// directory is followed (the directory the user named): each directory's
// entries come in name order, links below the root are never followed, a
// directory that cannot be read is reported a second time with the
// error, and fs.SkipDir and fs.SkipAll mean what they mean there.
func walkDir(root string, fn walkFunc) error {
	info, err := os.Lstat(root)
	if err == nil && info.Mode()&fs.ModeSymlink != 0 {
		if st, serr := os.Stat(root); serr == nil && st.IsDir() {
			info = st
		}
	}
	if err != nil {
		err = fn(root, "/", nil, err)
	} else {
		err = walk(root, "/", fs.FileInfoToDirEntry(info), fn)
	}
	if err == fs.SkipDir || err == fs.SkipAll {
		return nil
	}
	return err
}

func walk(p, lp string, d fs.DirEntry, fn walkFunc) error {
	if err := fn(p, lp, d, nil); err != nil || !d.IsDir() {
		if err == fs.SkipDir && d.IsDir() {
			err = nil
		}
		return err
	}
	ents, err := os.ReadDir(p)
	if err != nil {
		// the second call, with the error
		if err = fn(p, lp, d, err); err != nil {
			if err == fs.SkipDir && d.IsDir() {
				err = nil
			}
			return err
		}
	}
	for _, e := range ents {
		if err := walk(path.Join(p, e.Name()), path.Join(lp, e.Name()), e, fn); err != nil {
			if err == fs.SkipDir {
				break
			}
			return err
		}
	}
	return nil
}
