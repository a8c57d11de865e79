package unpack

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/unpack/format"
)

// WalkFunc reads the files of one level of layers: the target's layer, then
// the layers found in it, and so on. It must hand every regular file it
// reads to Session.Carve.
type WalkFunc func(ctx context.Context, level []*Layer)

// RunWalk unpacks like Run, for a caller that reads every file anyway (a
// scan hashes and analyses them): instead of reading the files to carve
// them, the session calls walk once per level, after the level's layers
// are extracted, and walk carves each file from the bytes it already read
// (Carve). The layers found then get the same IDs, in the same order, as
// Run gives them, and are extracted; walk sees them as the next level.
// With walk nil the session reads and carves the files itself.
func (s *Session) RunWalk(ctx context.Context, walk WalkFunc) error {
	level := append([]*Layer(nil), s.layers...)
	for len(level) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		if walk != nil {
			s.mu.Lock()
			s.carved = map[*Layer][]carveJob{}
			s.mu.Unlock()
			walk(ctx, level)
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		var next []*Layer
		for _, l := range level {
			if l.Depth >= s.lim.MaxDepth {
				if len(l.Entries) > 0 {
					s.problem(l.ID, "", "limit", fmt.Sprintf("depth limit %d reached: files of this layer are not unpacked further", s.lim.MaxDepth))
				}
				continue
			}
			if walk == nil {
				next = append(next, s.carveLayer(ctx, l)...)
				continue
			}
			jobs := s.carved[l]
			sort.Slice(jobs, func(i, k int) bool { return jobs[i].path < jobs[k].path })
			next = append(next, s.adopt(l, jobs)...)
		}
		s.carved = nil
		s.extractAll(ctx, next)
		level = next
	}
	return nil
}

// Carved is what Carve found in one file, before the layers are made: it
// tells the caller which bytes the layers of the next level will hold.
type Carved struct {
	// Whole is true when an extractable format spans the whole file (a
	// squashfs image, a gzip stream): its content is analysed in its layer.
	Whole bool
	// Parts is true when at least one extractable format was found.
	Parts bool
	// Regions are the bytes no format claimed (files carved at every
	// offset only), as Layer.Regions will hold them.
	Regions []model.Region
}

// Carve looks for formats in file p of layer l, which a WalkFunc has read:
// r serves its size bytes (a bytes.Reader over the caller's buffer, or the
// open file when it is too large to hold). What it finds becomes layers
// when the walk of the level returns. Files that are not carved (not
// regular, hard links, empty, or in a layer at the depth limit) give a
// zero Carved. Safe for concurrent use during a walk.
func (s *Session) Carve(ctx context.Context, l *Layer, p string, r io.ReaderAt, size int64) Carved {
	e, ok := l.Entries[p]
	if !ok || !e.Mode.IsRegular() || e.Hardlink || e.Size <= 0 || size <= 0 || l.Depth >= s.lim.MaxDepth {
		return Carved{}
	}
	if _, mem := r.(*bytes.Reader); !mem {
		r = newWindowReader(r, size) // Identify's small reads hit a cache, not a read each
	}
	j := carveJob{path: p}
	j.cands, j.reg, j.err = s.carver.scanExcept(ctx, r, size, l.carveAll || l.except(p) != nil || isBlob(l, p, r), l.except(p))
	s.mu.Lock()
	if s.carved != nil {
		s.carved[l] = append(s.carved[l], j)
	}
	s.mu.Unlock()
	c := Carved{Regions: j.reg}
	for _, cd := range j.cands {
		if !cd.m.Extractable {
			continue
		}
		c.Parts = true
		c.Whole = c.Whole || cd.off == 0 && cd.size >= size
	}
	return c
}

// except is the format not to try at offset 0 of file p of l: the one
// whose failed extraction made it (keepRaw).
func (l *Layer) except(p string) format.Format {
	if p == rawName {
		return l.rawOf
	}
	return nil
}
