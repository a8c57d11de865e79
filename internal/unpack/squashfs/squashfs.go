// Package squashfs reads SquashFS images: version 4.0 little and big endian
// (AVM) with gzip, lzma, lzo, xz, lz4 and zstd, and the older 3.x and 2.x
// layouts in both byte orders with zlib or vendor lzma compression.
package squashfs

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// New returns the squashfs unpacker.
func New() format.Format { return squashfs{} }

type squashfs struct{}

func (squashfs) Name() string      { return "squashfs" }
func (squashfs) Kind() format.Kind { return format.FileSystem }

func (squashfs) Signatures() []format.Signature {
	return []format.Signature{
		{Magic: []byte("hsqs"), Offset: 0},
		{Magic: []byte("sqsh"), Offset: 0},
	}
}

func (squashfs) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	sb, err := readSuper(r, size)
	if err != nil {
		return format.Match{}, err
	}
	return format.Match{Size: sb.bytesUsed, Description: sb.describe(r), Extractable: true}, nil
}

func (squashfs) Extract(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	sb, err := readSuper(r, size)
	if err != nil {
		return err
	}
	img := newImage(r, sb)
	return img.walk(ctx, sink)
}

// Compression ids of the 4.0 superblock.
const (
	compZlib = 1
	compLZMA = 2
	compLZO  = 3
	compXZ   = 4
	compLZ4  = 5
	compZstd = 6
	// compDetect marks 2.x/3.x images whose superblock has no compression
	// id: each block is zlib or (vendor) lzma, told apart by its first bytes.
	compDetect = 0
)

var compNames = map[int]string{compZlib: "gzip", compLZMA: "lzma", compLZO: "lzo", compXZ: "xz", compLZ4: "lz4", compZstd: "zstd", compDetect: "zlib/lzma"}

const noTable = ^uint64(0)

// super is the superblock of any version, reduced to what the reader needs.
type super struct {
	order      binary.ByteOrder
	major      int
	minor      int
	comp       int
	inodes     uint32
	mkfsTime   int64
	blockSize  uint32
	blockLog   uint16
	flags      uint16
	fragments  uint32
	idCount    uint32 // v4 ids; v2/v3 uids
	gidCount   uint32 // v2/v3 only
	rootInode  uint64
	bytesUsed  int64
	idStart    uint64 // v4 id index; v2/v3 uid table
	gidStart   uint64 // v2/v3
	inodeStart uint64
	dirStart   uint64
	fragStart  uint64
	otherEnds  []uint64 // starts of the other tables, bounding the directory table
}

func (s *super) describe(r io.ReaderAt) string {
	e := "little endian"
	if s.order == binary.BigEndian {
		e = "big endian"
	}
	comp := compNames[s.comp]
	if s.comp == compDetect {
		// Name what the first inode block uses.
		var b [5]byte
		hdr := 2
		if s.flags&0x04 != 0 {
			hdr = 3
		}
		if n, _ := r.ReadAt(b[:], int64(s.inodeStart)); n == len(b) && s.order.Uint16(b[:])&0x8000 == 0 {
			comp = "lzma"
			if isZlib(b[hdr:]) {
				comp = "zlib"
			}
		}
	}
	return fmt.Sprintf("squashfs %d.%d %s, %s, %d inodes, block %d", s.major, s.minor, e, comp, s.inodes, s.blockSize)
}

func notMatch(why string) error { return format.NotMatch("squashfs: " + why) }

// readSuper reads and validates the superblock of any supported version.
func readSuper(r io.ReaderAt, size int64) (*super, error) {
	var b [120]byte
	n, _ := r.ReadAt(b[:], 0)
	if n < 64 {
		return nil, notMatch("too short")
	}
	var o binary.ByteOrder
	switch string(b[:4]) {
	case "hsqs":
		o = binary.LittleEndian
	case "sqsh":
		o = binary.BigEndian
	default:
		return nil, notMatch("bad magic")
	}
	major := int(o.Uint16(b[28:]))
	var s *super
	var err error
	switch major {
	case 4:
		if n < 96 {
			return nil, notMatch("short superblock")
		}
		s, err = parseSuper4(b[:96], o)
	case 3:
		if n < 119 {
			return nil, notMatch("short superblock")
		}
		s, err = parseSuper3(b[:119], o)
	case 2:
		s, err = parseSuper2(b[:63], o)
	default:
		return nil, notMatch("unsupported version") // no formatting: floods make millions of these
	}
	if err != nil {
		return nil, err
	}
	if s.bytesUsed > size {
		return nil, notMatch("bytes_used beyond input")
	}
	if s.inodeStart >= uint64(s.bytesUsed) || s.dirStart >= uint64(s.bytesUsed) || s.inodeStart >= s.dirStart {
		return nil, notMatch("table offsets out of range")
	}
	for _, t := range []uint64{s.fragStart, s.idStart} {
		if t != noTable && t >= uint64(s.bytesUsed) {
			return nil, notMatch("table offsets out of range")
		}
	}
	if s.rootInode>>16 >= s.dirStart-s.inodeStart || s.rootInode&0xffff >= 8192 {
		return nil, notMatch("root inode out of range")
	}
	return s, nil
}

func validBlock(size uint32, log uint16) bool {
	return size >= 4096 && size <= 1<<20 && bits.OnesCount32(size) == 1 && log < 32 && 1<<log == size
}

func parseSuper4(b []byte, o binary.ByteOrder) (*super, error) {
	s := &super{
		order: o, major: 4, minor: int(o.Uint16(b[30:])),
		inodes: o.Uint32(b[4:]), mkfsTime: int64(o.Uint32(b[8:])),
		blockSize: o.Uint32(b[12:]), fragments: o.Uint32(b[16:]),
		comp: int(o.Uint16(b[20:])), blockLog: o.Uint16(b[22:]), flags: o.Uint16(b[24:]),
		idCount: uint32(o.Uint16(b[26:])), rootInode: o.Uint64(b[32:]),
		idStart: o.Uint64(b[48:]), inodeStart: o.Uint64(b[64:]), dirStart: o.Uint64(b[72:]),
		fragStart: o.Uint64(b[80:]),
	}
	used := o.Uint64(b[40:])
	if s.minor != 0 {
		return nil, notMatch("unsupported minor version")
	}
	if !validBlock(s.blockSize, s.blockLog) {
		return nil, notMatch("bad block size")
	}
	if s.comp < compZlib || s.comp > compZstd {
		return nil, notMatch("unknown compressor")
	}
	if used < 96 || used > 1<<62 {
		return nil, notMatch("bad bytes_used")
	}
	s.bytesUsed = int64(used)
	if s.inodeStart < 96 {
		return nil, notMatch("table offsets out of range")
	}
	xattr, export := o.Uint64(b[56:]), o.Uint64(b[88:])
	for _, t := range []uint64{xattr, export} {
		if t != noTable && t >= used {
			return nil, notMatch("table offsets out of range")
		}
	}
	s.otherEnds = []uint64{s.fragStart, s.idStart, xattr, export}
	return s, nil
}

// parseSuper3 reads the packed 3.x superblock (119 bytes).
func parseSuper3(b []byte, o binary.ByteOrder) (*super, error) {
	s := &super{
		order: o, major: 3, minor: int(o.Uint16(b[30:])), comp: compDetect,
		inodes: o.Uint32(b[4:]), blockLog: o.Uint16(b[34:]), flags: uint16(b[36]),
		idCount: uint32(b[37]), gidCount: uint32(b[38]), mkfsTime: int64(o.Uint32(b[39:])),
		rootInode: o.Uint64(b[43:]), blockSize: o.Uint32(b[51:]), fragments: o.Uint32(b[55:]),
		idStart: o.Uint64(b[71:]), gidStart: o.Uint64(b[79:]),
		inodeStart: o.Uint64(b[87:]), dirStart: o.Uint64(b[95:]), fragStart: o.Uint64(b[103:]),
	}
	used := o.Uint64(b[63:])
	if !validBlock(s.blockSize, s.blockLog) {
		return nil, notMatch("bad block size")
	}
	if used < 119 || used > 1<<62 || s.inodeStart < 119 {
		return nil, notMatch("bad bytes_used")
	}
	s.bytesUsed = int64(used)
	if s.gidCount > 0 && s.gidStart >= used {
		return nil, notMatch("table offsets out of range")
	}
	if s.fragments == 0 {
		s.fragStart = noTable
	}
	lookup := o.Uint64(b[111:])
	s.otherEnds = []uint64{s.fragStart, s.idStart, s.gidStart, lookup}
	return s, nil
}

// parseSuper2 reads the 2.x superblock: the first 63 bytes of the 3.x one
// with 32-bit table offsets.
func parseSuper2(b []byte, o binary.ByteOrder) (*super, error) {
	s := &super{
		order: o, major: 2, minor: int(o.Uint16(b[30:])), comp: compDetect,
		inodes: o.Uint32(b[4:]), blockLog: o.Uint16(b[34:]), flags: uint16(b[36]),
		idCount: uint32(b[37]), gidCount: uint32(b[38]), mkfsTime: int64(o.Uint32(b[39:])),
		rootInode: o.Uint64(b[43:]), blockSize: o.Uint32(b[51:]), fragments: o.Uint32(b[55:]),
		idStart: uint64(o.Uint32(b[12:])), gidStart: uint64(o.Uint32(b[16:])),
		inodeStart: uint64(o.Uint32(b[20:])), dirStart: uint64(o.Uint32(b[24:])),
		fragStart: uint64(o.Uint32(b[59:])),
	}
	if s.blockLog >= 12 && s.blockLog <= 16 && (s.blockSize == 0 || s.blockSize > 1<<20) {
		// 2.0 has only the 16-bit size, which wraps to 0 for 64 KiB.
		s.blockSize = 1 << s.blockLog
	}
	if !validBlock(s.blockSize, s.blockLog) {
		return nil, notMatch("bad block size")
	}
	used := uint64(o.Uint32(b[8:]))
	if used < 63 || s.inodeStart < 63 {
		return nil, notMatch("bad bytes_used")
	}
	s.bytesUsed = int64(used)
	if s.gidCount > 0 && s.gidStart >= used {
		return nil, notMatch("table offsets out of range")
	}
	if s.fragments == 0 {
		s.fragStart = noTable
	}
	s.otherEnds = []uint64{s.fragStart, s.idStart, s.gidStart}
	return s, nil
}
