package compress

import (
	"io"

	"github.com/thingsec/thingsec/internal/unpack/decomp"
	"github.com/thingsec/thingsec/internal/unpack/format"
)

// LZW is the Unix compress (.Z) format.
func LZW() format.Format {
	return &stream{
		name: "compress",
		sigs: []format.Signature{{Magic: []byte{0x1f, 0x9d}}},
		identify: func(r io.ReaderAt, size int64) (format.Match, error) {
			h := header(r, size, 3)
			if len(h) < 3 || h[0] != 0x1f || h[1] != 0x9d || h[2]&0x60 != 0 || h[2]&0x1f < 9 || h[2]&0x1f > 16 {
				return format.Match{}, notMatch("compress header")
			}
			// The first code must be a literal byte.
			rd, _ := decomp.NewReader(decomp.LZW, io.NewSectionReader(r, 0, size))
			var b [1]byte
			if _, err := io.ReadFull(rd, b[:]); err != nil {
				return format.Match{}, notMatch("compress data")
			}
			return format.Match{Extractable: true, Description: "compress'd (LZW) data"}, nil
		},
		open: func(r io.ReaderAt, size int64) (io.Reader, string, error) {
			rd, err := decomp.NewReader(decomp.LZW, io.NewSectionReader(r, 0, size))
			return rd, "data", err
		},
	}
}
