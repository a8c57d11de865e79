package jffs2

import (
	"context"
	"encoding/binary"
	"hash/crc32"
	"io"
)

// On-flash constants of JFFS2 (Linux include/uapi/linux/jffs2.h).
const (
	magic        = 0x1985
	nodeAccurate = 0x2000
	typeDirent   = 0xE001
	typeInode    = 0xE002

	hdrSize    = 12
	direntSize = 40
	inodeSize  = 68

	// maxNode bounds a node's total length: real nodes hold at most a page
	// of data or one name, summary nodes at most an erase block.
	maxNode = 1 << 20
	// maxGarbage is how many bytes that are neither nodes nor erased or
	// zero padding may follow the last valid node before the scan stops.
	maxGarbage = 64 << 10
	window     = 256 << 10
)

// crc is JFFS2's CRC32: IEEE without the initial and final inversion.
func crc(p []byte) uint32 { return ^crc32.Update(0xFFFFFFFF, crc32.IEEETable, p) }

// reader serves small reads from a sliding window over r.
type reader struct {
	r    io.ReaderAt
	size int64
	base int64
	buf  []byte
}

// get returns n bytes at off, or nil when they are not all in the input.
func (w *reader) get(off int64, n int) []byte {
	if off < 0 || n < 0 || off+int64(n) > w.size {
		return nil
	}
	if off >= w.base && off+int64(n) <= w.base+int64(len(w.buf)) {
		return w.buf[off-w.base : off-w.base+int64(n)]
	}
	l := int64(max(n, window))
	if off+l > w.size {
		l = w.size - off
	}
	if int64(cap(w.buf)) < l {
		w.buf = make([]byte, l)
	}
	w.buf = w.buf[:l]
	m, _ := w.r.ReadAt(w.buf, off)
	w.buf = w.buf[:m]
	w.base = off
	if m < n {
		return nil
	}
	return w.buf[:n]
}

// header is a validated node header.
type header struct {
	typ    uint16
	totlen uint32
}

// parseHeader validates the common node header at the start of h. The
// header CRC is computed with the "accurate" bit set, which the kernel
// clears in place to mark a node obsolete.
func parseHeader(h []byte, bo binary.ByteOrder) (header, bool) {
	if len(h) < hdrSize || bo.Uint16(h) != magic {
		return header{}, false
	}
	var c [8]byte
	copy(c[:], h[:8])
	bo.PutUint16(c[2:], bo.Uint16(h[2:])|nodeAccurate)
	if crc(c[:]) != bo.Uint32(h[8:]) {
		return header{}, false
	}
	return header{typ: bo.Uint16(h[2:]), totlen: bo.Uint32(h[4:])}, true
}

// stats counts what a scan met, for the match description and for
// problems reported once per kind.
type stats struct {
	nodes     int
	badHeader int
	badNode   int
	badData   int
	end       int64
}

// scan walks the nodes from offset 0, skipping 4-byte aligned padding, and
// calls visit for each node with a valid header. It stops after maxGarbage
// bytes of neither nodes nor padding, or at the end of the input.
func scan(ctx context.Context, r io.ReaderAt, size int64, bo binary.ByteOrder, visit func(off int64, h header, node []byte)) (stats, error) {
	w := &reader{r: r, size: size}
	var st stats
	garbage := int64(0)
	for pos := int64(0); pos+4 <= size; {
		if pos%(1<<20) == 0 && ctx.Err() != nil {
			return st, ctx.Err()
		}
		word := w.get(pos, 4)
		if word == nil {
			break
		}
		if bo.Uint16(word) == magic {
			hb := w.get(pos, hdrSize)
			if h, ok := parseHeader(hb, bo); ok {
				if h.totlen >= hdrSize && h.totlen <= maxNode && pos+int64(h.totlen) <= size {
					if node := w.get(pos, int(h.totlen)); node != nil {
						st.nodes++
						if visit != nil {
							visit(pos, h, node)
						}
						pos += int64(h.totlen+3) &^ 3
						st.end = min(pos, size)
						garbage = 0
						continue
					}
				}
			}
			if hb != nil {
				st.badHeader++
			}
		}
		if v := bo.Uint32(word); v != 0xFFFFFFFF && v != 0 {
			garbage += 4
			if garbage > maxGarbage {
				break
			}
		}
		pos += 4
	}
	return st, nil
}
