package compress

import (
	"encoding/binary"
	"io"
	"math/bits"
	"sync"

	"github.com/pierrec/lz4/v4"
	"github.com/thingsec/thingsec/internal/unpack/decomp"
	"github.com/thingsec/thingsec/internal/unpack/format"
)

var (
	lz4FrameMagic  = []byte{0x04, 0x22, 0x4d, 0x18}
	lz4LegacyMagic = []byte(decomp.LZ4LegacyMagic)
)

// LZ4 is the lz4 frame format and the legacy format (lz4 -l, Linux kernels).
func LZ4() format.Format {
	return &stream{
		name:     "lz4",
		sigs:     []format.Signature{{Magic: lz4FrameMagic}, {Magic: lz4LegacyMagic}},
		identify: identifyLZ4,
		open: func(r io.ReaderAt, size int64) (io.Reader, string, error) {
			if m, err := identifyLZ4(r, size); err == nil && m.Size > 0 {
				size = m.Size
			}
			rd, err := decomp.NewReader(decomp.LZ4, io.NewSectionReader(r, 0, size))
			return rd, "data", err
		},
	}
}

func identifyLZ4(r io.ReaderAt, size int64) (format.Match, error) {
	h := header(r, size, 19)
	if len(h) < 7 {
		return format.Match{}, notMatch("lz4 header")
	}
	if string(h[:4]) == string(lz4LegacyMagic) {
		return identifyLZ4Legacy(r, size)
	}
	if string(h[:4]) != string(lz4FrameMagic) {
		return format.Match{}, notMatch("lz4 magic")
	}
	flg, bd := h[4], h[5]
	if flg>>6 != 1 || flg&2 != 0 || bd&0x8f != 0 || bd>>4&7 < 4 {
		return format.Match{}, notMatch("lz4 frame descriptor")
	}
	dl := 2
	if flg&8 != 0 {
		dl += 8
	}
	if flg&1 != 0 {
		dl += 4
	}
	if len(h) < 4+dl+1 || byte(xxh32Short(h[4:4+dl])>>8) != h[4+dl] {
		return format.Match{}, notMatch("lz4 header checksum")
	}
	m := format.Match{Extractable: true, Description: "lz4 compressed data (frame)"}
	// Walk the block sizes to find the end of the frame.
	blockMax := int64(1) << (8 + 2*(bd>>4&7))
	off := int64(4 + dl + 1)
	var b [4]byte
	for {
		if format.ReadFull(r, b[:], off) != nil {
			return m, nil // truncated: size unknown
		}
		v := binary.LittleEndian.Uint32(b[:])
		off += 4
		if v == 0 {
			if flg&4 != 0 {
				off += 4
			}
			if off <= size {
				m.Size = off
			}
			return m, nil
		}
		n := int64(v & 0x7fffffff)
		if n > blockMax {
			return format.Match{}, notMatch("lz4 block size")
		}
		off += n
		if flg&0x10 != 0 {
			off += 4
		}
		if off > size {
			return m, nil
		}
	}
}

// legacyDst holds the block buffers of identifyLZ4Legacy: allocating
// (and clearing) up to 8 MiB per candidate would make a flood of legacy
// magics cost far more than the bytes it makes the carver read.
var legacyDst = sync.Pool{New: func() any {
	b := make([]byte, decomp.LZ4BlockBound(decomp.LZ4LegacyMaxBlock))
	return &b
}}

func identifyLZ4Legacy(r io.ReaderAt, size int64) (format.Match, error) {
	var b [4]byte
	if format.ReadFull(r, b[:], 4) != nil {
		return format.Match{}, notMatch("lz4 legacy block")
	}
	n := int64(binary.LittleEndian.Uint32(b[:]))
	if n == 0 || n > decomp.LZ4LegacyMaxBlock || 8+n > size {
		return format.Match{}, notMatch("lz4 legacy block size")
	}
	src, err := format.ReadGrow(r, 8, n)
	if err != nil {
		return format.Match{}, notMatch("lz4 legacy block")
	}
	bp := legacyDst.Get().(*[]byte)
	_, err = lz4.UncompressBlock(src, (*bp)[:decomp.LZ4BlockBound(n)])
	legacyDst.Put(bp)
	if err != nil {
		return format.Match{}, notMatch("lz4 legacy block does not decode")
	}
	m := format.Match{Extractable: true, Description: "lz4 compressed data (legacy)"}
	m.Size = lz4LegacyEnd(r, size)
	return m, nil
}

// lz4LegacyEnd walks the legacy blocks; the stream ends at the end of the
// input, at a size field too large for a block (the kernel appends the
// decompressed size there) or at a zero.
func lz4LegacyEnd(r io.ReaderAt, size int64) int64 {
	off := int64(4)
	var b [4]byte
	for {
		if format.ReadFull(r, b[:], off) != nil {
			return off
		}
		v := binary.LittleEndian.Uint32(b[:])
		switch {
		case string(b[:]) == string(lz4LegacyMagic):
			off += 4
			continue
		case v == 0 || int64(v) > decomp.LZ4LegacyMaxBlock:
			return off
		}
		if off+4 == size {
			return off // a trailing size field
		}
		if off+4+int64(v) > size {
			return 0
		}
		off += 4 + int64(v)
	}
}

// xxh32Short is XXH32 with seed 0 for inputs shorter than 16 bytes, which
// is all the lz4 frame header checksum needs.
func xxh32Short(p []byte) uint32 {
	const (
		p1 uint32 = 2654435761
		p2 uint32 = 2246822519
		p3 uint32 = 3266489917
		p4 uint32 = 668265263
		p5 uint32 = 374761393
	)
	h := p5 + uint32(len(p))
	for ; len(p) >= 4; p = p[4:] {
		h += binary.LittleEndian.Uint32(p) * p3
		h = bits.RotateLeft32(h, 17) * p4
	}
	for _, c := range p {
		h += uint32(c) * p5
		h = bits.RotateLeft32(h, 11) * p1
	}
	h ^= h >> 15
	h *= p2
	h ^= h >> 13
	h *= p3
	h ^= h >> 16
	return h
}
