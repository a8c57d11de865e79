// Package extfs reads ext2, ext3 and ext4 file system images: block maps
// and extent trees, 32- and 64-bit group descriptors, inline data, fast and
// slow symlinks, devices and FIFOs. The journal is not replayed.
package extfs

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

const (
	sbOffset = 1024
	sbSize   = 1024
	magic    = 0xEF53

	compatHasJournal = 0x4

	roCompatSparseSuper = 0x1

	incompatFiletype = 0x2
	incompatRecover  = 0x4
	incompatJournDev = 0x8
	incompatMetaBG   = 0x10
	incompatExtents  = 0x40
	incompat64Bit    = 0x80
	incompatInline   = 0x8000
	incompatEncrypt  = 0x10000
)

// Format is the ext2/3/4 unpacker.
type Format struct{}

// New returns the ext2/3/4 unpacker.
func New() format.Format { return Format{} }

func (Format) Name() string      { return "extfs" }
func (Format) Kind() format.Kind { return format.FileSystem }

func (Format) Signatures() []format.Signature {
	return []format.Signature{{Magic: []byte{0x53, 0xEF}, Offset: 0x438}}
}

// superblock holds the fields the reader needs, already validated.
type superblock struct {
	inodesCount    uint32
	blocksCount    uint64
	firstDataBlock uint32
	blockSize      int64
	blocksPerGroup uint32
	inodesPerGroup uint32
	inodeSize      int64
	descSize       int64
	firstMetaBG    uint32
	featCompat     uint32
	featIncompat   uint32
	featRoCompat   uint32
	groups         uint64
}

func (sb *superblock) has(f uint32) bool { return sb.featIncompat&f != 0 }

func notMatch(why string) error { return format.NotMatch(why) }

func readSuperblock(r io.ReaderAt, size int64) (*superblock, error) {
	if size < sbOffset+sbSize {
		return nil, notMatch("too small for an ext superblock")
	}
	// The fixed fields of the first 80 bytes first: a candidate in a
	// flood of magics is rejected without reading the whole superblock.
	var head [0x50]byte
	if err := format.ReadFull(r, head[:], sbOffset); err != nil {
		return nil, notMatch("short superblock")
	}
	if le := binary.LittleEndian; le.Uint16(head[0x38:]) != magic || le.Uint32(head[0x18:]) > 6 || le.Uint32(head[0x4C:]) > 1 ||
		le.Uint32(head[0x14:]) > 1 || le.Uint32(head[0x20:]) == 0 || le.Uint32(head[0x28:]) == 0 {
		return nil, notMatch("bad ext superblock")
	}
	b := make([]byte, sbSize)
	if err := format.ReadFull(r, b, sbOffset); err != nil {
		return nil, notMatch("short superblock")
	}
	le := binary.LittleEndian
	if le.Uint16(b[0x38:]) != magic {
		return nil, notMatch("bad ext magic")
	}
	sb := &superblock{
		inodesCount:    le.Uint32(b[0x00:]),
		blocksCount:    uint64(le.Uint32(b[0x04:])),
		firstDataBlock: le.Uint32(b[0x14:]),
		blocksPerGroup: le.Uint32(b[0x20:]),
		inodesPerGroup: le.Uint32(b[0x28:]),
		inodeSize:      128,
		descSize:       32,
	}
	logBS := le.Uint32(b[0x18:])
	if logBS > 6 {
		return nil, notMatch("bad block size")
	}
	sb.blockSize = 1024 << logBS
	rev := le.Uint32(b[0x4C:])
	if rev > 1 {
		return nil, notMatch("unknown revision")
	}
	if rev == 1 {
		sb.inodeSize = int64(le.Uint16(b[0x58:]))
		sb.featCompat = le.Uint32(b[0x5C:])
		sb.featIncompat = le.Uint32(b[0x60:])
		sb.featRoCompat = le.Uint32(b[0x64:])
		sb.firstMetaBG = le.Uint32(b[0x104:])
	}
	if sb.inodeSize < 128 || sb.inodeSize > sb.blockSize || sb.inodeSize&(sb.inodeSize-1) != 0 {
		return nil, notMatch("bad inode size")
	}
	if sb.has(incompat64Bit) {
		sb.blocksCount |= uint64(le.Uint32(b[0x150:])) << 32
		sb.descSize = int64(le.Uint16(b[0xFE:]))
		if sb.descSize < 32 || sb.descSize > 1024 || sb.descSize&(sb.descSize-1) != 0 {
			return nil, notMatch("bad group descriptor size")
		}
	}
	bits := uint32(8 * sb.blockSize)
	if sb.blocksPerGroup == 0 || sb.blocksPerGroup > bits || sb.inodesPerGroup == 0 || sb.inodesPerGroup > bits {
		return nil, notMatch("bad group geometry")
	}
	wantFirst := uint32(0)
	if sb.blockSize == 1024 {
		wantFirst = 1
	}
	if sb.firstDataBlock != wantFirst || sb.blocksCount <= uint64(sb.firstDataBlock) {
		return nil, notMatch("bad block count")
	}
	if sb.blocksCount > (1<<62)/uint64(sb.blockSize) {
		return nil, notMatch("block count too large")
	}
	sb.groups = (sb.blocksCount - uint64(sb.firstDataBlock) + uint64(sb.blocksPerGroup) - 1) / uint64(sb.blocksPerGroup)
	// mke2fs always sets inodes_count to groups * inodes_per_group; this
	// makes the two-byte magic a much stronger signature.
	if uint64(sb.inodesCount) != sb.groups*uint64(sb.inodesPerGroup) {
		return nil, notMatch("inode count does not match group geometry")
	}
	return sb, nil
}

func (Format) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	sb, err := readSuperblock(r, size)
	if err != nil {
		return format.Match{}, err
	}
	kind := "ext2"
	switch {
	case sb.has(incompatExtents) || sb.has(incompat64Bit) || sb.has(incompatInline):
		kind = "ext4"
	case sb.featCompat&compatHasJournal != 0:
		kind = "ext3"
	}
	if sb.has(incompatJournDev) {
		return format.Match{
			Size:        int64(sb.blocksCount) * sb.blockSize,
			Description: "ext3/4 external journal device",
		}, nil
	}
	return format.Match{
		Size:        int64(sb.blocksCount) * sb.blockSize,
		Description: fmt.Sprintf("%s file system, block size %d, %d blocks, %d inodes", kind, sb.blockSize, sb.blocksCount, sb.inodesCount),
		Extractable: true,
	}, nil
}
