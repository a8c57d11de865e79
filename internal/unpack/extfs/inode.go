package extfs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

const (
	flagIndex   = 0x1000
	flagEncrypt = 0x800
	flagExtents = 0x80000
	flagInline  = 0x10000000

	extentMagic    = 0xF30A
	maxExtentDepth = 5
)

var (
	errBadInode  = errors.New("inode number out of range")
	errBadBlock  = errors.New("block number out of range")
	errBadExtent = errors.New("corrupt extent tree")
	errLoop      = errors.New("block referenced twice in one file's map")
)

// fsys is an opened ext file system.
type fsys struct {
	r    io.ReaderAt
	size int64
	sb   *superblock
}

// inode is a decoded on-disk inode.
type inode struct {
	num     uint32
	mode    uint16
	uid     uint32
	gid     uint32
	size    uint64
	links   uint16
	mtime   time.Time
	flags   uint32
	blocks  uint64 // i_blocks in 512-byte units
	fileACL uint64
	block   [60]byte
	raw     []byte // the whole on-disk inode, for inline data xattrs
}

func (f *fsys) blockOff(b uint64) (int64, error) {
	if b >= f.sb.blocksCount || b == 0 {
		return 0, fmt.Errorf("%w: %d", errBadBlock, b)
	}
	return int64(b) * f.sb.blockSize, nil
}

// readBlock reads one file system block.
func (f *fsys) readBlock(b uint64) ([]byte, error) {
	off, err := f.blockOff(b)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, f.sb.blockSize)
	if err := format.ReadFull(f.r, buf, off); err != nil {
		return nil, fmt.Errorf("block %d: %w", b, err)
	}
	return buf, nil
}

// inodeTable returns the first block of group g's inode table.
func (f *fsys) inodeTable(g uint64) (uint64, error) {
	sb := f.sb
	perBlock := uint64(sb.blockSize / sb.descSize)
	descBlock := uint64(sb.firstDataBlock) + 1 + g/perBlock
	if mg := g / perBlock; sb.has(incompatMetaBG) && mg >= uint64(sb.firstMetaBG) {
		// meta_bg: each run of perBlock groups keeps its descriptor block
		// in its own first group, after that group's superblock backup.
		first := mg * perBlock
		descBlock = uint64(sb.firstDataBlock) + first*uint64(sb.blocksPerGroup)
		if sb.hasSuperBackup(first) {
			descBlock++
		}
	}
	off, err := f.blockOff(descBlock)
	if err != nil {
		return 0, err
	}
	off += int64(g%perBlock) * sb.descSize
	d := make([]byte, sb.descSize)
	if err := format.ReadFull(f.r, d, off); err != nil {
		return 0, fmt.Errorf("group descriptor %d: %w", g, err)
	}
	t := uint64(binary.LittleEndian.Uint32(d[8:]))
	if sb.descSize >= 64 && sb.has(incompat64Bit) {
		t |= uint64(binary.LittleEndian.Uint32(d[0x28:])) << 32
	}
	return t, nil
}

// hasSuperBackup tells whether group g holds a superblock copy: all groups,
// or with sparse_super only groups 0, 1 and powers of 3, 5 and 7.
func (sb *superblock) hasSuperBackup(g uint64) bool {
	if sb.featRoCompat&roCompatSparseSuper == 0 || g <= 1 {
		return true
	}
	for _, base := range []uint64{3, 5, 7} {
		n := base
		for n < g {
			n *= base
		}
		if n == g {
			return true
		}
	}
	return false
}

func (f *fsys) readInode(n uint32) (*inode, error) {
	sb := f.sb
	if n == 0 || n > sb.inodesCount {
		return nil, fmt.Errorf("%w: %d", errBadInode, n)
	}
	g := uint64(n-1) / uint64(sb.inodesPerGroup)
	idx := int64(n-1) % int64(sb.inodesPerGroup)
	table, err := f.inodeTable(g)
	if err != nil {
		return nil, err
	}
	off, err := f.blockOff(table)
	if err != nil {
		return nil, fmt.Errorf("inode table of group %d: %w", g, err)
	}
	off += idx * sb.inodeSize
	if off/sb.blockSize >= int64(sb.blocksCount) {
		return nil, fmt.Errorf("inode %d: %w", n, errBadBlock)
	}
	raw := make([]byte, sb.inodeSize)
	if err := format.ReadFull(f.r, raw, off); err != nil {
		return nil, fmt.Errorf("inode %d: %w", n, err)
	}
	le := binary.LittleEndian
	in := &inode{
		num:     n,
		mode:    le.Uint16(raw[0:]),
		uid:     uint32(le.Uint16(raw[2:])) | uint32(le.Uint16(raw[0x78:]))<<16,
		gid:     uint32(le.Uint16(raw[0x18:])) | uint32(le.Uint16(raw[0x7A:]))<<16,
		size:    uint64(le.Uint32(raw[4:])) | uint64(le.Uint32(raw[0x6C:]))<<32,
		links:   le.Uint16(raw[0x1A:]),
		flags:   le.Uint32(raw[0x20:]),
		blocks:  uint64(le.Uint32(raw[0x1C:])) | uint64(le.Uint16(raw[0x74:]))<<32,
		fileACL: uint64(le.Uint32(raw[0x68:])) | uint64(le.Uint16(raw[0x76:]))<<32,
		raw:     raw,
	}
	copy(in.block[:], raw[0x28:0x28+60])
	sec := int64(int32(le.Uint32(raw[0x10:])))
	var nsec int64
	if sb.inodeSize > 128 {
		extra := int64(le.Uint16(raw[0x80:]))
		if extra >= 12 && 128+extra <= sb.inodeSize {
			x := le.Uint32(raw[0x88:])
			sec += int64(x&3) << 32
			nsec = int64(x >> 2)
			if nsec >= 1e9 {
				nsec = 0
			}
		}
	}
	in.mtime = time.Unix(sec, nsec).UTC()
	return in, nil
}

// run maps count logical blocks from logical to physical (phys 0: a hole,
// e.g. an uninitialised extent, read as zeros).
type run struct {
	logical, phys, count uint64
}

// blockRuns returns the logical-to-physical map of a file with nblocks
// blocks. Every index block is read at most once (a visited set), so a
// hostile map costs at most one pass over the image.
func (f *fsys) blockRuns(in *inode, nblocks uint64) ([]run, error) {
	m := &mapper{f: f, seen: map[uint64]bool{}, nblocks: nblocks}
	if in.flags&flagExtents != 0 {
		err := m.extentNode(in.block[:], maxExtentDepth+1)
		return m.runs, err
	}
	le := binary.LittleEndian
	per := uint64(f.sb.blockSize / 4)
	for i := 0; i < 12; i++ {
		m.add(uint64(i), uint64(le.Uint32(in.block[4*i:])))
	}
	base := uint64(12)
	span := uint64(1)
	for level := 1; level <= 3; level++ {
		span *= per
		b := uint64(le.Uint32(in.block[4*(11+level):]))
		if base >= nblocks {
			break
		}
		if b != 0 {
			if err := m.indirect(b, level, base); err != nil {
				return m.runs, err
			}
		}
		base += span
	}
	return m.runs, nil
}

type mapper struct {
	f       *fsys
	seen    map[uint64]bool
	nblocks uint64
	runs    []run
}

func (m *mapper) add(logical, phys uint64) {
	if phys == 0 || logical >= m.nblocks {
		return
	}
	if n := len(m.runs); n > 0 {
		last := &m.runs[n-1]
		if last.phys != 0 && last.logical+last.count == logical && last.phys+last.count == phys {
			last.count++
			return
		}
	}
	m.runs = append(m.runs, run{logical, phys, 1})
}

func (m *mapper) visit(b uint64) ([]byte, error) {
	if m.seen[b] {
		return nil, errLoop
	}
	m.seen[b] = true
	return m.f.readBlock(b)
}

// indirect walks an indirect block of the given level (1 = single) whose
// first entry maps logical block base.
func (m *mapper) indirect(b uint64, level int, base uint64) error {
	data, err := m.visit(b)
	if err != nil {
		return err
	}
	per := uint64(len(data) / 4)
	span := uint64(1)
	for i := 1; i < level; i++ {
		span *= per
	}
	for i := uint64(0); i < per; i++ {
		logical := base + i*span
		if logical >= m.nblocks {
			break
		}
		p := uint64(binary.LittleEndian.Uint32(data[4*i:]))
		if p == 0 {
			continue
		}
		if level == 1 {
			m.add(logical, p)
		} else if err := m.indirect(p, level-1, logical); err != nil {
			return err
		}
	}
	return nil
}

// extentNode walks an extent tree node; depthLeft bounds the recursion.
func (m *mapper) extentNode(node []byte, depthLeft int) error {
	le := binary.LittleEndian
	if len(node) < 12 || le.Uint16(node[0:]) != extentMagic {
		return errBadExtent
	}
	entries := int(le.Uint16(node[2:]))
	depth := int(le.Uint16(node[6:]))
	if depth >= depthLeft || 12+12*entries > len(node) {
		return errBadExtent
	}
	for i := 0; i < entries; i++ {
		e := node[12+12*i:]
		logical := uint64(le.Uint32(e[0:]))
		if logical >= m.nblocks {
			break
		}
		if depth == 0 {
			n := uint64(le.Uint16(e[4:]))
			uninit := n > 32768
			if uninit {
				n -= 32768
			}
			start := uint64(le.Uint16(e[6:]))<<32 | uint64(le.Uint32(e[8:]))
			if uninit || n == 0 {
				continue // reads as zeros
			}
			if start+n > m.f.sb.blocksCount {
				return fmt.Errorf("%w: extent beyond file system", errBadExtent)
			}
			if logical+n > m.nblocks {
				n = m.nblocks - logical
			}
			m.runs = append(m.runs, run{logical, start, n})
			continue
		}
		child := uint64(le.Uint16(e[8:]))<<32 | uint64(le.Uint32(e[4:]))
		data, err := m.visit(child)
		if err != nil {
			return err
		}
		if err := m.extentNode(data, depth); err != nil {
			return err
		}
	}
	return nil
}
