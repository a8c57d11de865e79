package iso9660

import (
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

const maxContinuations = 16

var errCE = errors.New("bad SUSP continuation area")

// rrInfo is what Rock Ridge says about one directory record.
type rrInfo struct {
	name      strings.Builder
	hasName   bool
	mode      uint32
	hasMode   bool
	devMajor  uint32 // PN
	devMinor  uint32
	uid, gid  uint32
	mtime     time.Time
	link      []string // symlink components; "" first means absolute
	linkOpen  bool     // the last component continues in the next one
	hasLink   bool
	childLink int64 // CL: a relocated directory's extent, or -1
	relocated bool  // RE: this is the relocated directory itself
	zf        bool
}

// parseSUSP decodes a system use area, following CE continuation areas
// (at most maxContinuations, each bounded by the logical block size).
func parseSUSP(r io.ReaderAt, v *volume, area []byte, skip int) (*rrInfo, error) {
	info := &rrInfo{childLink: -1}
	if skip > len(area) {
		return info, nil
	}
	area = area[skip:]
	le := binary.LittleEndian
	for hops := 0; ; hops++ {
		var next []byte
		for p := 0; p+4 <= len(area); {
			l := int(area[p+2])
			if l < 4 || p+l > len(area) {
				break
			}
			e := area[p : p+l]
			p += l
			switch string(e[:2]) {
			case "ST":
				p = len(area)
			case "CE":
				if l >= 28 && next == nil {
					blk, off, n := int64(le.Uint32(e[4:])), int64(le.Uint32(e[12:])), int64(le.Uint32(e[20:]))
					if hops >= maxContinuations || off+n > v.blockSize {
						return info, errCE
					}
					b, err := format.Bytes(r, blk*v.blockSize+off, n, v.blockSize)
					if err != nil {
						return info, errCE
					}
					next = b
				}
			case "NM":
				if l >= 5 && e[4]&0x06 == 0 {
					info.name.Write(e[5:])
					info.hasName = true
				}
			case "PX":
				if l >= 36 {
					info.mode = le.Uint32(e[4:])
					info.uid = le.Uint32(e[20:])
					info.gid = le.Uint32(e[28:])
					info.hasMode = true
				}
			case "PN":
				if l >= 20 {
					// RRIP puts major and minor in the high and low
					// words; writers that leave high at 0 put the whole
					// number in low: genisoimage as major<<20 | minor
					// (a 20-bit minor), others in the Linux encoding.
					high, low := le.Uint32(e[4:]), le.Uint32(e[12:])
					switch {
					case high == 0 && low >= 1<<20:
						high, low = low>>20, low&0xfffff
					case high == 0 && low&^0xff != 0:
						high, low = format.LinuxDev(low)
					}
					info.devMajor, info.devMinor = high, low
				}
			case "SL":
				if l >= 5 {
					info.symlink(e[5:])
				}
			case "TF":
				if l >= 5 {
					info.times(e[4], e[5:])
				}
			case "CL":
				if l >= 12 {
					info.childLink = int64(le.Uint32(e[4:]))
				}
			case "RE":
				info.relocated = true
			case "ZF":
				if l >= 16 && string(e[4:6]) == "pz" {
					info.zf = true
				}
			}
		}
		if next == nil {
			return info, nil
		}
		area = next
	}
}

// symlink adds the components of one SL entry.
func (info *rrInfo) symlink(b []byte) {
	info.hasLink = true
	for len(b) >= 2 {
		flags, n := b[0], int(b[1])
		if 2+n > len(b) {
			return
		}
		var part string
		switch {
		case flags&0x02 != 0:
			part = "."
		case flags&0x04 != 0:
			part = ".."
		case flags&0x08 != 0:
			part = ""
		default:
			part = string(b[2 : 2+n])
		}
		if info.linkOpen && len(info.link) > 0 {
			info.link[len(info.link)-1] += part
		} else if len(info.link) < 4096 {
			info.link = append(info.link, part)
		}
		info.linkOpen = flags&0x01 != 0
		b = b[2+n:]
	}
}

func (info *rrInfo) target() string {
	if len(info.link) == 1 && info.link[0] == "" {
		return "/"
	}
	return strings.Join(info.link, "/")
}

// times picks the modification time out of a TF entry.
func (info *rrInfo) times(flags byte, b []byte) {
	if flags&0x02 == 0 {
		return
	}
	size := 7
	if flags&0x80 != 0 {
		size = 17
	}
	off := 0
	if flags&0x01 != 0 {
		off = size // a creation time comes first
	}
	if off+size > len(b) {
		return
	}
	if size == 7 {
		info.mtime = recTime(b[off : off+7])
	} else {
		info.mtime = longTime(b[off : off+17])
	}
}

// suspSkip returns the SUSP skip length when the root "." record holds an
// SP entry (Rock Ridge or another SUSP extension is in use), else -1.
func suspSkip(su []byte) int {
	if len(su) >= 7 && su[0] == 'S' && su[1] == 'P' && su[4] == 0xBE && su[5] == 0xEF {
		return int(su[6])
	}
	return -1
}
