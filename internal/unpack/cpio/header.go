package cpio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// variant is one of the four header encodings.
type variant int

const (
	newc variant = iota
	crc
	odc
	binLE
	binBE
)

func (v variant) String() string {
	return [...]string{"newc", "crc", "odc", "binary little endian", "binary big endian"}[v]
}

// maxName bounds a member name (PATH_MAX); longer names are treated as damage.
const maxName = 4096

// header is the decoded fixed part of one member plus where its parts lie.
type header struct {
	v        variant
	dev      uint64 // devmajor<<32 | devminor for newc
	ino      uint64
	mode     uint32
	uid, gid uint32
	nlink    uint32
	mtime    int64
	size     int64
	rdevMaj  uint32
	rdevMin  uint32
	check    uint32
	name     string
	bad      string // why the stored name is unusable ("" when it is fine)
	dataOff  int64  // absolute offset of the member data
	next     int64  // absolute offset of the next header
}

var errHeader = errors.New("bad cpio header")

// sniff returns the variant whose magic starts b.
func sniff(b []byte) (variant, bool) {
	if len(b) >= 6 {
		switch string(b[:6]) {
		case "070701":
			return newc, true
		case "070702":
			return crc, true
		case "070707":
			return odc, true
		}
	}
	if len(b) >= 2 {
		switch {
		case b[0] == 0xc7 && b[1] == 0x71:
			return binLE, true
		case b[0] == 0x71 && b[1] == 0xc7:
			return binBE, true
		}
	}
	return 0, false
}

// readHeader decodes the member at off; size is the end of the input.
func readHeader(r io.ReaderAt, off, size int64) (*header, error) {
	var buf [110]byte
	n := int64(len(buf))
	if size-off < n {
		n = size - off
	}
	if n < 26 {
		return nil, io.ErrUnexpectedEOF
	}
	if err := format.ReadFull(r, buf[:n], off); err != nil {
		return nil, err
	}
	v, ok := sniff(buf[:n])
	if !ok {
		return nil, errHeader
	}
	h := &header{v: v}
	var hdrLen, nameSize int64
	switch v {
	case newc, crc:
		hdrLen = 110
		if n < hdrLen {
			return nil, io.ErrUnexpectedEOF
		}
		var f [13]uint64
		for i := range f {
			x, err := strconv.ParseUint(string(buf[6+8*i:14+8*i]), 16, 32)
			if err != nil {
				return nil, errHeader
			}
			f[i] = x
		}
		h.ino, h.mode, h.uid, h.gid, h.nlink = f[0], uint32(f[1]), uint32(f[2]), uint32(f[3]), uint32(f[4])
		h.mtime, h.size = int64(f[5]), int64(f[6])
		h.dev = f[7]<<32 | f[8]
		h.rdevMaj, h.rdevMin = uint32(f[9]), uint32(f[10])
		nameSize, h.check = int64(f[11]), uint32(f[12])
	case odc:
		hdrLen = 76
		if n < hdrLen {
			return nil, io.ErrUnexpectedEOF
		}
		// magic dev ino mode uid gid nlink rdev mtime namesize filesize
		widths := [...]int{6, 6, 6, 6, 6, 6, 6, 11, 6, 11}
		var f [10]uint64
		p := 6
		for i, w := range widths {
			x, err := strconv.ParseUint(string(buf[p:p+w]), 8, 64)
			if err != nil {
				return nil, errHeader
			}
			f[i] = x
			p += w
		}
		h.dev, h.ino, h.mode, h.uid, h.gid, h.nlink = f[0], f[1], uint32(f[2]), uint32(f[3]), uint32(f[4]), uint32(f[5])
		h.rdevMaj, h.rdevMin = uint32(f[6]>>8), uint32(f[6]&0xff)
		h.mtime, nameSize, h.size = int64(f[7]), int64(f[8]), int64(f[9])
	case binLE, binBE:
		hdrLen = 26
		var bo binary.ByteOrder = binary.LittleEndian
		if v == binBE {
			bo = binary.BigEndian
		}
		w := func(i int) uint32 { return uint32(bo.Uint16(buf[2*i:])) }
		// 32-bit values are two 16-bit words, most significant first.
		h.dev, h.ino, h.mode, h.uid, h.gid, h.nlink = uint64(w(1)), uint64(w(2)), w(3), w(4), w(5), w(6)
		rdev := w(7)
		h.rdevMaj, h.rdevMin = rdev>>8, rdev&0xff
		h.mtime = int64(w(8)<<16 | w(9))
		nameSize = int64(w(10))
		h.size = int64(w(11)<<16 | w(12))
	}
	if nameSize < 1 {
		return nil, errHeader
	}
	nameOff := off + hdrLen
	if nameOff+nameSize > size {
		return nil, io.ErrUnexpectedEOF
	}
	// A bad name (an inner NUL, no terminator, longer than PATH_MAX)
	// spoils this member only: the header still says where the next one
	// is, and GNU cpio goes on there too.
	name := make([]byte, min(nameSize, maxName))
	if err := format.ReadFull(r, name, nameOff); err != nil {
		return nil, err
	}
	switch i := bytes.IndexByte(name, 0); {
	case nameSize > maxName:
		h.bad = fmt.Sprintf("is %d bytes long (more than %d)", nameSize, maxName)
		h.name = cut(name)
	case i < 0:
		h.bad = "is not NUL-terminated"
		h.name = string(name)
	case int64(i) < nameSize-1:
		h.bad = fmt.Sprintf("has a NUL byte at %d of %d", i, nameSize-1)
		h.name = cut(name)
	default:
		h.name = string(name[:nameSize-1])
	}
	h.dataOff = nameOff + nameSize
	switch v {
	case newc, crc:
		h.dataOff = align(h.dataOff-off, 4) + off
		h.next = h.dataOff + align(h.size, 4)
	case binLE, binBE:
		h.dataOff = align(h.dataOff-off, 2) + off
		h.next = h.dataOff + align(h.size, 2)
	default:
		h.next = h.dataOff + h.size
	}
	if h.size < 0 || h.dataOff+h.size > size {
		return nil, io.ErrUnexpectedEOF
	}
	return h, nil
}

// cut is a stored name up to its first NUL, for naming a bad member.
func cut(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

func align(n, a int64) int64 { return (n + a - 1) &^ (a - 1) }

// isTrailer reports the end-of-archive marker member.
func (h *header) isTrailer() bool { return h.name == "TRAILER!!!" }

// end is the exact end of the member, without trailing alignment padding.
func (h *header) end() int64 { return h.dataOff + h.size }
