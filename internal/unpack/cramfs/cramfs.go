// Package cramfs unpacks cramfs images in either byte order: zlib blocks of
// 4096 bytes, holes, symlinks, devices, the fsid CRC, and the extended
// (uncompressed / direct pointer) block pointers.
package cramfs

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"path"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// New returns the cramfs unpacker.
func New() format.Format { return cramfsFormat{} }

type cramfsFormat struct{}

func (cramfsFormat) Name() string      { return "cramfs" }
func (cramfsFormat) Kind() format.Kind { return format.FileSystem }

func (cramfsFormat) Signatures() []format.Signature {
	return []format.Signature{
		{Magic: []byte{0x45, 0x3d, 0xcd, 0x28}},
		{Magic: []byte{0x28, 0xcd, 0x3d, 0x45}},
		{Magic: []byte{0x45, 0x3d, 0xcd, 0x28}, Offset: padSize},
		{Magic: []byte{0x28, 0xcd, 0x3d, 0x45}, Offset: padSize},
	}
}

func (cramfsFormat) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	s, err := readSuper(r, size)
	if err != nil {
		return format.Match{}, err
	}
	order := "little"
	if s.bo.Uint32([]byte{1, 0, 0, 0}) != 1 {
		order = "big"
	}
	m := format.Match{
		Extractable: true,
		Description: fmt.Sprintf("cramfs, %s endian, %d files, name %q", order, s.files, s.name),
	}
	switch {
	case s.flags&flagFSIDv2 == 0:
		// Version 1 stores no size: the length is unknown (0), not the
		// rest of the file, which would hide whatever follows.
	case s.size <= size:
		m.Size = s.size
	default:
		m.Description += ", truncated"
	}
	if s.sbOff != 0 {
		m.Description += ", padded"
	}
	if s.flags&^knownFlags != 0 {
		m.Description += fmt.Sprintf(", unknown flags %#x", s.flags&^knownFlags)
	}
	return m, nil
}

// maxLink bounds a symlink target.
const maxLink = 4096

type walker struct {
	ctx     context.Context
	r       io.ReaderAt
	s       *super
	sink    format.Sink
	visited map[int64]bool // directory contents already walked (cycles, shared dirs)
}

func (cramfsFormat) Extract(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	s, err := readSuper(r, size)
	if err != nil {
		return err
	}
	if s.size > size {
		sink.Problem("", fmt.Errorf("cramfs: image is %d bytes, only %d present", s.size, size))
		s.size = size
	}
	if s.flags&^knownFlags != 0 {
		sink.Problem("", format.Unsupported(fmt.Sprintf("cramfs flags %#x", s.flags&^knownFlags)))
	}
	if s.flags&flagFSIDv2 != 0 {
		if err := checkCRC(r, s); err != nil {
			sink.Problem("", err)
		}
	}
	s.blk = detectBlockSize(r, s)
	w := &walker{ctx: ctx, r: r, s: s, sink: sink, visited: map[int64]bool{}}
	return w.dir("", s.root)
}

// checkCRC verifies the crc32 of the image from the superblock on (a boot
// pad is not covered) with the crc field zeroed.
func checkCRC(r io.ReaderAt, s *super) error {
	h := crc32.NewIEEE()
	buf := make([]byte, 64<<10)
	for off := s.sbOff; off < s.size; {
		n := min(int64(len(buf)), s.size-off)
		if err := format.ReadFull(r, buf[:n], off); err != nil {
			return err
		}
		if off == s.sbOff {
			clear(buf[32:36])
		}
		h.Write(buf[:n])
		off += n
	}
	if got := h.Sum32(); got != s.crc {
		return fmt.Errorf("cramfs: crc %#x, superblock says %#x", got, s.crc)
	}
	return nil
}

// dir emits the entries of the directory in and recurses.
func (w *walker) dir(p string, in inode) error {
	if in.size == 0 {
		return nil
	}
	if w.visited[in.offset] {
		w.sink.Problem(p, errors.New("cramfs: directory contents shared or cyclic; skipped"))
		return nil
	}
	w.visited[in.offset] = true
	end := in.offset + in.size
	if in.offset < w.s.sbOff+sbLen || end > w.s.size {
		w.sink.Problem(p, fmt.Errorf("%w: directory beyond the image", errDamaged))
		return nil
	}
	var b [inodeLen]byte
	for off := in.offset; off < end; {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		if off+inodeLen > end || format.ReadFull(w.r, b[:], off) != nil {
			w.sink.Problem(p, fmt.Errorf("%w: truncated directory", errDamaged))
			return nil
		}
		child := decodeInode(w.s.bo, b[:])
		off += inodeLen
		if child.nameLen == 0 || off+child.nameLen > end {
			w.sink.Problem(p, fmt.Errorf("%w: bad name length", errDamaged))
			return nil
		}
		nb := make([]byte, child.nameLen)
		if err := format.ReadFull(w.r, nb, off); err != nil {
			w.sink.Problem(p, err)
			return nil
		}
		off += child.nameLen
		name := cstr(nb)
		if name == "" || name == "." || name == ".." {
			w.sink.Problem(p, fmt.Errorf("%w: bad name %q", errDamaged, name))
			continue
		}
		if err := w.entry(path.Join(p, name), child); err != nil {
			return err
		}
	}
	return nil
}

func (w *walker) entry(p string, in inode) error {
	e := format.Entry{Path: p, Mode: format.UnixMode(in.mode), UID: int(in.uid), GID: int(in.gid)}
	switch e.Mode.Type() {
	case fs.ModeDir:
		if err := w.sink.Add(e, nil); err != nil {
			return err
		}
		return w.dir(p, in)
	case 0:
		e.Size = in.size
		fr, err := newFileReader(w.ctx, w.r, w.s, in)
		if err != nil {
			w.sink.Problem(p, err)
			return nil
		}
		return w.sink.Add(e, fr)
	case fs.ModeSymlink:
		if in.size > maxLink {
			w.sink.Problem(p, fmt.Errorf("%w: symlink target too long", errDamaged))
			return nil
		}
		fr, err := newFileReader(w.ctx, w.r, w.s, in)
		if err != nil {
			w.sink.Problem(p, err)
			return nil
		}
		t, err := io.ReadAll(fr)
		if err != nil {
			w.sink.Problem(p, err)
			return nil
		}
		e.Linkname = string(t)
	}
	// Devices keep their number in the size field.
	if e.Mode&fs.ModeDevice != 0 {
		e.DevMajor, e.DevMinor = format.LinuxDev(uint32(in.size))
	}
	return w.sink.Add(e, nil)
}
