package extfs

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

const (
	rootIno       = 2
	maxDirBytes   = 64 << 20
	maxLinkTarget = 4096
)

var (
	errDirLoop   = errors.New("directory visited twice (loop)")
	errBadDirent = errors.New("corrupt directory entry")
	errNoType    = errors.New("inode has no file type (unused inode)")
	errEncrypted = errors.New("encrypted inode")
	errBadName   = errors.New("file name holds a NUL or slash")
	errDirBudget = errors.New("directories larger than the image (shared blocks)")
)

func (Format) Extract(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	sb, err := readSuperblock(r, size)
	if err != nil {
		return err
	}
	if sb.has(incompatJournDev) {
		return format.Unsupported("ext external journal device")
	}
	if sb.has(incompatRecover) {
		sink.Problem("", errors.New("journal needs recovery: recent changes may be missing"))
	}
	if want := int64(sb.blocksCount) * sb.blockSize; size < want {
		sink.Problem("", fmt.Errorf("image truncated: %d of %d bytes", size, want))
	}
	f := &fsys{r: r, size: size, sb: sb}
	w := &walker{f: f, sink: sink, dirs: map[uint32]bool{rootIno: true}, files: map[uint32]string{},
		dirBudget: size + 1<<20}
	root, err := f.readInode(rootIno)
	if err != nil {
		return fmt.Errorf("root inode: %w", err)
	}
	if root.mode&0xF000 != 0x4000 {
		return errors.New("root inode is not a directory")
	}
	stack := []dirItem{{"", root}}
	for len(stack) > 0 {
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		sub, err := w.dir(ctx, d)
		if err != nil {
			return err
		}
		stack = append(stack, sub...)
	}
	return nil
}

type dirItem struct {
	path string
	in   *inode
}

type walker struct {
	f     *fsys
	sink  format.Sink
	dirs  map[uint32]bool   // directories already listed
	files map[uint32]string // first path of multiply linked inodes
	// dirBudget bounds the directory bytes read in total: directories
	// never share blocks, so more than the image size means a hostile
	// image making many directories out of the same blocks.
	dirBudget int64
}

// dirData returns a directory's bytes and the unit in which entries must
// not straddle (a block, or the whole inline area).
func (w *walker) dirData(ctx context.Context, in *inode) ([]byte, int, error) {
	if in.size > maxDirBytes || int64(in.size) > w.f.size {
		return nil, 0, fmt.Errorf("directory size %d too large", in.size)
	}
	if w.dirBudget -= int64(in.size); w.dirBudget < 0 {
		return nil, 0, errDirBudget
	}
	if in.flags&flagInline != 0 {
		b, err := inlineData(in)
		if err != nil {
			return nil, 0, err
		}
		b = b[:min(uint64(len(b)), in.size)]
		if len(b) < 4 {
			return nil, 0, errBadDirent
		}
		// The first four bytes are the parent inode number.
		return b[4:], len(b) - 4, nil
	}
	rd, err := w.f.contents(ctx, in)
	if rd == nil {
		return nil, 0, err
	}
	buf := make([]byte, in.size)
	n, rerr := io.ReadFull(rd, buf)
	if err == nil && rerr != nil {
		err = rerr
	}
	return buf[:n], int(w.f.sb.blockSize), err
}

// dir lists one directory, adds its entries to the sink and returns its
// subdirectories.
func (w *walker) dir(ctx context.Context, d dirItem) ([]dirItem, error) {
	data, unit, err := w.dirData(ctx, d.in)
	if err != nil {
		w.sink.Problem(d.path, err)
	}
	var subs []dirItem
	le := binary.LittleEndian
	for blk := 0; blk < len(data); blk += unit {
		b := data[blk:min(blk+unit, len(data))]
		for p := 0; p+8 <= len(b); {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			ino := le.Uint32(b[p:])
			recLen := int(le.Uint16(b[p+4:]))
			if recLen == 0 || recLen == 65535 {
				recLen = 65536 // 64 KiB blocks encode their full length this way
			}
			nameLen := int(b[p+6])
			if !w.f.sb.has(incompatFiletype) {
				nameLen |= int(b[p+7]) << 8
			}
			if recLen < 8 || recLen%4 != 0 || p+recLen > len(b) || 8+nameLen > recLen {
				w.sink.Problem(d.path, errBadDirent)
				break
			}
			name := string(b[p+8 : p+8+nameLen])
			p += recLen
			if ino == 0 || name == "." || name == ".." || name == "" {
				continue
			}
			if strings.ContainsAny(name, "/\x00") {
				w.sink.Problem(path.Join(d.path, strings.ToValidUTF8(strings.NewReplacer("\x00", "?", "/", "?").Replace(name), "?")), errBadName)
				continue
			}
			sub, err := w.entry(ctx, path.Join(d.path, name), ino)
			if err != nil {
				return nil, err
			}
			if sub != nil {
				subs = append(subs, *sub)
			}
		}
	}
	return subs, nil
}

// entry adds one directory entry; it returns a directory to descend into.
func (w *walker) entry(ctx context.Context, p string, ino uint32) (*dirItem, error) {
	in, err := w.f.readInode(ino)
	if err != nil {
		w.sink.Problem(p, err)
		return nil, nil
	}
	e := format.Entry{
		Path:    p,
		Mode:    format.UnixMode(uint32(in.mode)),
		UID:     int(in.uid),
		GID:     int(in.gid),
		ModTime: in.mtime,
	}
	switch in.mode & 0xF000 {
	case 0:
		w.sink.Problem(p, errNoType)
		return nil, nil
	case 0x4000:
		if w.dirs[ino] {
			w.sink.Problem(p, errDirLoop)
			return nil, nil
		}
		w.dirs[ino] = true
		if err := w.sink.Add(e, nil); err != nil {
			return nil, err
		}
		return &dirItem{p, in}, nil
	case 0x8000:
		if in.flags&flagEncrypt != 0 {
			w.sink.Problem(p, errEncrypted)
			e.Incomplete = errEncrypted.Error()
		}
		if first, ok := w.files[ino]; ok {
			e.Linkname, e.Hardlink = first, true
			return nil, w.sink.Add(e, nil)
		}
		if in.links > 1 {
			w.files[ino] = p
		}
		// Only a hostile or corrupt inode is larger than its file system
		// (legit sparse files that big do not occur in firmware): cap it so
		// a tiny image cannot expand to terabytes of holes.
		if fsBytes := w.f.sb.blocksCount * uint64(w.f.sb.blockSize); in.size > fsBytes {
			err := fmt.Errorf("file size %d beyond file system size, truncated", in.size)
			w.sink.Problem(p, err)
			e.Incomplete = err.Error()
			in.size = fsBytes
		}
		e.Size = int64(in.size)
		rd, err := w.f.contents(ctx, in)
		if err != nil {
			w.sink.Problem(p, err)
			e.Incomplete = err.Error()
		}
		if rd == nil {
			rd = &io.LimitedReader{}
		}
		return nil, w.sink.Add(e, rd)
	case 0xA000:
		target, err := w.symlink(ctx, in)
		if err != nil {
			w.sink.Problem(p, err)
			return nil, nil
		}
		e.Linkname = target
		return nil, w.sink.Add(e, nil)
	case 0x2000, 0x6000:
		// i_block holds the old 16-bit number in its first word, or 0
		// there and the new encoding in the second.
		dev := binary.LittleEndian.Uint32(in.block[0:])
		if dev == 0 {
			dev = binary.LittleEndian.Uint32(in.block[4:])
		}
		e.DevMajor, e.DevMinor = format.LinuxDev(dev)
	}
	return nil, w.sink.Add(e, nil)
}

func (w *walker) symlink(ctx context.Context, in *inode) (string, error) {
	if in.size > maxLinkTarget {
		return "", fmt.Errorf("symlink target length %d too large", in.size)
	}
	// A fast symlink keeps its target in i_block and owns no data block
	// (an extended attribute block may be counted in i_blocks).
	if in.size < 60 && in.flags&(flagExtents|flagInline) == 0 {
		xattr := uint64(0)
		if in.fileACL != 0 {
			xattr = uint64(w.f.sb.blockSize / 512)
		}
		if in.blocks == xattr {
			return string(in.block[:in.size]), nil
		}
	}
	rd, err := w.f.contents(ctx, in)
	if rd == nil {
		return "", err
	}
	b := make([]byte, in.size)
	if _, rerr := io.ReadFull(rd, b); rerr != nil {
		return "", rerr
	}
	return string(b), err
}
