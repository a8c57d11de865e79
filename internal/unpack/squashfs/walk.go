package squashfs

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// Caps on hostile trees: directory listings may be shared by many
// directory inodes, so the total number of entries walked is bounded, and
// so is the number of problems reported.
const (
	maxWalk     = 1 << 22
	maxProblems = 1000
	maxPath     = 4096 // PATH_MAX; also bounds memory on deep hostile trees
)

// quietSink stops forwarding problems past maxProblems.
type quietSink struct {
	format.Sink
	n int
}

func (q *quietSink) Problem(path string, err error) {
	q.n++
	switch {
	case q.n < maxProblems:
		q.Sink.Problem(path, err)
	case q.n == maxProblems:
		q.Sink.Problem(path, corrupt("too many problems, further ones not reported"))
	}
}

// walk emits every entry reachable from the root directory. Directories
// are visited once each (a reference seen again is a loop and reported);
// any other inode seen again is a hard link to its first path.
func (img *image) walk(ctx context.Context, outer format.Sink) error {
	sink := &quietSink{Sink: outer}
	if err := img.loadIDs(); err != nil {
		sink.Problem("", err)
	}
	root, err := img.readInode(img.sb.rootInode)
	if err != nil {
		return fmt.Errorf("squashfs: root inode: %w", err)
	}
	if root.kind != typeDir {
		return corrupt("root inode is not a directory")
	}
	type job struct {
		path string
		n    *inode
	}
	type visit struct {
		e   format.Entry
		dir bool
	}
	seen := map[uint64]visit{img.sb.rootInode: {format.Entry{}, true}}
	img.ahead = newAhead(ctx, img)
	defer func() { img.ahead = nil }()
	isSeen := func(ref uint64) bool { _, ok := seen[ref]; return ok }
	stack := []job{{"", root}}
	walked := 0
	for len(stack) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		entries, err := img.readDir(d.n)
		if err != nil {
			sink.Problem(d.path, err)
		}
		refs := make([]uint64, len(entries))
		for i, e := range entries {
			refs[i] = e.ref
		}
		img.ahead.reset()
		for i, e := range entries {
			img.ahead.prepare(refs[i+1:], isSeen)
			if err := ctx.Err(); err != nil {
				return err
			}
			if walked++; walked > maxWalk {
				sink.Problem(d.path, corrupt("more than %d entries, rest skipped", maxWalk))
				return nil
			}
			if e.name == "" || e.name == "." || e.name == ".." || strings.Contains(e.name, "/") {
				sink.Problem(d.path, corrupt("bad entry name %q", e.name))
				continue
			}
			p := e.name
			if d.path != "" {
				p = d.path + "/" + e.name
			}
			if len(p) > maxPath {
				sink.Problem(d.path, corrupt("path longer than %d bytes, entry skipped", maxPath))
				continue
			}
			if first, ok := seen[e.ref]; ok {
				if first.dir {
					sink.Problem(p, corrupt("directory loop: inode already visited at %q", "/"+first.e.Path))
					continue
				}
				hl := first.e
				hl.Path, hl.Linkname, hl.Hardlink, hl.Size = p, first.e.Path, true, 0
				if err := sink.Add(hl, nil); err != nil {
					return err
				}
				continue
			}
			n, err := img.ahead.inode(e.ref)
			if err != nil {
				sink.Problem(p, err)
				continue
			}
			ent, err := img.emit(ctx, sink, p, e.ref, n)
			if err != nil {
				return err
			}
			seen[e.ref] = visit{ent, n.kind == typeDir}
			if n.kind == typeDir {
				stack = append(stack, job{p, n})
			}
		}
	}
	return nil
}

// emit adds n at p and returns the entry (without content) it added.
func (img *image) emit(ctx context.Context, sink format.Sink, p string, ref uint64, n *inode) (format.Entry, error) {
	e := format.Entry{Path: p, Mode: n.mode(), ModTime: time.Unix(n.mtime, 0).UTC()}
	if e.Mode&fs.ModeDevice != 0 {
		e.DevMajor, e.DevMinor = format.LinuxDev(n.rdev)
	}
	var err error
	if e.UID, err = img.id(img.uids, n.uid); err != nil {
		sink.Problem(p, err)
	}
	gidx := n.gid
	gids := img.gids
	if img.sb.major < 4 && n.gid == 255 {
		// 2.x/3.x: guid index 255 means "same as uid".
		gids, gidx = img.uids, n.uid
	}
	if e.GID, err = img.id(gids, gidx); err != nil {
		sink.Problem(p, err)
	}
	switch n.kind {
	case typeSymlink:
		e.Linkname = n.target
	case typeFile:
		e.Size = int64(min(n.fileSize, 1<<62))
		return e, sink.Add(e, img.ahead.reader(ref, n))
	}
	return e, sink.Add(e, nil)
}

func (img *image) id(ids []uint32, i uint32) (int, error) {
	if int(i) >= len(ids) {
		return 0, corrupt("id index %d out of range", i)
	}
	return int(ids[i]), nil
}
