package cramfs

import (
	"context"
	"fmt"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/decomp"
	"github.com/thingsec/thingsec/internal/unpack/format"
)

// pageSize is the block size of nearly every cramfs image; mkfs.cramfs -b
// makes others (the page size of the target), found by detectBlockSize.
const pageSize = 4096

// fileReader streams a file's blocks: a table of 32-bit block pointers at
// the inode offset, each the end of its compressed block (or, with the
// extension flag, a direct start pointer), then the zlib blocks.
type fileReader struct {
	r     io.ReaderAt
	s     *super
	in    inode
	i     int64 // next block
	prevE int64 // end of the previous block
}

func newFileReader(ctx context.Context, r io.ReaderAt, s *super, in inode) (io.Reader, error) {
	n := (in.size + s.blk - 1) / s.blk
	if in.offset+n*4 > s.size {
		return nil, fmt.Errorf("%w: block table beyond the image", errDamaged)
	}
	f := &fileReader{r: r, s: s, in: in, prevE: in.offset + n*4}
	return format.NewPagedReader(ctx, in.size, s.blk, f.page), nil
}

// page decodes the next block into out, which holds the want bytes the
// file has left in it.
func (f *fileReader) page(_ int64, out []byte) error {
	want := int64(len(out))
	b, err := f.block(want)
	if err != nil {
		return err
	}
	if int64(len(b)) > want {
		return fmt.Errorf("%w: block %d inflates to %d bytes", errDamaged, f.i-1, len(b))
	}
	// A short block is only legal as a hole (all zeros).
	if int64(len(b)) < want && len(b) != 0 {
		return fmt.Errorf("%w: block %d inflates to %d bytes, want %d", errDamaged, f.i-1, len(b), want)
	}
	copy(out, b)
	return nil
}

// block reads and inflates the next block.
func (f *fileReader) block(want int64) ([]byte, error) {
	var pb [4]byte
	if err := format.ReadFull(f.r, pb[:], f.in.offset+f.i*4); err != nil {
		return nil, err
	}
	f.i++
	ptr := f.s.bo.Uint32(pb[:])
	var uncompressed, direct bool
	if f.s.flags&flagExtBlockPtrs != 0 {
		uncompressed, direct = ptr&blkUncompressed != 0, ptr&blkDirect != 0
		ptr &^= blkFlags
	}
	var start, end int64
	if direct {
		start = int64(ptr) << 2
		if uncompressed {
			end = start + want
		} else {
			var lb [2]byte
			if err := format.ReadFull(f.r, lb[:], start); err != nil {
				return nil, err
			}
			start += 2
			end = start + int64(f.s.bo.Uint16(lb[:]))
		}
	} else {
		start, end = f.prevE, int64(ptr)
	}
	f.prevE = end
	if end < start || end > f.s.size || end-start > 2*f.s.blk {
		return nil, fmt.Errorf("%w: block %d at [%#x,%#x)", errDamaged, f.i-1, start, end)
	}
	if end == start {
		return nil, nil // hole
	}
	src := make([]byte, end-start)
	if err := format.ReadFull(f.r, src, start); err != nil {
		return nil, err
	}
	if uncompressed {
		return src, nil
	}
	return decomp.Block(decomp.Zlib, src, int(f.s.blk))
}
