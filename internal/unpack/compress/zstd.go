package compress

import (
	"io"

	"github.com/thingsec/thingsec/internal/unpack/decomp"
	"github.com/thingsec/thingsec/internal/unpack/format"
)

var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// Zstd is a zstd frame (consecutive frames are decoded as one stream).
func Zstd() format.Format {
	return &stream{
		name:     "zstd",
		sigs:     []format.Signature{{Magic: zstdMagic}},
		identify: identifyZstd,
		open: func(r io.ReaderAt, size int64) (io.Reader, string, error) {
			if m, err := identifyZstd(r, size); err == nil && m.Size > 0 {
				size = m.Size
			}
			rd, err := decomp.NewReader(decomp.Zstd, io.NewSectionReader(r, 0, size))
			return rd, "data", err
		},
	}
}

func identifyZstd(r io.ReaderAt, size int64) (format.Match, error) {
	end, err := zstdFrameEnd(r, 0, size)
	if err != nil {
		return format.Match{}, err
	}
	m := format.Match{Extractable: true, Description: "zstd compressed data"}
	// Further frames that follow directly belong to the same stream.
	for end > 0 {
		m.Size = end
		var b [4]byte
		if format.ReadFull(r, b[:], end) != nil || string(b[:]) != string(zstdMagic) {
			break
		}
		if end, err = zstdFrameEnd(r, end, size); err != nil {
			break
		}
	}
	return m, nil
}

// zstdFrameEnd checks the frame header at off and walks the block headers
// to the end of the frame. It returns 0 when the frame is truncated.
func zstdFrameEnd(r io.ReaderAt, off, size int64) (int64, error) {
	var h [6]byte
	if format.ReadFull(r, h[:], off) != nil || string(h[:4]) != string(zstdMagic) {
		return 0, notMatch("zstd magic")
	}
	fhd := h[4]
	if fhd&0x08 != 0 {
		return 0, notMatch("zstd reserved bit")
	}
	single := fhd&0x20 != 0
	hl := int64(5)
	if !single {
		hl++
	}
	hl += []int64{0, 1, 2, 4}[fhd&3]
	hl += []int64{0, 2, 4, 8}[fhd>>6]
	if fhd>>6 == 0 && single {
		hl++
	}
	pos := off + hl
	var b [3]byte
	for {
		if format.ReadFull(r, b[:], pos) != nil {
			return 0, nil
		}
		v := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16
		last, typ, n := v&1 != 0, v>>1&3, int64(v>>3)
		switch typ {
		case 1: // RLE: one byte repeated n times
			n = 1
		case 3:
			return 0, notMatch("zstd reserved block type")
		}
		if n > 128<<10 {
			return 0, notMatch("zstd block size")
		}
		pos += 3 + n
		if pos > size {
			return 0, nil
		}
		if last {
			break
		}
	}
	if fhd&0x04 != 0 {
		pos += 4
	}
	if pos > size {
		return 0, nil
	}
	return pos, nil
}
