package iso9660

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

const maxDirBytes = 64 << 20

var (
	errDirLoop   = errors.New("directory visited twice (loop)")
	errBadRecord = errors.New("corrupt directory record")
	errBadName   = errors.New("file name holds a NUL or slash")
	errOutside   = errors.New("extent beyond the end of the image")
	errDirBudget = errors.New("directories larger than the image (shared blocks)")
)

type walker struct {
	ctx    context.Context
	r      io.ReaderAt
	size   int64
	v      *volume
	sink   format.Sink
	skip   int // SUSP skip length, -1 without Rock Ridge
	joliet bool
	seen   map[int64]bool
	// dirBudget bounds the directory bytes read in total: directories
	// never share blocks, so more than the image size means a hostile
	// image listing the same blocks as many directories.
	dirBudget int64
}

type dirRef struct {
	path         string
	extent, size int64
}

func (Format) Extract(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	v, err := readVolume(r, size)
	if err != nil {
		return err
	}
	if want := v.blocks * v.blockSize; size < want {
		sink.Problem("", fmt.Errorf("image truncated: %d of %d bytes", size, want))
	}
	w := &walker{ctx: ctx, r: r, size: size, v: v, sink: sink, skip: -1, seen: map[int64]bool{}, dirBudget: size + 1<<20}
	root, _, _ := parseRecord(v.root)
	// Rock Ridge announces itself with an SP entry in the root's "." record.
	if data, err := w.readDir(root.extent, min(root.size, sectorSize)); err == nil {
		if dot, _, ok := parseRecord(data); ok {
			w.skip = suspSkip(dot.su)
		}
	}
	if w.skip < 0 && v.jolietRoot != nil {
		w.joliet = true
		root, _, _ = parseRecord(v.jolietRoot)
	}
	stack := []dirRef{{"", root.extent, root.size}}
	w.seen[root.extent] = true
	for len(stack) > 0 {
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		sub, err := w.dir(d)
		if err != nil {
			return err
		}
		stack = append(stack, sub...)
	}
	return nil
}

func (w *walker) readDir(extent, size int64) ([]byte, error) {
	if size > maxDirBytes || size > w.size {
		return nil, fmt.Errorf("directory size %d too large", size)
	}
	if w.dirBudget -= size; w.dirBudget < 0 {
		return nil, errDirBudget
	}
	return format.Bytes(w.r, extent*w.v.blockSize, size, maxDirBytes)
}

// dir lists one directory and returns its subdirectories.
func (w *walker) dir(d dirRef) ([]dirRef, error) {
	data, err := w.readDir(d.extent, d.size)
	if err != nil {
		w.sink.Problem(d.path, err)
		return nil, nil
	}
	var subs []dirRef
	var pending []record // earlier extents of a multi-extent file
	for p := 0; p < len(data); {
		if err := w.ctx.Err(); err != nil {
			return nil, err
		}
		if data[p] == 0 { // records never straddle a sector: skip the padding
			p = (p/sectorSize + 1) * sectorSize
			continue
		}
		rec, n, ok := parseRecord(data[p:min(len(data), (p/sectorSize+1)*sectorSize)])
		if !ok {
			w.sink.Problem(d.path, errBadRecord)
			p = (p/sectorSize + 1) * sectorSize
			continue
		}
		p += n
		if len(rec.name) == 1 && rec.name[0] <= 1 {
			continue // "." and ".."
		}
		if rec.flags&flagMultiExtent != 0 && rec.flags&flagDir == 0 {
			pending = append(pending, rec)
			continue
		}
		parts := append(pending, rec)
		pending = nil
		sub, err := w.entry(d.path, parts)
		if err != nil {
			return nil, err
		}
		if sub != nil {
			subs = append(subs, *sub)
		}
	}
	if len(pending) > 0 {
		w.sink.Problem(d.path, errors.New("multi-extent file without its last extent"))
	}
	return subs, nil
}

// entry adds one file (parts holds its extents in order) and returns a
// directory to descend into.
func (w *walker) entry(dir string, parts []record) (*dirRef, error) {
	rec := parts[len(parts)-1]
	var rr *rrInfo
	if w.skip >= 0 {
		var err error
		rr, err = parseSUSP(w.r, w.v, rec.su, w.skip)
		if err != nil {
			w.sink.Problem(path.Join(dir, isoName(rec.name)), err)
		}
		if rr.relocated {
			return nil, nil // reached through its CL entry instead
		}
	}
	name := isoName(rec.name)
	switch {
	case rr != nil && rr.hasName:
		name = rr.name.String()
	case w.joliet:
		name = jolietName(rec.name)
	}
	p := path.Join(dir, name)
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		w.sink.Problem(p, errBadName)
		return nil, nil
	}
	e := format.Entry{Path: p, ModTime: rec.mtime, Mode: 0o644}
	isDir := rec.flags&flagDir != 0
	if isDir {
		e.Mode = fs.ModeDir | 0o755
	}
	if rr != nil {
		if rr.hasMode {
			e.Mode = format.UnixMode(rr.mode)
			e.UID, e.GID = int(rr.uid), int(rr.gid)
		}
		if e.Mode&fs.ModeDevice != 0 {
			e.DevMajor, e.DevMinor = rr.devMajor, rr.devMinor
		}
		if !rr.mtime.IsZero() {
			e.ModTime = rr.mtime
		}
		if rr.childLink >= 0 {
			isDir = true
			e.Mode = e.Mode.Perm() | fs.ModeDir
			rec.extent, rec.size = rr.childLink, w.dotSize(rr.childLink)
		}
	}
	if isDir {
		if w.seen[rec.extent] {
			w.sink.Problem(p, errDirLoop)
			return nil, nil
		}
		w.seen[rec.extent] = true
		e.Mode = e.Mode.Perm() | fs.ModeDir | e.Mode&(fs.ModeSetgid|fs.ModeSetuid|fs.ModeSticky)
		if err := w.sink.Add(e, nil); err != nil {
			return nil, err
		}
		return &dirRef{p, rec.extent, rec.size}, nil
	}
	switch e.Mode.Type() {
	case fs.ModeSymlink:
		if rr == nil || !rr.hasLink {
			w.sink.Problem(p, errors.New("symlink without SL entry"))
			return nil, nil
		}
		e.Linkname = rr.target()
		return nil, w.sink.Add(e, nil)
	case 0:
	default:
		return nil, w.sink.Add(e, nil)
	}
	rd, size, err := w.contents(parts, rr != nil && rr.zf)
	if err != nil {
		w.sink.Problem(p, err)
	}
	e.Size = size
	return nil, w.sink.Add(e, rd)
}

// dotSize reads the size of a directory from its own "." record.
func (w *walker) dotSize(extent int64) int64 {
	off := extent * w.v.blockSize
	b, err := format.Bytes(w.r, off, max(0, min(255, w.size-off)), 255)
	if err != nil {
		return 0
	}
	rec, _, ok := parseRecord(b)
	if !ok {
		return 0
	}
	return rec.size
}

// contents returns a reader over a file's extents, decompressing zisofs.
func (w *walker) contents(parts []record, zf bool) (io.Reader, int64, error) {
	var rs []io.Reader
	var total int64
	var err error
	for _, rec := range parts {
		off := (rec.extent + rec.extAttrLen) * w.v.blockSize
		n := rec.size
		if off > w.size || n > w.size-off {
			err = errOutside
			n = max(0, min(n, w.size-off))
		}
		rs = append(rs, io.NewSectionReader(w.r, off, n))
		total += n
	}
	if len(parts) == 1 && err == nil {
		sr := rs[0].(*io.SectionReader)
		if z, usize, zerr := openZisofs(w.ctx, sr, total); zerr == nil {
			return z, usize, nil
		} else if zf {
			return sr, total, zerr
		}
	}
	return io.MultiReader(rs...), total, err
}
