package unpack

import (
	"context"
	"maps"
	"path/filepath"

	"github.com/thingsec/thingsec/internal/unpack/dirlist"
)

// AddListing makes the root layer for a directory target from a listing
// started earlier (dirlist.Start), waiting for it to end. A listing made
// with other skipped names than the session's is made again, so the
// layer is always the one AddDir makes.
func (s *Session) AddListing(ctx context.Context, ls *dirlist.Listing) (*Layer, error) {
	if !maps.Equal(ls.Skip(), s.opt.SkipDirs) {
		ls = dirlist.Start(ctx, ls.Dir(), s.opt.SkipDirs)
	}
	r, err := ls.Wait(ctx)
	if err != nil {
		return nil, err
	}
	if r.Abs == "" {
		return nil, r.Err
	}
	l := s.newLayer(nil, "", "directory", 0, 0)
	l.Chain = filepath.Base(r.Abs)
	l.Dir = r.Abs
	l.Extracted = true
	for _, p := range r.Problems {
		s.problem(l.ID, p.Path, p.Kind, p.Message)
	}
	l.Entries = r.Entries
	l.Size = r.Size
	l.Files = len(l.Entries)
	return l, r.Err
}
