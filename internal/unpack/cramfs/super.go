package cramfs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

const (
	magic     = 0x28cd3d45
	signature = "Compressed ROMFS"
	sbLen     = 64
	inodeLen  = 12

	flagFSIDv2       = 0x1
	flagHoles        = 0x100
	flagWrongSig     = 0x200
	flagShiftedRoot  = 0x400
	flagExtBlockPtrs = 0x800
	knownFlags       = 0xff | flagHoles | flagWrongSig | flagShiftedRoot | flagExtBlockPtrs

	blkUncompressed = 1 << 31
	blkDirect       = 1 << 30
	blkFlags        = blkUncompressed | blkDirect
)

// padSize is the boot code area mkfs.cramfs -p leaves before the superblock.
const padSize = 512

// super is the decoded superblock.
type super struct {
	sbOff int64 // 0, or padSize for a padded image
	blk   int64 // block (page) size
	bo    binary.ByteOrder
	size  int64
	flags uint32
	crc   uint32
	files uint32
	name  string
	root  inode
}

// inode is a decoded cramfs_inode.
type inode struct {
	mode    uint32
	uid     uint32
	size    int64 // bytes for files/dirs/symlinks, rdev for devices
	gid     uint32
	nameLen int64 // bytes
	offset  int64 // bytes
}

var errNotCramfs = fmt.Errorf("%w: cramfs", format.ErrNotMatch)

// readSuper reads the superblock at 0 or, for a padded image, at 512. All
// offsets in the image count from the start, padding included. The root
// directory must follow the superblock, as the kernel demands, which also
// keeps a padded image from being read at its superblock.
func readSuper(r io.ReaderAt, size int64) (*super, error) {
	s, err := readSuperAt(r, size, 0)
	if err == nil {
		return s, nil
	}
	return readSuperAt(r, size, padSize)
}

func readSuperAt(r io.ReaderAt, size, at int64) (*super, error) {
	var b [sbLen + inodeLen]byte
	if size < at+int64(len(b)) || format.ReadFull(r, b[:], at) != nil {
		return nil, errNotCramfs
	}
	s := &super{sbOff: at, blk: pageSize}
	switch {
	case binary.LittleEndian.Uint32(b[:]) == magic:
		s.bo = binary.LittleEndian
	case binary.BigEndian.Uint32(b[:]) == magic:
		s.bo = binary.BigEndian
	default:
		return nil, errNotCramfs
	}
	s.size = int64(s.bo.Uint32(b[4:]))
	s.flags = s.bo.Uint32(b[8:])
	if string(b[16:32]) != signature && s.flags&flagWrongSig == 0 {
		return nil, errNotCramfs
	}
	s.crc = s.bo.Uint32(b[32:])
	s.files = s.bo.Uint32(b[44:])
	s.name = cstr(b[48:64])
	s.root = decodeInode(s.bo, b[sbLen:])
	if s.flags&flagFSIDv2 == 0 {
		// Version 1 images carry no size; the whole input is the image.
		s.size = size
	}
	if s.root.mode&0o170000 != 0o040000 || s.size < at+int64(len(b)) {
		return nil, errNotCramfs
	}
	if s.root.offset != 0 && s.root.offset != at+sbLen+inodeLen && s.flags&flagShiftedRoot == 0 {
		return nil, errNotCramfs
	}
	return s, nil
}

// decodeInode unpacks the three bitfield words. C bitfields are laid out
// from the least significant bit on little-endian targets and from the
// most significant bit on big-endian ones.
func decodeInode(bo binary.ByteOrder, b []byte) inode {
	w0, w1, w2 := bo.Uint32(b), bo.Uint32(b[4:]), bo.Uint32(b[8:])
	var in inode
	if bo == binary.ByteOrder(binary.LittleEndian) {
		in.mode, in.uid = w0&0xffff, w0>>16
		in.size, in.gid = int64(w1&0xffffff), w1>>24
		in.nameLen, in.offset = int64(w2&0x3f)*4, int64(w2>>6)*4
	} else {
		in.mode, in.uid = w0>>16, w0&0xffff
		in.size, in.gid = int64(w1>>8), w1&0xff
		in.nameLen, in.offset = int64(w2>>26)*4, int64(w2&0x3ffffff)*4
	}
	return in
}

func cstr(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

var errDamaged = errors.New("cramfs: damaged")
