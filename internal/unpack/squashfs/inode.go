package squashfs

import (
	"io/fs"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// Basic inode types; the extended ("l") variants of 4.0 are base+7.
const (
	typeDir = 1 + iota
	typeFile
	typeSymlink
	typeBlk
	typeChr
	typeFifo
	typeSock
	typeLDir
	typeLFile
)

const noFragment = 0xffffffff

// inode is the parsed form of an inode of any version.
type inode struct {
	kind  int // basic type 1..7
	perm  uint16
	uid   uint32 // raw id table indexes
	gid   uint32
	mtime int64

	// directories: listing position in the directory table
	dirBlock uint64
	dirOff   uint32
	dirSize  uint64

	// regular files
	blocksStart uint64
	fileSize    uint64
	frag        uint32
	fragOff     uint32
	blockList   cursor // positioned at the block size list

	target string // symlinks
	rdev   uint32 // devices, Linux encoding
}

func (n *inode) mode() fs.FileMode {
	// The type comes from the inode kind, not from the st_mode type bits.
	m := format.UnixMode(uint32(n.perm) & 0o7777)
	switch n.kind {
	case typeDir:
		m |= fs.ModeDir
	case typeSymlink:
		m |= fs.ModeSymlink
	case typeBlk:
		m |= fs.ModeDevice
	case typeChr:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case typeFifo:
		m |= fs.ModeNamedPipe
	case typeSock:
		m |= fs.ModeSocket
	}
	return m
}

// maxSymlink bounds symlink targets (PATH_MAX is 4096).
const maxSymlink = 65535

// readInode parses the inode at ref (block offset relative to the inode
// table << 16 | offset in the decoded block).
func (img *image) readInode(ref uint64) (*inode, error) {
	sb := img.sb
	blk := ref >> 16
	if blk >= sb.dirStart-sb.inodeStart {
		return nil, corrupt("inode reference %#x out of range", ref)
	}
	c := &cursor{img: img, block: int64(sb.inodeStart + blk), off: int(ref & 0xffff), limit: int64(sb.dirStart)}
	switch sb.major {
	case 4:
		return img.readInode4(c)
	case 3:
		return img.readInode3(c)
	}
	return img.readInode2(c)
}

func (img *image) readInode4(c *cursor) (*inode, error) {
	h, err := c.read(16)
	if err != nil {
		return nil, err
	}
	o := img.sb.order
	t := int(o.Uint16(h))
	n := &inode{perm: o.Uint16(h[2:]) & 0o7777, uid: uint32(o.Uint16(h[4:])), gid: uint32(o.Uint16(h[6:])), mtime: int64(o.Uint32(h[8:]))}
	if t < typeDir || t > 14 {
		return nil, corrupt("inode type %d", t)
	}
	n.kind = t
	if t > typeSock {
		n.kind = t - 7
	}
	switch t {
	case typeDir:
		b, err := c.read(16)
		if err != nil {
			return nil, err
		}
		n.dirBlock, n.dirSize, n.dirOff = uint64(o.Uint32(b)), uint64(o.Uint16(b[8:])), uint32(o.Uint16(b[10:]))
	case typeLDir:
		b, err := c.read(24)
		if err != nil {
			return nil, err
		}
		n.dirSize, n.dirBlock, n.dirOff = uint64(o.Uint32(b[4:])), uint64(o.Uint32(b[8:])), uint32(o.Uint16(b[18:]))
	case typeFile:
		b, err := c.read(16)
		if err != nil {
			return nil, err
		}
		n.blocksStart, n.frag, n.fragOff, n.fileSize = uint64(o.Uint32(b)), o.Uint32(b[4:]), o.Uint32(b[8:]), uint64(o.Uint32(b[12:]))
		n.blockList = *c
	case typeLFile:
		b, err := c.read(40)
		if err != nil {
			return nil, err
		}
		n.blocksStart, n.fileSize, n.frag, n.fragOff = o.Uint64(b), o.Uint64(b[8:]), o.Uint32(b[28:]), o.Uint32(b[32:])
		n.blockList = *c
	case typeSymlink, typeSymlink + 7:
		b, err := c.read(8)
		if err != nil {
			return nil, err
		}
		if err := readTarget(c, n, o.Uint32(b[4:])); err != nil {
			return nil, err
		}
	case typeBlk, typeChr, typeBlk + 7, typeChr + 7:
		b, err := c.read(8) // nlink rdev
		if err != nil {
			return nil, err
		}
		n.rdev = o.Uint32(b[4:])
	}
	// Fifos and sockets need nothing beyond the header.
	return n, nil
}

func readTarget(c *cursor, n *inode, size uint32) error {
	if size > maxSymlink {
		return corrupt("symlink target of %d bytes", size)
	}
	b, err := c.read(int(size))
	if err != nil {
		return err
	}
	n.target = string(b)
	return nil
}

// bitReader reads the packed bitfields of 2.x/3.x structures: GCC
// allocates them from the least significant bit on little-endian hosts and
// from the most significant bit on big-endian ones, so a little-endian image
// is an LSB-first bit stream and a big-endian one an MSB-first stream.
type bitReader struct {
	b   []byte
	pos int
	be  bool
}

func (r *bitReader) get(n int) uint64 {
	var v uint64
	for i := 0; i < n; i++ {
		p := r.pos + i
		if p/8 >= len(r.b) {
			break
		}
		if r.be {
			v = v<<1 | uint64(r.b[p/8]>>(7-p%8)&1)
		} else {
			v |= uint64(r.b[p/8]>>(p%8)&1) << i
		}
	}
	r.pos += n
	return v
}

func (img *image) bits(c *cursor, n int) (*bitReader, error) {
	b, err := c.read(n)
	if err != nil {
		return nil, err
	}
	return &bitReader{b: b, be: img.sb.order.Uint16([]byte{0, 1}) == 1}, nil
}

// readInode3 parses a 3.x inode: a 12-byte base (type:4 mode:12 uid:8
// guid:8 mtime inode_number) and a type-specific part.
func (img *image) readInode3(c *cursor) (*inode, error) {
	br, err := img.bits(c, 12)
	if err != nil {
		return nil, err
	}
	n := &inode{}
	t := int(br.get(4))
	n.perm, n.uid, n.gid, n.mtime = uint16(br.get(12)), uint32(br.get(8)), uint32(br.get(8)), int64(int32(br.get(32)))
	if t < typeDir || t > typeLFile {
		return nil, corrupt("inode type %d", t)
	}
	n.kind = t
	switch t {
	case typeDir: // nlink file_size:19 offset:13 start_block parent
		b, err := img.bits(c, 16)
		if err != nil {
			return nil, err
		}
		b.get(32)
		n.dirSize, n.dirOff, n.dirBlock = b.get(19), uint32(b.get(13)), b.get(32)
	case typeLDir: // nlink file_size:27 offset:13 start_block i_count:16 parent
		b, err := img.bits(c, 19)
		if err != nil {
			return nil, err
		}
		b.get(32)
		n.dirSize, n.dirOff, n.dirBlock = b.get(27), uint32(b.get(13)), b.get(32)
		n.kind = typeDir
	case typeFile: // start_block:64 fragment offset file_size:32
		b, err := img.bits(c, 20)
		if err != nil {
			return nil, err
		}
		n.blocksStart, n.frag, n.fragOff, n.fileSize = b.get(64), uint32(b.get(32)), uint32(b.get(32)), b.get(32)
		n.blockList = *c
	case typeLFile: // nlink start_block:64 fragment offset file_size:64
		b, err := img.bits(c, 28)
		if err != nil {
			return nil, err
		}
		b.get(32)
		n.blocksStart, n.frag, n.fragOff, n.fileSize = b.get(64), uint32(b.get(32)), uint32(b.get(32)), b.get(64)
		n.blockList = *c
		n.kind = typeFile
	case typeSymlink: // nlink symlink_size:16 target
		b, err := img.bits(c, 6)
		if err != nil {
			return nil, err
		}
		b.get(32)
		if err := readTarget(c, n, uint32(b.get(16))); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// readInode2 parses a 2.x inode: a 4-byte base (type:4 mode:12 uid:8
// guid:8) without time or number, and a type-specific part.
func (img *image) readInode2(c *cursor) (*inode, error) {
	br, err := img.bits(c, 4)
	if err != nil {
		return nil, err
	}
	n := &inode{mtime: img.sb.mkfsTime}
	t := int(br.get(4))
	n.perm, n.uid, n.gid = uint16(br.get(12)), uint32(br.get(8)), uint32(br.get(8))
	if t < typeDir || t > typeLDir {
		return nil, corrupt("inode type %d", t)
	}
	n.kind = t
	switch t {
	case typeDir: // file_size:19 offset:13 mtime start_block:24
		b, err := img.bits(c, 11)
		if err != nil {
			return nil, err
		}
		n.dirSize, n.dirOff = b.get(19), uint32(b.get(13))
		n.mtime, n.dirBlock = int64(int32(b.get(32))), b.get(24)
	case typeLDir: // file_size:27 offset:13 mtime start_block:24 i_count:16
		b, err := img.bits(c, 14)
		if err != nil {
			return nil, err
		}
		n.dirSize, n.dirOff = b.get(27), uint32(b.get(13))
		n.mtime, n.dirBlock = int64(int32(b.get(32))), b.get(24)
		n.kind = typeDir
	case typeFile: // mtime start_block fragment offset file_size
		b, err := img.bits(c, 20)
		if err != nil {
			return nil, err
		}
		n.mtime = int64(int32(b.get(32)))
		n.blocksStart, n.frag, n.fragOff, n.fileSize = b.get(32), uint32(b.get(32)), uint32(b.get(32)), b.get(32)
		n.blockList = *c
	case typeSymlink: // symlink_size:16 target
		b, err := img.bits(c, 2)
		if err != nil {
			return nil, err
		}
		if err := readTarget(c, n, uint32(b.get(16))); err != nil {
			return nil, err
		}
	}
	return n, nil
}
