package romfs

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

type walker struct {
	ctx     context.Context
	r       io.ReaderAt
	s       *super
	sink    format.Sink
	visited map[int64]bool   // headers already seen (cycles)
	paths   map[int64]string // header offset -> path, for hard links
	links   []link
}

type link struct {
	path   string
	target int64
}

func (romfsFormat) Extract(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	s, err := readSuper(r, size)
	if err != nil {
		return err
	}
	if s.declared > size {
		sink.Problem("", fmt.Errorf("romfs: image is %d bytes, only %d present", s.declared, size))
	}
	if !s.sumOK {
		sink.Problem("", errors.New("romfs: superblock checksum mismatch"))
	}
	w := &walker{ctx: ctx, r: r, s: s, sink: sink, visited: map[int64]bool{}, paths: map[int64]string{}}
	if err := w.dir("", s.first); err != nil {
		return err
	}
	for _, l := range w.links {
		target, ok := w.paths[l.target]
		if !ok {
			sink.Problem(l.path, fmt.Errorf("%w: hard link to %#x, not a file", errDamaged, l.target))
			continue
		}
		e := format.Entry{Path: l.path, Mode: 0o644, Linkname: target, Hardlink: true}
		if err := sink.Add(e, nil); err != nil {
			return err
		}
	}
	return nil
}

// dir walks the header chain starting at off.
func (w *walker) dir(p string, off int64) error {
	var b [16]byte
	for off != 0 {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		if w.visited[off] {
			w.sink.Problem(p, fmt.Errorf("%w: header %#x reached twice (cycle)", errDamaged, off))
			return nil
		}
		w.visited[off] = true
		if off%16 != 0 || off+16 > w.s.size || format.ReadFull(w.r, b[:], off) != nil {
			w.sink.Problem(p, fmt.Errorf("%w: file header %#x beyond the image", errDamaged, off))
			return nil
		}
		next := int64(binary.BigEndian.Uint32(b[0:]))
		spec := int64(binary.BigEndian.Uint32(b[4:]))
		size := int64(binary.BigEndian.Uint32(b[8:]))
		name, dataOff, err := readName(w.r, off+16, w.s.size)
		if err != nil {
			w.sink.Problem(p, err)
			return nil
		}
		child := path.Join(p, name)
		if sum, err := checksum(w.r, off, dataOff-off); err != nil || sum != 0 {
			w.sink.Problem(child, fmt.Errorf("%w: file header checksum", errDamaged))
		}
		if name != "" && name != "." && name != ".." {
			if err := w.entry(child, off, int(next&7), next&8 != 0, spec, size, dataOff); err != nil {
				return err
			}
		}
		off = next &^ 15
	}
	return nil
}

func (w *walker) entry(p string, off int64, typ int, exec bool, spec, size, dataOff int64) error {
	perm := fs.FileMode(0o644)
	if exec {
		perm = 0o755
	}
	e := format.Entry{Path: p, Mode: perm}
	switch typ {
	case typHardlink:
		w.links = append(w.links, link{p, spec &^ 15})
		return nil
	case typDir:
		e.Mode = fs.ModeDir | 0o755
		if err := w.sink.Add(e, nil); err != nil {
			return err
		}
		return w.dir(p, spec&^15)
	case typFile, typSymlink:
		if size > w.s.size-dataOff {
			w.sink.Problem(p, fmt.Errorf("%w: data beyond the image", errDamaged))
			return nil
		}
		if typ == typFile {
			w.paths[off] = p
			e.Size = size
			return w.sink.Add(e, io.NewSectionReader(w.r, dataOff, size))
		}
		t, err := format.Bytes(w.r, dataOff, size, maxLink)
		if err != nil {
			w.sink.Problem(p, err)
			return nil
		}
		e.Mode, e.Linkname = fs.ModeSymlink|0o777, string(t)
	case typBlock:
		e.Mode |= fs.ModeDevice
		e.DevMajor, e.DevMinor = uint32(spec)>>16, uint32(spec)&0xffff
	case typChar:
		e.Mode |= fs.ModeDevice | fs.ModeCharDevice
		e.DevMajor, e.DevMinor = uint32(spec)>>16, uint32(spec)&0xffff
	case typSocket:
		e.Mode |= fs.ModeSocket
	case typFifo:
		e.Mode |= fs.ModeNamedPipe
	}
	w.paths[off] = p
	return w.sink.Add(e, nil)
}
