package yaffs2

import (
	"encoding/binary"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// layout is how chunks sit in the image: page data then spare (OOB) bytes,
// the packed tags at tagOff inside the spare, in one byte order.
type layout struct {
	page, spare int64
	tagOff      int64
	bo          binary.ByteOrder
}

func (l layout) stride() int64 { return l.page + l.spare }

// Page/spare pairs of common NAND parts, most common first.
var geometries = []struct{ page, spare int64 }{
	{2048, 64}, {4096, 128}, {4096, 224}, {4096, 256}, {8192, 448}, {8192, 512},
	{8192, 640}, {16384, 1280}, {512, 16}, {1024, 32}, {2048, 128}, {4096, 64},
}

// Packed tags: sequence number, object id, chunk id, byte count.
type tags struct {
	seq, obj, chunk, nbytes uint32
}

const (
	lowestSeq  = 0x00001000
	highestSeq = 0xefffff00

	extraHeader   = 0x80000000 // chunk id flag: header chunk with extra info
	extraFlags    = 0xf0000000
	extraTypeMask = 0xf0000000 // object id bits holding the object type
	maxObjID      = 0x0fffffff
)

// chunkKind classifies a chunk by its tags.
type chunkKind int

const (
	kindBad chunkKind = iota
	kindErased
	kindHeader
	kindData
)

func (l layout) readTags(r io.ReaderAt, i int64) (tags, chunkKind) {
	var b [16]byte
	if format.ReadFull(r, b[:], i*l.stride()+l.page+l.tagOff) != nil {
		return tags{}, kindBad
	}
	t := tags{l.bo.Uint32(b[0:]), l.bo.Uint32(b[4:]), l.bo.Uint32(b[8:]), l.bo.Uint32(b[12:])}
	switch {
	case t.seq == 0xffffffff && t.obj == 0xffffffff:
		return t, kindErased
	case t.seq == 0 && t.obj == 0 && t.chunk == 0 && t.nbytes == 0:
		return t, kindErased // some writers zero unused spare
	case t.seq < lowestSeq || t.seq > highestSeq:
		return t, kindBad
	}
	if t.chunk&extraHeader != 0 {
		t.chunk = 0
		t.obj &^= extraTypeMask
	}
	if t.obj == 0 || t.obj > maxObjID {
		return t, kindBad
	}
	if t.chunk == 0 {
		return t, kindHeader
	}
	if t.chunk&extraFlags != 0 || int64(t.nbytes) > l.page {
		return t, kindBad
	}
	return t, kindData
}

// probeChunks is how many leading chunks detection checks.
const probeChunks = 16

// detect finds the layout whose first chunks are consistent: the first is
// an object header, all but at most one of the others are erased or have
// sane tags, every header tag points at a sane object header, and at least
// two chunks are in use.
// plausibleHead checks the type and parent of an object header as
// parseHeader does.
func plausibleHead(b []byte, bo binary.ByteOrder) bool {
	typ, parent := bo.Uint32(b[0:]), bo.Uint32(b[4:])
	return typ >= typFile && typ <= typSpecial && parent != 0 && parent <= maxObjID
}

func detect(r io.ReaderAt, size int64) (layout, bool) {
	// The type, parent and first name byte first: a candidate in a flood
	// of magics is rejected from 16 bytes, not a 512-byte header.
	var head [16]byte
	if size < hdrLen || format.ReadFull(r, head[:], 0) != nil || head[10] == 0 || head[10] == '/' {
		return layout{}, false
	}
	if le, be := binary.LittleEndian, binary.BigEndian; !plausibleHead(head[:], le) && !plausibleHead(head[:], be) {
		return layout{}, false
	}
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		var hb [hdrLen]byte
		if size < hdrLen || format.ReadFull(r, hb[:], 0) != nil {
			return layout{}, false
		}
		if _, err := parseHeader(hb[:], bo); err != nil {
			continue
		}
		for _, g := range geometries {
			for _, off := range []int64{2, 0} {
				if off+16 > g.spare {
					continue
				}
				l := layout{g.page, g.spare, off, bo}
				if l.plausible(r, size) {
					return l, true
				}
			}
		}
	}
	return layout{}, false
}

func (l layout) plausible(r io.ReaderAt, size int64) bool {
	n := min(size/l.stride(), probeChunks)
	used, headers, bad := 0, 0, 0
	hb := make([]byte, hdrLen)
	for i := int64(0); i < n; i++ {
		_, k := l.readTags(r, i)
		switch k {
		case kindBad:
			// One damaged chunk is tolerated, not at the start.
			if bad++; bad > 1 || i == 0 {
				return false
			}
			continue
		case kindErased:
			if i == 0 {
				return false
			}
			continue
		case kindHeader:
			if format.ReadFull(r, hb, i*l.stride()) != nil {
				return false
			}
			if _, err := parseHeader(hb, l.bo); err != nil {
				return false
			}
			headers++
		case kindData:
			if i == 0 {
				return false
			}
		}
		used++
	}
	return headers >= 1 && used >= 2
}
