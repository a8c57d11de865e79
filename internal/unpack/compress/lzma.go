package compress

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"

	"github.com/thingsec/thingsec/internal/unpack/decomp"
	"github.com/thingsec/thingsec/internal/unpack/format"
)

// LZMA is the lzma-alone format (13-byte header: properties, dictionary
// size, unpacked size). It has no magic, so Identify checks every header
// field and decodes the first few KiB.
func LZMA() format.Format {
	var sigs []format.Signature
	// The properties/dictionary bytes of the usual encoder settings.
	for _, p := range []byte{0x5d, 0x6d, 0x6c} {
		for n := 12; n <= 26; n++ {
			for _, d := range []uint32{1 << n, 3 << (n - 1)} {
				m := []byte{p, 0, 0, 0, 0}
				binary.LittleEndian.PutUint32(m[1:], d)
				sigs = append(sigs, format.Signature{Magic: m})
			}
		}
	}
	return &stream{
		name:     "lzma",
		sigs:     sigs,
		identify: func(r io.ReaderAt, size int64) (format.Match, error) { return identifyLZMA(r, size, true) },
		check: func(r io.ReaderAt, size int64) error {
			_, err := identifyLZMA(r, size, false)
			return err
		},
		open: func(r io.ReaderAt, size int64) (io.Reader, string, error) {
			rd, err := decomp.NewReader(decomp.LZMA, io.NewSectionReader(r, 0, size))
			return rd, "data", err
		},
	}
}

type lzmaHeader struct {
	props byte
	dict  uint32
	size  int64 // -1 when unknown
}

func parseLZMAHeader(h []byte) (lzmaHeader, error) {
	if len(h) < 13 {
		return lzmaHeader{}, io.ErrUnexpectedEOF
	}
	l := lzmaHeader{props: h[0], dict: binary.LittleEndian.Uint32(h[1:5]), size: int64(binary.LittleEndian.Uint64(h[5:13]))}
	if l.props >= 225 {
		return l, errors.New("lzma: bad properties")
	}
	d := l.dict
	shape := bits.OnesCount32(d) == 1 || (bits.OnesCount32(d) == 2 && d&(d>>1) != 0)
	if !shape || d < 4<<10 || d > 3<<29 {
		return l, errors.New("lzma: bad dictionary size")
	}
	if l.size != -1 && (l.size < 0 || l.size >= 256<<30) {
		return l, errors.New("lzma: bad unpacked size")
	}
	return l, nil
}

// identifyLZMA checks the header and the first bytes; with measure it
// also finds the compressed length (lzmaEnd).
func identifyLZMA(r io.ReaderAt, size int64, measure bool) (format.Match, error) {
	l, err := parseLZMAHeader(header(r, size, 13))
	if err != nil || l.size == 0 {
		return format.Match{}, notMatch("lzma header")
	}
	// Decode the start with a small dictionary: distances cannot exceed
	// what was decoded so far.
	const probe = 4 << 10
	rd, err := decomp.NewRawLZMA(io.NewSectionReader(r, 13, size-13), l.props, 2*probe, l.size)
	if err != nil {
		return format.Match{}, notMatch("lzma header")
	}
	n, err := io.CopyN(io.Discard, decomp.Metered("lzma-identify", rd), probe)
	if err != nil && (err != io.EOF || (l.size >= 0 && n != l.size)) {
		return format.Match{}, notMatch("lzma data does not decode")
	}
	m := format.Match{Extractable: true, Description: "lzma compressed data"}
	if l.size >= 0 {
		m.Description += fmt.Sprintf(", %d bytes unpacked", l.size)
	}
	if measure {
		m.Size, m.Held = lzmaEnd(r, size, l)
	}
	return m, nil
}

// lzmaEnd decodes a stream of moderate unpacked size (at most probeOut) to
// find its compressed length; 0 when that is too costly or fails. The
// decoder is opened as extraction opens it, so what it decoded is held
// for the extraction (held.go), a longer stream of unknown size with its
// live decoder.
func lzmaEnd(r io.ReaderAt, size int64, l lzmaHeader) (int64, format.Held) {
	if l.size > probeOut {
		return 0, nil
	}
	in := &rebind{r: r}
	raw, err := decomp.NewRawLZMA(io.NewSectionReader(in, 13, size-13), l.props, l.dict, l.size)
	if err != nil {
		return 0, nil
	}
	rd := decomp.Metered("lzma-identify", raw)
	var c capture
	p := probeInto(&c, rd, probeOut+1)
	if p.ended && l.size >= 0 && p.out != l.size {
		return 0, nil
	}
	// The window holds what was decoded, up to the dictionary size.
	h := hand(p, &c, rd, in, size, "data", min(p.out, int64(min(l.dict, decomp.MaxDict))))
	if !p.ended {
		return 0, h
	}
	// The decoder reads ahead: the stream's length is what it consumed.
	used, ok := decomp.LZMAConsumed(raw)
	if !ok {
		return 0, h
	}
	return 13 + used, h
}
