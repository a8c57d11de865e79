// Package decomp gives the unpackers one place to open compressed streams
// and blocks by name (the compressors used inside squashfs, jffs2, ubifs,
// uImage, kernels and carved streams), always pure Go and always bounded.
package decomp

import (
	"bytes"
	"compress/bzip2"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	lzo "github.com/anchore/go-lzo"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz/lzma"
)

// Method names accepted by NewReader and Block.
const (
	Gzip     = "gzip"
	Zlib     = "zlib"
	XZ       = "xz"
	LZMA     = "lzma" // lzma-alone (13-byte header: props, dict, size)
	Bzip2    = "bzip2"
	Zstd     = "zstd"
	LZ4      = "lz4"       // lz4 frame format
	LZO      = "lzo"       // raw lzo1x block (Block only)
	LZ4Block = "lz4-block" // raw lz4 block (Block only)
)

// MaxDict caps the dictionary an lzma or xz stream may ask for. The header
// field is attacker-controlled and the decoder allocates it up front; 64 MiB
// covers every real kernel and file system, and a stream that really needs
// more fails with an error instead of exhausting memory.
const MaxDict = 64 << 20

// ErrUnknownMethod is returned for a method name this package does not know.
var ErrUnknownMethod = errors.New("unknown compression method")

// NewReader opens a decompressing stream.
func NewReader(method string, r io.Reader) (io.ReadCloser, error) {
	switch method {
	case Gzip:
		return gzip.NewReader(r)
	case Zlib:
		return zlib.NewReader(r)
	case XZ:
		x, err := newXZReader(r, MaxDict, 0)
		if err != nil {
			return nil, err
		}
		return io.NopCloser(x), nil
	case LZMA:
		l, err := lzma.ReaderConfig{DictCap: MaxDict}.NewReader(r)
		if err != nil {
			return nil, err
		}
		return io.NopCloser(l), nil
	case Bzip2:
		return io.NopCloser(bzip2.NewReader(r)), nil
	case Zstd:
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	case LZ4:
		return io.NopCloser(lz4.NewReader(r)), nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownMethod, method)
}

// NewRawLZMA opens an LZMA stream without the 13-byte lzma-alone header, as
// found in vendor squashfs and some kernels: props is the lc/lp/pb byte.
// unpacked is the size when known, or -1.
func NewRawLZMA(r io.Reader, props byte, dictSize uint32, unpacked int64) (io.Reader, error) {
	var hdr [13]byte
	hdr[0] = props
	binary.LittleEndian.PutUint32(hdr[1:5], min(dictSize, MaxDict))
	binary.LittleEndian.PutUint64(hdr[5:13], uint64(unpacked))
	return lzma.ReaderConfig{DictCap: MaxDict}.NewReader(io.MultiReader(bytes.NewReader(hdr[:]), r))
}

// Block decompresses one self-contained block of at most max output bytes.
// It is what block-structured file systems (squashfs, jffs2, ubifs) need.
func Block(method string, src []byte, max int) ([]byte, error) {
	switch method {
	case LZO:
		dst := make([]byte, max)
		n, err := lzo.Decompress(src, dst)
		if err != nil {
			return nil, err
		}
		return dst[:n], nil
	case LZ4Block:
		dst := make([]byte, max)
		n, err := lz4.UncompressBlock(src, dst)
		if err != nil {
			return nil, err
		}
		return dst[:n], nil
	case XZ:
		// A block decodes to at most max bytes, so no match reaches
		// further back: the dictionary is clamped to max.
		x, err := newXZReader(bytes.NewReader(src), MaxDict, int64(max))
		if err != nil {
			return nil, err
		}
		return ReadAtMost(x, max)
	case Zstd:
		d := zstdPool.Get().(*zstd.Decoder)
		defer zstdPool.Put(d)
		out, err := d.DecodeAll(src, make([]byte, 0, max))
		if err == nil && len(out) > max {
			return nil, ErrTooLarge
		}
		return out, err
	}
	rc, err := NewReader(method, bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return ReadAtMost(rc, max)
}

// zstdPool reuses block decoders: building one per block is slow on
// large file systems.
var zstdPool = sync.Pool{New: func() any {
	d, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(256<<20), zstd.WithDecoderMaxWindow(MaxDict))
	return d
}}

// ErrTooLarge is returned when a stream yields more than allowed.
var ErrTooLarge = errors.New("decompressed data exceeds limit")

// ReadAtMost reads all of r but fails with ErrTooLarge beyond max bytes.
func ReadAtMost(r io.Reader, max int) ([]byte, error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, int64(max)+1))
	if err != nil {
		return buf.Bytes(), err
	}
	if n > int64(max) {
		return nil, ErrTooLarge
	}
	return buf.Bytes(), nil
}
