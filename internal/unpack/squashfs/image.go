package squashfs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

const (
	metaSize = 8192
	// maxCached bounds the decoded metadata kept in memory; past it the
	// cache is dropped and blocks are decoded again on demand.
	maxCached = 64 << 20
	// sizeUncompressed is the "stored" bit of data block and fragment sizes.
	sizeUncompressed = 1 << 24
)

var (
	errCorrupt   = errors.New("squashfs: corrupt image")
	errShortData = errors.New("squashfs: data block shorter than expected")
)

func corrupt(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errCorrupt}, a...)...)
}

// image is an opened squashfs with its caches.
type image struct {
	r       io.ReaderAt
	sb      *super
	meta    map[int64]*metaBlock
	bad     map[int64]error // blocks that failed, not to be decoded again
	badFrag map[uint32]error
	cached  int
	frags   fragCache
	ahead   *ahead // set while walking
	bufs    *blockBufs
	uids    []uint32
	gids    []uint32
	// metaOrder is the byte order of metadata block headers: AVM's
	// big-endian 4.0 images keep them little endian.
	metaOrder binary.ByteOrder
}

type metaBlock struct {
	data []byte
	next int64 // offset of the following block header
}

func newImage(r io.ReaderAt, sb *super) *image {
	img := &image{r: r, sb: sb, meta: map[int64]*metaBlock{}, bad: map[int64]error{}, badFrag: map[uint32]error{}, metaOrder: sb.order}
	img.bufs = newBlockBufs(int(sb.blockSize))
	var h [2]byte
	if sb.order == binary.BigEndian && format.ReadFull(r, h[:], int64(sb.inodeStart)) == nil {
		if n := binary.BigEndian.Uint16(h[:]) & 0x7fff; n == 0 || n > metaSize {
			img.metaOrder = binary.LittleEndian
		}
	}
	return img
}

// metaBlock decodes the metadata block whose header is at off.
func (img *image) metaBlock(off int64) (*metaBlock, error) {
	if b, ok := img.meta[off]; ok {
		return b, nil
	}
	if err, ok := img.bad[off]; ok {
		return nil, err
	}
	b, err := img.loadMeta(off)
	if err != nil {
		if len(img.bad) < 1<<16 {
			img.bad[off] = err
		}
		return nil, err
	}
	if img.cached+len(b.data) > maxCached {
		img.meta = map[int64]*metaBlock{}
		img.cached = 0
	}
	img.meta[off] = b
	img.cached += len(b.data)
	return b, nil
}

func (img *image) loadMeta(off int64) (*metaBlock, error) {
	hdrLen := int64(2)
	if img.sb.major < 4 && img.sb.flags&0x04 != 0 {
		hdrLen = 3 // "check" images carry a marker byte after the length
	}
	if off < 0 || off+hdrLen > img.sb.bytesUsed {
		return nil, corrupt("metadata block at %d out of range", off)
	}
	var h [2]byte
	if err := format.ReadFull(img.r, h[:], off); err != nil {
		return nil, err
	}
	v := img.metaOrder.Uint16(h[:])
	n := int64(v & 0x7fff)
	if n == 0 || off+hdrLen+n > img.sb.bytesUsed {
		return nil, corrupt("metadata block at %d has bad length %d", off, n)
	}
	src := make([]byte, n)
	if err := format.ReadFull(img.r, src, off+hdrLen); err != nil {
		return nil, err
	}
	data := src
	if v&0x8000 == 0 {
		var err error
		data, err = img.decompress(src, metaSize, -1)
		if err != nil {
			return nil, fmt.Errorf("metadata block at %d: %w", off, err)
		}
	} else if n > metaSize {
		return nil, corrupt("metadata block at %d too long", off)
	}
	return &metaBlock{data: data, next: off + hdrLen + n}, nil
}

// cursor reads a metadata stream (inode or directory table) that continues
// across blocks.
type cursor struct {
	img   *image
	block int64 // absolute offset of the current block header
	off   int   // offset inside the decoded block
	limit int64 // blocks at or beyond limit are outside the table
}

// read returns the next n bytes (n is small: a header, a name, a chunk).
func (c *cursor) read(n int) ([]byte, error) {
	var out []byte
	for n > 0 {
		if c.block >= c.limit {
			return nil, corrupt("metadata read beyond its table")
		}
		b, err := c.img.metaBlock(c.block)
		if err != nil {
			return nil, err
		}
		if c.off > len(b.data) {
			return nil, corrupt("metadata offset %d beyond block", c.off)
		}
		avail := b.data[c.off:]
		if len(avail) >= n && out == nil {
			c.off += n
			return avail[:n], nil
		}
		k := min(n, len(avail))
		out = append(out, avail[:k]...)
		n -= k
		c.off += k
		if c.off == len(b.data) {
			c.block, c.off = b.next, 0
		}
	}
	return out, nil
}

func (c *cursor) u16() (uint16, error) {
	b, err := c.read(2)
	if err != nil {
		return 0, err
	}
	return c.img.sb.order.Uint16(b), nil
}

func (c *cursor) u32() (uint32, error) {
	b, err := c.read(4)
	if err != nil {
		return 0, err
	}
	return c.img.sb.order.Uint32(b), nil
}

func (c *cursor) u64() (uint64, error) {
	b, err := c.read(8)
	if err != nil {
		return 0, err
	}
	return c.img.sb.order.Uint64(b), nil
}
