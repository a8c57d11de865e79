package yaffs2

import (
	"encoding/binary"
	"errors"
	"time"
)

// Object types.
const (
	typFile     = 1
	typSymlink  = 2
	typDir      = 3
	typHardlink = 4
	typSpecial  = 5
)

// Well-known object ids.
const (
	rootID     = 1
	lostFound  = 2
	unlinkedID = 3
	deletedID  = 4
)

// hdrLen is the size of the object header at the start of a header chunk.
const hdrLen = 512

// objHeader is the decoded part of yaffs_obj_hdr the unpacker needs.
type objHeader struct {
	typ      uint32
	parent   uint32
	name     string
	mode     uint32
	uid, gid uint32
	mtime    time.Time
	size     int64
	equiv    uint32
	alias    string
	rdev     uint32 // devices, Linux encoding
}

var errHeader = errors.New("yaffs2: bad object header")

// parseHeader decodes and sanity-checks an object header: a known type, a
// NUL-terminated name without '/', and mode bits that agree with the type.
func parseHeader(b []byte, bo binary.ByteOrder) (*objHeader, error) {
	if len(b) < hdrLen {
		return nil, errHeader
	}
	h := &objHeader{typ: bo.Uint32(b[0:]), parent: bo.Uint32(b[4:])}
	if h.typ < typFile || h.typ > typSpecial || h.parent == 0 || h.parent > maxObjID {
		return nil, errHeader
	}
	name, ok := cstr(b[10 : 10+256])
	if !ok || name == "" {
		return nil, errHeader
	}
	for i := 0; i < len(name); i++ {
		if name[i] == '/' {
			return nil, errHeader
		}
	}
	h.name = name
	h.mode = bo.Uint32(b[0x10c:])
	h.uid, h.gid = bo.Uint32(b[0x110:]), bo.Uint32(b[0x114:])
	h.mtime = time.Unix(int64(bo.Uint32(b[0x11c:])), 0).UTC()
	h.size = int64(bo.Uint32(b[0x124:]))
	if hi := bo.Uint32(b[0x1f0:]); hi != 0xffffffff && hi < 1<<16 {
		h.size |= int64(hi) << 32
	}
	h.equiv = bo.Uint32(b[0x128:])
	h.rdev = bo.Uint32(b[0x1cc:])
	if h.typ == typSymlink {
		if h.alias, ok = cstr(b[0x12c : 0x12c+160]); !ok {
			return nil, errHeader
		}
	}
	want := map[uint32][]uint32{
		typFile:    {0o100000},
		typSymlink: {0o120000},
		typDir:     {0o040000},
		typSpecial: {0o020000, 0o060000, 0o010000, 0o140000},
	}[h.typ]
	if want != nil {
		ok := false
		for _, w := range want {
			ok = ok || h.mode&0o170000 == w
		}
		if !ok || h.mode>>16 != 0 {
			return nil, errHeader
		}
	}
	return h, nil
}

func cstr(b []byte) (string, bool) {
	for i, c := range b {
		if c == 0 {
			return string(b[:i]), true
		}
	}
	return "", false
}
