// Package decomp is the one place where unpackers open compressed streams
// and blocks by name: the stream formats of package compress, kernels,
// uImage and FIT payloads, and the block compressors of squashfs, cramfs,
// jffs2 and ubifs. Every codec is pure Go and bounded: dictionaries and
// windows are capped, block output is limited, and a hostile header gets
// an error rather than an allocation.
package decomp

import (
	"bufio"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/thingsec/thingsec/internal/unpack/lzmadec"
)

// Method names accepted by NewReader and Block.
const (
	Gzip      = "gzip" // one member
	Zlib      = "zlib"
	Deflate   = "deflate" // raw deflate (zip entries, ubifs)
	XZ        = "xz"      // one stream, with any BCJ/Delta filter chain
	LZMA      = "lzma"    // lzma-alone (13-byte header: props, dict, size)
	Bzip2     = "bzip2"
	Zstd      = "zstd"
	LZ4       = "lz4"        // lz4 frame format, or legacy chosen by the magic
	LZ4Legacy = "lz4-legacy" // lz4 -l, as Linux kernels use
	Lzop      = "lzop"       // the lzop file format (LZO1X blocks)
	LZW       = "compress"   // Unix compress (.Z)
	LZO       = "lzo"        // raw lzo1x block (Block only)
	LZ4Block  = "lz4-block"  // raw lz4 block (Block only)
)

// MaxDict caps the dictionary an lzma or xz stream may ask for. The header
// field is attacker-controlled and the decoder allocates it up front; 64 MiB
// covers every real kernel and file system, and a stream that really needs
// more fails with an error instead of exhausting memory.
const MaxDict = 64 << 20

// ErrUnknownMethod is returned for a method name this package does not know.
var ErrUnknownMethod = errors.New("unknown compression method")

// NewReader opens a decoding stream. Data after the end of the stream is
// ignored, as after a kernel payload or in a carved candidate; an input
// that ends inside the stream is an error (io.ErrUnexpectedEOF).
func NewReader(method string, r io.Reader) (io.ReadCloser, error) {
	rc, err := newReader(method, r)
	if err != nil {
		return nil, err
	}
	return meteredRC(method, rc), nil
}

func newReader(method string, r io.Reader) (io.ReadCloser, error) {
	var rd io.Reader
	var err error
	switch method {
	case Gzip:
		z, e := gzip.NewReader(r)
		if e != nil {
			return nil, e
		}
		z.Multistream(false)
		return z, nil
	case Zlib:
		return zlib.NewReader(r)
	case Deflate:
		return flate.NewReader(r), nil
	case XZ:
		rd, err = newXZReader(r, MaxDict, 0)
	case LZMA:
		rd, err = newLZMAReader(r)
	case Bzip2:
		rd = &trailing{r: bzip2.NewReader(r), end: func(err error) bool {
			var se bzip2.StructuralError
			return errors.As(err, &se) && se == "bad magic value in continuation file"
		}}
	case Zstd:
		// The window is capped like the lzma and xz dictionaries (MaxDict):
		// a junk frame header must not make the decoder reserve gigabytes.
		d, e := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30), zstd.WithDecoderMaxWindow(MaxDict))
		if e != nil {
			return nil, e
		}
		rc := d.IOReadCloser()
		return &trailing{r: rc, c: rc, end: func(err error) bool {
			return errors.Is(err, zstd.ErrMagicMismatch)
		}}, nil
	case LZ4:
		br := bufio.NewReader(r)
		if m, _ := br.Peek(4); string(m) == LZ4LegacyMagic {
			rd = NewLZ4LegacyReader(br)
		} else {
			rd = &trailing{r: lz4.NewReader(br), end: func(err error) bool {
				return errors.Is(err, lz4.ErrInvalidFrame) // no frame magic follows
			}}
		}
	case LZ4Legacy:
		rd = NewLZ4LegacyReader(r)
	case Lzop:
		rd, err = NewLzopReader(r)
	case LZW:
		rd, err = NewLZWReader(r)
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnknownMethod, method)
	}
	if err != nil {
		return nil, err
	}
	return io.NopCloser(rd), nil
}

// NewRawLZMA opens an LZMA stream without the 13-byte lzma-alone header, as
// found in vendor squashfs and some kernels: props is the lc/lp/pb byte.
// unpacked is the size when known, or -1.
func NewRawLZMA(r io.Reader, props byte, dictSize uint32, unpacked int64) (io.Reader, error) {
	return newRawLZMA(r, props, dictSize, unpacked)
}

func newRawLZMA(r io.Reader, props byte, dictSize uint32, unpacked int64) (io.Reader, error) {
	return lzmadec.NewReader(r, props, min(dictSize, MaxDict), unpacked, MaxDict)
}

// trailing ends a stream cleanly at an error that only means "something
// else follows", once some data was decoded.
type trailing struct {
	r   io.Reader
	c   io.Closer // nil when closing is a no-op
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

func (t *trailing) Close() error {
	if t.c != nil {
		return t.c.Close()
	}
	return nil
}
