package ubifs

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/thingsec/thingsec/internal/unpack/decomp"
	"github.com/thingsec/thingsec/internal/unpack/format"
)

const (
	rootInum = 1
	// maxHole bounds the zeros appended after a file's last data block (a
	// sparse tail); a larger claimed size is cut and reported.
	maxHole       = 64 << 20
	maxLinkTarget = 4096
)

// tree walks the directories from the root inode and emits every entry.
func (f *fsys) tree(ctx context.Context) error {
	if f.inodes[rootInum] == nil && len(f.dents[rootInum]) == 0 {
		return errors.New("ubifs: root directory not found")
	}
	type item struct {
		inum uint32
		path string
	}
	visited := map[uint32]bool{rootInum: true}
	links := map[uint32]string{}
	stack := []item{{rootInum, ""}}
	for len(stack) > 0 {
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		names := make([]string, 0, len(f.dents[d.inum]))
		for name, de := range f.dents[d.inum] {
			if de.inum != 0 { // inum 0 is a deletion entry
				names = append(names, name)
			}
		}
		sort.Strings(names)
		for _, name := range names {
			if err := ctx.Err(); err != nil {
				return err
			}
			de := f.dents[d.inum][name]
			p := path.Join(d.path, de.name)
			if de.name == "." || de.name == ".." || strings.ContainsAny(de.name, "/\x00") || de.inum > 0xFFFFFFFF {
				f.sink.Problem(p, errors.New("ubifs: invalid directory entry"))
				continue
			}
			inum := uint32(de.inum)
			in := f.inodes[inum]
			if in == nil {
				f.sink.Problem(p, fmt.Errorf("ubifs: inode %d not found", inum))
				continue
			}
			e := format.Entry{Path: p, Mode: format.UnixMode(in.mode), UID: int(in.uid), GID: int(in.gid),
				ModTime: time.Unix(in.mtime, int64(in.mtimeNs%1e9)).UTC()}
			switch {
			case e.Mode.IsDir():
				if visited[inum] {
					f.sink.Problem(p, errors.New("ubifs: directory linked twice (loop)"))
					continue
				}
				visited[inum] = true
				if err := f.sink.Add(e, nil); err != nil {
					return err
				}
				stack = append(stack, item{inum, p})
			case e.Mode&fs.ModeSymlink != 0:
				e.Linkname = string(in.data[:min(len(in.data), maxLinkTarget)])
				if err := f.sink.Add(e, nil); err != nil {
					return err
				}
			case e.Mode.IsRegular():
				if first, ok := links[inum]; ok {
					e.Hardlink, e.Linkname = true, first
					if err := f.sink.Add(e, nil); err != nil {
						return err
					}
					continue
				}
				if in.nlink > 1 {
					links[inum] = p
				}
				rd, n := f.fileReader(ctx, inum, in, p)
				e.Size = n
				if err := f.sink.Add(e, rd); err != nil {
					return err
				}
			default:
				// ubifs_dev_desc: the new Linux encoding in 4 or 8 bytes.
				if e.Mode&fs.ModeDevice != 0 && len(in.data) >= 4 {
					e.DevMajor, e.DevMinor = format.LinuxDev(binary.LittleEndian.Uint32(in.data))
				}
				if err := f.sink.Add(e, nil); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// fileReader streams a file's blocks, decompressing one at a time.
func (f *fsys) fileReader(ctx context.Context, inum uint32, in *inode, p string) (io.Reader, int64) {
	size := in.size
	var last uint64
	for blk := range f.data[inum] {
		if end := (uint64(blk) + 1) * blockSize; end > last {
			last = end
		}
	}
	if size > last+maxHole {
		f.sink.Problem(p, fmt.Errorf("ubifs: size %d far beyond the data, cut to %d", size, last+maxHole))
		size = last + maxHole
	}
	fr := &fileReader{f: f, blocks: f.data[inum], size: int64(size), path: p}
	return format.NewPagedReader(ctx, fr.size, blockSize, func(i int64, b []byte) error {
		copy(b, fr.block(uint32(i)))
		return nil
	}), int64(size)
}

type fileReader struct {
	f      *fsys
	blocks map[uint32]dataRef
	size   int64
	path   string
}

// block returns the 4 KiB content of block blk: zeros for a hole or a
// damaged node (reported).
func (fr *fileReader) block(blk uint32) []byte {
	out := make([]byte, blockSize)
	ref, ok := fr.blocks[blk]
	if !ok {
		return out
	}
	d, err := fr.f.readData(ref)
	if err != nil {
		fr.f.sink.Problem(fr.path, fmt.Errorf("block %d: %w", blk, err))
		return out
	}
	copy(out, d)
	return out
}

// readData reads and decompresses one data node.
func (f *fsys) readData(ref dataRef) ([]byte, error) {
	if ref.len < dataHdrSize || ref.len > maxDataLen {
		return nil, fmt.Errorf("%w: data node length %d", errNode, ref.len)
	}
	p, err := format.Bytes(f.r, ref.off, int64(ref.len), maxDataLen)
	if err != nil {
		return nil, err
	}
	if _, err := checkNode(p); err != nil {
		return nil, err
	}
	usize := int(binary.LittleEndian.Uint32(p[40:]))
	if usize > blockSize {
		return nil, fmt.Errorf("%w: data size %d", errNode, usize)
	}
	src := p[dataHdrSize:]
	var out []byte
	switch c := binary.LittleEndian.Uint16(p[44:]); c {
	case comprNone:
		out = src
	case comprLZO:
		out, err = decomp.Block(decomp.LZO, src, blockSize)
	case comprZlib:
		out, err = decomp.Block(decomp.Deflate, src, blockSize)
	case comprZstd:
		out, err = decomp.Block(decomp.Zstd, src, blockSize)
	default:
		return nil, format.Unsupported(compName(c))
	}
	if err != nil {
		return nil, err
	}
	if len(out) < usize {
		return nil, fmt.Errorf("ubifs: data node holds %d of %d bytes", len(out), usize)
	}
	return out[:usize], nil
}
