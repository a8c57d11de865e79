package cramfs

import (
	"io"

	"github.com/thingsec/thingsec/internal/unpack/decomp"
	"github.com/thingsec/thingsec/internal/unpack/format"
)

// The superblock does not record the block size. It shows in the first
// file larger than one 4 KiB page: only the right size puts the end of the
// pointer table where its first block starts and inflates that block to a
// whole block.
var blockSizes = []int64{4096, 8192, 16384, 32768, 65536}

// maxProbe bounds the inodes looked at.
const maxProbe = 4096

func detectBlockSize(r io.ReaderAt, s *super) int64 {
	dirs := []inode{s.root}
	seen := map[int64]bool{}
	var b [inodeLen]byte
	for probed := 0; len(dirs) > 0 && probed < maxProbe; {
		d := dirs[0]
		dirs = dirs[1:]
		if seen[d.offset] || d.offset+d.size > s.size {
			continue
		}
		seen[d.offset] = true
		for off := d.offset; off+inodeLen <= d.offset+d.size && probed < maxProbe; probed++ {
			if format.ReadFull(r, b[:], off) != nil {
				break
			}
			in := decodeInode(s.bo, b[:])
			off += inodeLen + in.nameLen
			switch in.mode & 0o170000 {
			case 0o040000:
				dirs = append(dirs, in)
			case 0o100000:
				if in.size > pageSize {
					return blockSizeOf(r, s, in)
				}
			}
		}
	}
	return pageSize
}

func blockSizeOf(r io.ReaderAt, s *super, in inode) int64 {
	var pb [4]byte
	if format.ReadFull(r, pb[:], in.offset) != nil {
		return pageSize
	}
	ptr := s.bo.Uint32(pb[:])
	if s.flags&flagExtBlockPtrs != 0 {
		if ptr&blkFlags != 0 {
			return pageSize // direct pointers do not tell
		}
	}
	for _, bs := range blockSizes {
		n := (in.size + bs - 1) / bs
		start, end := in.offset+4*n, int64(ptr)
		if end <= start || end-start > 2*bs || end > s.size {
			continue
		}
		src := make([]byte, end-start)
		if format.ReadFull(r, src, start) != nil {
			continue
		}
		out, err := decomp.Block(decomp.Zlib, src, int(bs))
		if err == nil && int64(len(out)) == min(bs, in.size) {
			return bs
		}
	}
	return pageSize
}
