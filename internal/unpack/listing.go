package unpack

import (
	"context"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// Listing is a directory target read ahead of its session: the command
// line starts it as soon as it knows the target, and the directory is
// read while the analyzers and their rules are still being built.
// Session.AddListing makes the root layer from it, exactly as AddDir
// would have.
type Listing struct {
	dir  string // as given
	skip map[string]string
	done chan struct{}
	// set once done is closed
	abs      string
	entries  map[string]format.Entry
	size     int64
	problems []listProblem // in walk order
	err      error
}

type listProblem struct{ path, kind, msg string }

// StartListing starts reading dir, leaving out the names in skip (see
// Options.SkipDirs), on its own goroutine.
func StartListing(ctx context.Context, dir string, skip map[string]string) *Listing {
	ls := &Listing{dir: dir, skip: skip, done: make(chan struct{})}
	go func() {
		defer close(ls.done)
		ls.list(ctx)
	}()
	return ls
}

// Dir is the directory the listing reads, as given.
func (ls *Listing) Dir() string { return ls.dir }

func (ls *Listing) list(ctx context.Context) {
	abs, err := filepath.Abs(ls.dir)
	if err != nil {
		ls.err = err
		return
	}
	ls.abs = abs
	ls.entries = map[string]format.Entry{}
	ls.err = filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rel, _ := filepath.Rel(abs, p)
		lp := path.Clean("/" + filepath.ToSlash(rel))
		if err != nil {
			ls.problems = append(ls.problems, listProblem{lp, "io", err.Error()})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if lp == "/" {
			return nil
		}
		if why, skip := ls.skip[d.Name()]; skip {
			ls.problems = append(ls.problems, listProblem{lp, "excluded", "not scanned: " + why})
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			ls.problems = append(ls.problems, listProblem{lp, "io", err.Error()})
			return nil
		}
		e := format.Entry{Path: lp, Mode: fi.Mode(), Size: fi.Size(), ModTime: fi.ModTime()}
		if fi.Mode()&fs.ModeSymlink != 0 {
			e.Linkname, _ = os.Readlink(p)
		}
		owner(&e, fi)
		ls.entries[lp] = e
		if fi.Mode().IsRegular() {
			ls.size += fi.Size()
		}
		return nil
	})
}

// AddListing makes the root layer for a directory target from its
// listing, waiting for it to end. A listing made with other skipped
// names than the session's is made again, so the layer is always the one
// AddDir makes.
func (s *Session) AddListing(ctx context.Context, ls *Listing) (*Layer, error) {
	if !maps.Equal(ls.skip, s.opt.SkipDirs) {
		ls = StartListing(ctx, ls.dir, s.opt.SkipDirs)
	}
	select {
	case <-ls.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if ls.abs == "" {
		return nil, ls.err
	}
	l := s.newLayer(nil, "", "directory", 0, 0)
	l.Chain = filepath.Base(ls.abs)
	l.Dir = ls.abs
	l.Extracted = true
	for _, p := range ls.problems {
		s.problem(l.ID, p.path, p.kind, p.msg)
	}
	l.Entries = ls.entries
	l.Size = ls.size
	l.Files = len(l.Entries)
	return l, ls.err
}
