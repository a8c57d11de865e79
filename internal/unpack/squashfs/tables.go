package squashfs

import (
	"fmt"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// fragCache keeps the last few decoded fragment blocks: many small files
// share one. The blocks are buffers of img.bufs, given back when evicted: a
// file's tail is a slice of its fragment block, which the sink copies out
// while it adds the file, before the next fragment is loaded.
type fragCache struct {
	keys [4]int64
	data [4][]byte
	next int
}

func (f *fragCache) get(k int64) []byte {
	for i, key := range f.keys {
		if f.data[i] != nil && key == k {
			return f.data[i]
		}
	}
	return nil
}

// put caches d and returns the block it evicted, or nil.
func (f *fragCache) put(k int64, d []byte) (evicted []byte) {
	evicted = f.data[f.next]
	f.keys[f.next], f.data[f.next] = k, d
	f.next = (f.next + 1) % len(f.keys)
	return evicted
}

// fragment returns the decoded fragment block number i.
func (img *image) fragment(i uint32) ([]byte, error) {
	if err, ok := img.badFrag[i]; ok {
		return nil, err
	}
	d, err := img.loadFragment(i)
	if err != nil && len(img.badFrag) < 1<<16 {
		img.badFrag[i] = err
	}
	return d, err
}

func (img *image) loadFragment(i uint32) ([]byte, error) {
	start, size, err := img.fragmentEntry(i)
	if err != nil {
		return nil, err
	}
	if d := img.frags.get(int64(start)); d != nil {
		return d, nil
	}
	var d []byte
	if r, ok := img.ahead.takeFragment(int64(start)); ok {
		d, err = r.data, r.err
	} else {
		d, err = img.dataBlock(start, size, int(img.sb.blockSize), -1)
	}
	if err != nil {
		return nil, fmt.Errorf("fragment %d: %w", i, err)
	}
	img.bufs.put(img.frags.put(int64(start), d))
	return d, nil
}

// fragmentEntry reads the disk offset and size word of fragment block i.
func (img *image) fragmentEntry(i uint32) (start uint64, size uint32, err error) {
	sb := img.sb
	if i >= sb.fragments || sb.fragStart == noTable {
		return 0, 0, corrupt("fragment %d out of range", i)
	}
	entSize, ptrSize := uint64(16), uint64(8)
	if sb.major == 2 {
		entSize, ptrSize = 8, 4
	}
	pos := uint64(i) * entSize
	var p [8]byte
	ptrOff := sb.fragStart + pos/metaSize*ptrSize
	if ptrOff+ptrSize > uint64(sb.bytesUsed) {
		return 0, 0, corrupt("fragment index out of range")
	}
	if err := format.ReadFull(img.r, p[:ptrSize], int64(ptrOff)); err != nil {
		return 0, 0, err
	}
	blk := uint64(sb.order.Uint32(p[:]))
	if ptrSize == 8 {
		blk = sb.order.Uint64(p[:])
	}
	if blk >= uint64(sb.bytesUsed) {
		return 0, 0, corrupt("fragment table block out of range")
	}
	c := &cursor{img: img, block: int64(blk), off: int(pos % metaSize), limit: sb.bytesUsed}
	if sb.major == 2 {
		var s32 uint32
		s32, err = c.u32()
		start = uint64(s32)
	} else {
		start, err = c.u64()
	}
	if err != nil {
		return 0, 0, err
	}
	size, err = c.u32()
	return start, size, err
}

// dataBlock reads and decodes a data or fragment block stored at off with
// the on-disk size word size; want is the expected decoded size or -1. The
// block is decoded into a buffer of img.bufs, which the caller gives back
// once the block is consumed.
func (img *image) dataBlock(off uint64, size uint32, max, want int) ([]byte, error) {
	n := size &^ sizeUncompressed
	if n > img.sb.blockSize || off > uint64(img.sb.bytesUsed) || uint64(n) > uint64(img.sb.bytesUsed)-off {
		return nil, corrupt("data block at %d size %d out of range", off, n)
	}
	src := img.bufs.get()[:n]
	if err := format.ReadFull(img.r, src, int64(off)); err != nil {
		img.bufs.put(src)
		return nil, err
	}
	if size&sizeUncompressed != 0 {
		return src, nil
	}
	out, err := img.decompressTo(img.bufs.get(), src, max, want)
	img.bufs.put(src)
	if err != nil {
		img.bufs.put(out)
		return nil, err
	}
	return out, nil
}

// blockBufs recycles the buffers data blocks are read and decoded into:
// allocating a fresh one clears it first, which costs as much as a fifth
// of decoding. At most cap(free) idle buffers are kept.
type blockBufs struct {
	size int
	free chan []byte
}

func newBlockBufs(size int) *blockBufs {
	return &blockBufs{size: size, free: make(chan []byte, 2*readAhead+4)}
}

// get returns an empty buffer with room for a block.
func (b *blockBufs) get() []byte {
	select {
	case p := <-b.free:
		return p
	default:
		return make([]byte, 0, b.size)
	}
}

// put gives back a buffer that nothing refers to any more.
func (b *blockBufs) put(p []byte) {
	if cap(p) < b.size {
		return
	}
	select {
	case b.free <- p[:0]:
	default:
	}
}

// loadIDs reads the uid/gid tables; failures leave them empty.
func (img *image) loadIDs() error {
	sb := img.sb
	if sb.major < 4 {
		var err error
		img.uids, err = img.rawIDs(sb.idStart, sb.idCount)
		if err != nil {
			return err
		}
		img.gids, err = img.rawIDs(sb.gidStart, sb.gidCount)
		return err
	}
	if sb.idCount == 0 {
		return nil
	}
	nblk := (uint64(sb.idCount)*4 + metaSize - 1) / metaSize
	idx, err := format.Bytes(img.r, int64(sb.idStart), int64(nblk*8), sb.bytesUsed)
	if err != nil {
		return fmt.Errorf("id table: %w", err)
	}
	ids := make([]uint32, 0, sb.idCount)
	for i := uint64(0); i < nblk; i++ {
		blk := sb.order.Uint64(idx[i*8:])
		c := &cursor{img: img, block: int64(min(blk, uint64(sb.bytesUsed))), limit: sb.bytesUsed}
		for j := 0; j < metaSize/4 && len(ids) < int(sb.idCount); j++ {
			v, err := c.u32()
			if err != nil {
				return fmt.Errorf("id table: %w", err)
			}
			ids = append(ids, v)
		}
	}
	img.uids, img.gids = ids, ids
	return nil
}

func (img *image) rawIDs(off uint64, n uint32) ([]uint32, error) {
	if n == 0 {
		return nil, nil
	}
	b, err := format.Bytes(img.r, int64(min(off, uint64(img.sb.bytesUsed))), int64(n)*4, img.sb.bytesUsed)
	if err != nil {
		return nil, fmt.Errorf("id table: %w", err)
	}
	ids := make([]uint32, n)
	for i := range ids {
		ids[i] = img.sb.order.Uint32(b[i*4:])
	}
	return ids, nil
}
