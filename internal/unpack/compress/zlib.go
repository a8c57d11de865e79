package compress

import (
	"io"

	"github.com/klauspost/compress/zlib"
	"github.com/thingsec/thingsec/internal/unpack/decomp"
	"github.com/thingsec/thingsec/internal/unpack/format"
)

// Zlib is an RFC 1950 stream. Its two-byte header matches everywhere, so
// Identify also requires the data to decode.
func Zlib() format.Format {
	// Only the 32 KiB window (CINFO 7) that every common encoder writes is
	// a carving signature; smaller windows are accepted when offered.
	var sigs []format.Signature
	for flg := 0; flg < 256; flg++ {
		if zlibHeaderOK([]byte{0x78, byte(flg)}) {
			sigs = append(sigs, format.Signature{Magic: []byte{0x78, byte(flg)}})
		}
	}
	return &stream{
		name:     "zlib",
		sigs:     sigs,
		identify: func(r io.ReaderAt, size int64) (format.Match, error) { return identifyZlib(r, size, probeOut, true) },
		check: func(r io.ReaderAt, size int64) error {
			_, err := identifyZlib(r, size, checkOut, false)
			return err
		},
		open: func(r io.ReaderAt, size int64) (io.Reader, string, error) {
			z, err := zlib.NewReader(io.NewSectionReader(r, 0, size))
			if err != nil {
				return nil, "", err
			}
			return decomp.Metered(decomp.Zlib, z), "data", nil
		},
	}
}

func zlibHeaderOK(b []byte) bool {
	return len(b) >= 2 && b[0]&0x0f == 8 && b[0]>>4 <= 7 &&
		(uint16(b[0])<<8|uint16(b[1]))%31 == 0 && b[1]&0x20 == 0
}

// identifyZlib decodes up to max bytes: probeOut measures the stream,
// checkOut is enough to decide. With keep the match holds what it decoded
// (held.go).
func identifyZlib(r io.ReaderAt, size, max int64, keep bool) (format.Match, error) {
	if !zlibHeaderOK(header(r, size, 2)) || size < 8 {
		return format.Match{}, notMatch("zlib header")
	}
	in := &rebind{r: r}
	cr := newCountReader(io.NewSectionReader(in, 0, size))
	z, err := zlib.NewReader(cr)
	if err != nil {
		return format.Match{}, notMatch("zlib header")
	}
	rd := decomp.Metered("zlib-identify", z)
	var c capture
	p := probeKeep(&c, rd, max, keep)
	var m format.Match
	switch {
	case p.ended:
		m = format.Match{Size: cr.n, Extractable: true, Description: "zlib compressed data"}
	case p.trunc && p.out >= 256, p.err != nil && p.out >= 64<<10, p.err == nil && !p.trunc:
		m = format.Match{Extractable: true, Description: "zlib compressed data (damaged or truncated)"}
	default:
		return format.Match{}, notMatch("zlib data does not decode")
	}
	if keep {
		m.Held = hand(p, &c, rd, in, size, "data", flateState)
	}
	return m, nil
}
