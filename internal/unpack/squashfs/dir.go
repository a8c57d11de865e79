package squashfs

import (
	"bytes"
)

// dirEntry is one name in a directory listing.
type dirEntry struct {
	name string
	ref  uint64 // inode reference: block << 16 | offset
	kind int
}

// maxEntries caps one directory (a listing longer than its table is
// corrupt anyway; this bounds the work per directory).
const maxEntries = 1 << 20

// readDir parses the listing of directory n. From 3.0 on, file_size is 3
// bytes larger than the listing (for "." and ".."); 2.x stores the length.
func (img *image) readDir(n *inode) ([]dirEntry, error) {
	sb := img.sb
	left := n.dirSize
	if sb.major >= 3 {
		if left <= 3 {
			return nil, nil
		}
		left -= 3
	}
	if left == 0 {
		return nil, nil
	}
	limit := dirLimit(sb)
	if n.dirBlock >= limit-sb.dirStart || n.dirOff >= metaSize {
		return nil, corrupt("directory listing out of range")
	}
	c := &cursor{img: img, block: int64(sb.dirStart + n.dirBlock), off: int(n.dirOff), limit: int64(limit)}
	var out []dirEntry
	hdrLen := map[int]int{4: 12, 3: 9, 2: 4}[sb.major]
	for left > 0 {
		if left < uint64(hdrLen) {
			return out, corrupt("directory listing ends inside a header")
		}
		count, start, err := img.dirHeader(c, hdrLen)
		if err != nil {
			return out, err
		}
		left -= uint64(hdrLen)
		if count > 256 {
			return out, corrupt("directory header count %d", count)
		}
		for i := 0; i < count; i++ {
			e, used, err := img.dirEntry(c, start)
			if err != nil {
				return out, err
			}
			if used > left {
				return out, corrupt("directory entry beyond listing")
			}
			left -= used
			if len(out) >= maxEntries {
				return out, corrupt("too many directory entries")
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// dirLimit is where the directory table ends: the nearest table after it.
func dirLimit(sb *super) uint64 {
	limit := uint64(sb.bytesUsed)
	for _, t := range sb.otherEnds {
		if t > sb.dirStart && t < limit {
			limit = t
		}
	}
	return limit
}

// dirHeader returns the entry count and the inode block of a run.
func (img *image) dirHeader(c *cursor, n int) (int, uint64, error) {
	if img.sb.major == 4 {
		b, err := c.read(n)
		if err != nil {
			return 0, 0, err
		}
		o := img.sb.order
		return int(o.Uint32(b)) + 1, uint64(o.Uint32(b[4:])), nil
	}
	br, err := img.bits(c, n)
	if err != nil {
		return 0, 0, err
	}
	count := int(br.get(8)) + 1
	if img.sb.major == 3 {
		return count, br.get(32), nil
	}
	return count, br.get(24), nil
}

// dirEntry reads one entry and returns it with the bytes it used.
func (img *image) dirEntry(c *cursor, start uint64) (dirEntry, uint64, error) {
	var off, kind, size int
	var hl int
	if img.sb.major == 4 {
		b, err := c.read(8)
		if err != nil {
			return dirEntry{}, 0, err
		}
		o := img.sb.order
		off, kind, size, hl = int(o.Uint16(b)), int(o.Uint16(b[4:])), int(o.Uint16(b[6:])), 8
	} else {
		hl = 3
		if img.sb.major == 3 {
			hl = 5 // offset:13 type:3 size:8 inode_number:16
		}
		br, err := img.bits(c, hl)
		if err != nil {
			return dirEntry{}, 0, err
		}
		off, kind, size = int(br.get(13)), int(br.get(3)), int(br.get(8))
	}
	if size > 255 {
		return dirEntry{}, 0, corrupt("directory entry name of %d bytes", size+1)
	}
	name, err := c.read(size + 1)
	if err != nil {
		return dirEntry{}, 0, err
	}
	e := dirEntry{name: string(name), ref: start<<16 | uint64(off), kind: kind}
	if i := bytes.IndexByte(name, 0); i >= 0 {
		e.name = string(name[:i])
	}
	return e, uint64(hl + size + 1), nil
}
