package compress

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/thingsec/thingsec/internal/unpack/decomp"
	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/ulikunitz/xz"
)

// Method names NewReader accepts besides those of package decomp.
const (
	MethodLzop      = "lzop"
	MethodLZ4Legacy = "lz4-legacy"
	MethodLZW       = "compress"
)

// NewReader opens a decoded stream of one of: gzip (one member), zlib, xz
// (one stream), lzma (lzma-alone, bounded dictionary), bzip2, zstd, lz4
// (frame or legacy, chosen by the magic), lz4-legacy, lzop, compress.
// Data after the end of the stream is ignored, as in a kernel payload or a
// carved candidate.
func NewReader(method string, r io.Reader) (io.Reader, error) {
	switch method {
	case decomp.Gzip:
		z, err := gzip.NewReader(r)
		if err != nil {
			return nil, err
		}
		z.Multistream(false)
		return z, nil
	case decomp.XZ:
		br := bufio.NewReaderSize(r, 4096)
		h, _ := br.Peek(12 + 1024)
		if xzDict(h) > xzMaxDict {
			return nil, format.Unsupported("xz dictionary larger than 64 MiB")
		}
		if xzHasBCJ(h) {
			src, err := io.ReadAll(io.LimitReader(br, 2*xzFilteredMax))
			if err != nil {
				return nil, err
			}
			out, err := decodeXZFiltered(src)
			return io.MultiReader(bytes.NewReader(out), errorReader{err}), nil
		}
		x, err := xz.ReaderConfig{SingleStream: true}.NewReader(&xzInput{r: br})
		if err != nil {
			return nil, err
		}
		return &trailing{r: x, end: func(err error) bool {
			return err.Error() == "xz: unexpected data after stream"
		}}, nil
	case decomp.LZMA:
		return newLZMAReader(r)
	case decomp.Bzip2:
		return &trailing{r: bzip2.NewReader(r), end: func(err error) bool {
			var se bzip2.StructuralError
			return errors.As(err, &se) && se == "bad magic value in continuation file"
		}}, nil
	case decomp.Zstd:
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
		if err != nil {
			return nil, err
		}
		return &trailing{r: d, end: func(err error) bool {
			return errors.Is(err, zstd.ErrMagicMismatch)
		}}, nil
	case decomp.LZ4:
		br := bufio.NewReader(r)
		if m, _ := br.Peek(4); string(m) == string(lz4LegacyMagic) {
			return NewLZ4LegacyReader(br), nil
		}
		return lz4.NewReader(br), nil
	case MethodLZ4Legacy:
		return NewLZ4LegacyReader(r), nil
	case MethodLzop:
		return NewLzopReader(r)
	case MethodLZW:
		return NewLZWReader(r)
	}
	rc, err := decomp.NewReader(method, r)
	if err != nil {
		return nil, fmt.Errorf("compress: %w", err)
	}
	return rc, nil
}

// trailing ends a stream cleanly at an error that only means "something
// else follows", once some data was decoded.
type trailing struct {
	r   io.Reader
	end func(error) bool
	n   int64
}

func (t *trailing) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.n += int64(n)
	if err != nil && err != io.EOF && t.n > 0 && t.end(err) {
		err = io.EOF
	}
	return n, err
}

// xzInput reports an input that ends anywhere but after a stream footer
// (magic "YZ") as truncated: the xz reader would take it for a clean end.
type xzInput struct {
	r    io.Reader
	last [2]byte
}

func (x *xzInput) Read(p []byte) (int, error) {
	n, err := x.r.Read(p)
	switch {
	case n >= 2:
		copy(x.last[:], p[n-2:n])
	case n == 1:
		x.last[0], x.last[1] = x.last[1], p[0]
	}
	if err == io.EOF && string(x.last[:]) != "YZ" {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// xzMaxDict bounds the LZMA2 dictionary the xz reader allocates (and
// clears) up front; xz -9 uses 64 MiB.
const xzMaxDict = 64 << 20

// xzDict returns the LZMA2 dictionary size of the first block header of
// the stream whose start is h, or 0 when h holds none. Later blocks of a
// multi-block stream are not checked.
func xzDict(h []byte) int64 {
	if len(h) < 14 || h[12] == 0 {
		return 0
	}
	n := (int(h[12]) + 1) * 4
	if len(h) < 12+n {
		return 0
	}
	b := h[14 : 12+n]
	flags := h[13]
	varint := func() uint64 {
		v, k := binary.Uvarint(b)
		if k <= 0 {
			b = nil
			return 0
		}
		b = b[k:]
		return v
	}
	if flags&0x40 != 0 {
		varint()
	}
	if flags&0x80 != 0 {
		varint()
	}
	for i := 0; i <= int(flags&3) && len(b) > 0; i++ {
		id, ps := varint(), varint()
		if ps > uint64(len(b)) {
			return 0
		}
		if id == 0x21 && ps == 1 {
			d := b[0]
			if d > 40 {
				return 0
			}
			if d == 40 {
				return 1<<32 - 1
			}
			return int64(2|d&1) << (d/2 + 11)
		}
		b = b[ps:]
	}
	return 0
}

// xzHasBCJ tells whether the first block of the stream starting at h uses
// a filter before LZMA2.
func xzHasBCJ(h []byte) bool {
	if len(h) < 14 || h[12] == 0 {
		return false
	}
	n := (int(h[12]) + 1) * 4
	if len(h) < 12+n {
		return false
	}
	fs, _, err := xzBlockFilters(h[12 : 12+n])
	return err == nil && len(fs) > 0
}

// errorReader returns err (io.EOF when nil) on every read.
type errorReader struct{ err error }

func (e errorReader) Read([]byte) (int, error) {
	if e.err == nil {
		return 0, io.EOF
	}
	return 0, e.err
}
