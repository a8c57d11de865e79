package ubifs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// On-flash constants of UBIFS (Linux fs/ubifs/ubifs-media.h, little endian).
const (
	nodeMagic = 0x06101831
	chSize    = 24
	blockSize = 4096

	inoNode  = 0
	dataNode = 1
	dentNode = 2
	xentNode = 3
	padNode  = 5
	sbNode   = 6
	mstNode  = 7
	refNode  = 8
	idxNode  = 9
	csNode   = 10

	keyIno  = 0
	keyData = 1
	keyDent = 2

	comprNone = 0
	comprLZO  = 1
	comprZlib = 2
	comprZstd = 3

	inoHdrSize  = 160
	dentHdrSize = 56
	dataHdrSize = 48
	branchSize  = 20 // lnum, offs, len and an 8-byte key
	sbSize      = 4096
	mstSize     = 512
	minLEB      = 1 << 10
	maxLEB      = 1 << 26

	logLnum = 3    // first LEB of the log
	padByte = 0xCE // fills gaps too small for a padding node
)

var (
	magicBytes = []byte{0x31, 0x18, 0x10, 0x06}
	errNode    = errors.New("ubifs: bad node")
)

// crc is UBIFS's CRC32: IEEE seeded with 0xFFFFFFFF, no final inversion.
func crc(p []byte) uint32 { return ^crc32.ChecksumIEEE(p) }

type chdr struct {
	sqnum uint64
	len   uint32
	typ   uint8
}

// checkNode validates the common header and CRC of the node at the start
// of p (which may be longer than the node).
func checkNode(p []byte) (chdr, error) {
	if len(p) < chSize || binary.LittleEndian.Uint32(p) != nodeMagic {
		return chdr{}, fmt.Errorf("%w: no magic", errNode)
	}
	h := chdr{
		sqnum: binary.LittleEndian.Uint64(p[8:]),
		len:   binary.LittleEndian.Uint32(p[16:]),
		typ:   p[20],
	}
	if h.len < chSize || int64(h.len) > int64(len(p)) {
		return h, fmt.Errorf("%w: length %d", errNode, h.len)
	}
	if crc(p[8:h.len]) != binary.LittleEndian.Uint32(p[4:]) {
		return h, fmt.Errorf("%w: CRC mismatch", errNode)
	}
	return h, nil
}

// key is the simple key format: inode number, type and hash or block.
type key struct {
	inum uint32
	typ  uint8
	val  uint32
}

func parseKey(p []byte) key {
	v := binary.LittleEndian.Uint32(p[4:])
	return key{inum: binary.LittleEndian.Uint32(p), typ: uint8(v >> 29), val: v & 0x1FFFFFFF}
}

type superblock struct {
	keyFmt     uint8
	minIO      uint32
	lebSize    uint32
	lebCnt     uint32
	logLEBs    uint32
	fmtVersion uint32
	defComp    uint16
	fanout     uint32
	flags      uint32
}

func parseSuperblock(p []byte) (superblock, error) {
	h, err := checkNode(p)
	if err != nil {
		return superblock{}, err
	}
	if h.typ != sbNode || h.len < 128 {
		return superblock{}, fmt.Errorf("%w: not a superblock", errNode)
	}
	le := binary.LittleEndian
	sb := superblock{
		keyFmt:     p[27],
		flags:      le.Uint32(p[28:]),
		minIO:      le.Uint32(p[32:]),
		lebSize:    le.Uint32(p[36:]),
		lebCnt:     le.Uint32(p[40:]),
		logLEBs:    le.Uint32(p[56:]),
		fanout:     le.Uint32(p[72:]),
		fmtVersion: le.Uint32(p[80:]),
		defComp:    le.Uint16(p[84:]),
	}
	if sb.lebSize < minLEB || sb.lebSize > maxLEB || sb.keyFmt != 0 {
		return sb, fmt.Errorf("%w: LEB size %d, key format %d", errNode, sb.lebSize, sb.keyFmt)
	}
	return sb, nil
}

type master struct {
	sqnum    uint64
	cmtNo    uint64
	logLnum  uint32
	rootLnum uint32
	rootOffs uint32
	rootLen  uint32
}

func parseMaster(p []byte, h chdr) (master, bool) {
	if h.typ != mstNode || h.len < 60 {
		return master{}, false
	}
	le := binary.LittleEndian
	return master{
		sqnum:    h.sqnum,
		cmtNo:    le.Uint64(p[32:]),
		logLnum:  le.Uint32(p[44:]),
		rootLnum: le.Uint32(p[48:]),
		rootOffs: le.Uint32(p[52:]),
		rootLen:  le.Uint32(p[56:]),
	}, true
}

type inode struct {
	sqnum    uint64
	size     uint64
	mtime    int64
	mtimeNs  uint32
	nlink    uint32
	uid, gid uint32
	mode     uint32
	data     []byte // symlink target or device number
}

type dent struct {
	sqnum uint64
	inum  uint64
	typ   uint8
	name  string
}

type dataRef struct {
	sqnum uint64
	off   int64 // absolute offset of the node
	len   uint32
}

func compName(c uint16) string {
	switch c {
	case comprNone:
		return "none"
	case comprLZO:
		return "lzo"
	case comprZlib:
		return "zlib"
	case comprZstd:
		return "zstd"
	}
	return fmt.Sprintf("compressor %d", c)
}
