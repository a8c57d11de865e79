package yaffs2

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// maxDepth bounds a parent chain (cycles are caught by it too).
const maxDepth = 512

var errDamaged = errors.New("yaffs2: damaged")

// resolve gives the path of object id, or an error for a deleted object,
// a broken chain or a cycle.
func (img *image) resolve(id uint32, memo map[uint32]string) (string, error) {
	var names []string
	cur := id
	for depth := 0; ; depth++ {
		if cur == rootID {
			break
		}
		if p, ok := memo[cur]; ok {
			names = append(names, p)
			break
		}
		if depth > maxDepth {
			return "", fmt.Errorf("%w: parent chain too deep or cyclic", errDamaged)
		}
		if cur == unlinkedID || cur == deletedID {
			return "", errDeleted
		}
		if cur == lostFound {
			names = append(names, "lost+found")
			break
		}
		o := img.objects[cur]
		if o == nil {
			return "", fmt.Errorf("%w: parent object %d missing", errDamaged, cur)
		}
		if cur != id && o.hdr.typ != typDir {
			return "", fmt.Errorf("%w: parent object %d is not a directory", errDamaged, cur)
		}
		names = append(names, o.hdr.name)
		cur = o.hdr.parent
	}
	for i, j := 0, len(names)-1; i < j; i, j = i+1, j-1 {
		names[i], names[j] = names[j], names[i]
	}
	p := path.Join(names...)
	memo[id] = p
	return p, nil
}

var errDeleted = errors.New("deleted")

type named struct {
	p string
	o *object
}

func (img *image) emit(ctx context.Context, sink format.Sink) error {
	memo := map[uint32]string{}
	var list []named
	ids := make([]uint32, 0, len(img.objects))
	for id := range img.objects {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		o := img.objects[id]
		if id == rootID || o.hdr.parent == unlinkedID || o.hdr.parent == deletedID {
			continue
		}
		p, err := img.resolve(id, memo)
		if errors.Is(err, errDeleted) {
			continue
		}
		if err != nil {
			sink.Problem(o.hdr.name, err)
			continue
		}
		list = append(list, named{p, o})
	}
	// Parents before children; hard links last so their targets exist.
	sort.SliceStable(list, func(i, j int) bool {
		hi, hj := list[i].o.hdr.typ == typHardlink, list[j].o.hdr.typ == typHardlink
		if hi != hj {
			return hj
		}
		return list[i].p < list[j].p
	})
	for _, n := range list {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := img.emitOne(ctx, n.p, n.o, memo, sink); err != nil {
			return err
		}
	}
	return nil
}

func (img *image) emitOne(ctx context.Context, p string, o *object, memo map[uint32]string, sink format.Sink) error {
	h := o.hdr
	e := format.Entry{Path: p, Mode: format.UnixMode(h.mode), UID: int(h.uid), GID: int(h.gid), ModTime: h.mtime}
	if e.Mode&fs.ModeDevice != 0 {
		e.DevMajor, e.DevMinor = format.LinuxDev(h.rdev)
	}
	switch h.typ {
	case typDir:
		e.Mode = e.Mode.Perm() | fs.ModeDir | e.Mode&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)
	case typSymlink:
		e.Linkname = h.alias
	case typHardlink:
		target, ok := memo[h.equiv]
		if !ok || h.equiv == o.id {
			sink.Problem(p, fmt.Errorf("%w: hard link to unknown object %d", errDamaged, h.equiv))
			return nil
		}
		e.Mode, e.Hardlink, e.Linkname = 0o644, true, target
		if t := img.objects[h.equiv]; t != nil {
			e.Mode = format.UnixMode(t.hdr.mode)
		}
	case typFile:
		size := h.size
		if limit := int64(img.maxData[o.id]) * img.l.page; size > limit {
			sink.Problem(p, fmt.Errorf("%w: size %d but data chunks end at %d", errDamaged, size, limit))
			size = limit
		}
		e.Mode &^= fs.ModeType
		e.Size = size
		return sink.Add(e, img.chunks(ctx, o.id, size))
	}
	return sink.Add(e, nil)
}

// chunks streams an object's data chunks in order; missing chunks
// (holes) read as zeros.
func (img *image) chunks(ctx context.Context, obj uint32, size int64) io.Reader {
	l := img.l
	return format.NewPagedReader(ctx, size, l.page, func(i int64, b []byte) error {
		at, ok := img.data[dataKey{obj, uint32(i + 1)}]
		if !ok {
			return nil
		}
		return format.ReadFull(img.r, b[:min(int64(at.nbytes), int64(len(b)))], at.index*l.stride())
	})
}
