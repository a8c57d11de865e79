package iso9660

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/decomp"
	"github.com/thingsec/thingsec/internal/unpack/format"
)

// zisofsMagic starts every file compressed by mkzftree.
var zisofsMagic = []byte{0x37, 0xE4, 0x53, 0x96, 0xC9, 0xDB, 0xD6, 0x07}

var errZisofs = errors.New("bad zisofs header")

// openZisofs checks the zisofs file header of r (n bytes) and returns a
// reader over the uncompressed data and its size.
func openZisofs(ctx context.Context, r io.ReaderAt, n int64) (io.Reader, int64, error) {
	var h [16]byte
	if n < 16 || format.ReadFull(r, h[:], 0) != nil || !bytes.Equal(h[:8], zisofsMagic) {
		return nil, 0, errZisofs
	}
	usize := int64(binary.LittleEndian.Uint32(h[8:]))
	hdr := int64(h[12]) * 4
	log2 := h[13]
	if hdr < 16 || log2 < 15 || log2 > 17 {
		return nil, 0, errZisofs
	}
	bs := int64(1) << log2
	nblocks := (usize + bs - 1) / bs
	tbl, err := format.Bytes(r, hdr, (nblocks+1)*4, n)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: block pointers: %v", errZisofs, err)
	}
	ptrs := make([]int64, nblocks+1)
	for i := range ptrs {
		ptrs[i] = int64(binary.LittleEndian.Uint32(tbl[4*i:]))
		if ptrs[i] > n || i > 0 && ptrs[i] < ptrs[i-1] {
			return nil, 0, fmt.Errorf("%w: block pointer out of order", errZisofs)
		}
	}
	return &zisofsReader{ctx: ctx, r: r, ptrs: ptrs, bs: bs, left: usize}, usize, nil
}

// zisofsReader inflates one block at a time.
type zisofsReader struct {
	ctx  context.Context
	r    io.ReaderAt
	ptrs []int64
	bs   int64
	blk  int
	left int64 // uncompressed bytes still to produce
	buf  []byte
}

func (z *zisofsReader) Read(p []byte) (int, error) {
	for len(z.buf) == 0 {
		if z.left == 0 {
			return 0, io.EOF
		}
		if err := z.ctx.Err(); err != nil {
			return 0, err
		}
		if err := z.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, z.buf)
	z.buf = z.buf[n:]
	return n, nil
}

func (z *zisofsReader) fill() error {
	want := min(z.bs, z.left)
	start, end := z.ptrs[z.blk], z.ptrs[z.blk+1]
	z.blk++
	z.left -= want
	if start == end { // an all-zero block is stored as nothing
		z.buf = make([]byte, want)
		return nil
	}
	zr, err := decomp.NewReader(decomp.Zlib, io.NewSectionReader(z.r, start, end-start))
	if err != nil {
		return fmt.Errorf("zisofs block %d: %w", z.blk-1, err)
	}
	defer zr.Close()
	b := make([]byte, want)
	if _, err := io.ReadFull(zr, b); err != nil {
		return fmt.Errorf("zisofs block %d: %w", z.blk-1, err)
	}
	z.buf = b
	return nil
}
