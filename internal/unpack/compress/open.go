package compress

import (
	"bufio"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/thingsec/thingsec/internal/unpack/decomp"
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
		return decomp.NewReader(decomp.XZ, r)
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
