package decomp

import (
	"bytes"
	"errors"
	"io"
	"sync"

	lzo "github.com/anchore/go-lzo"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// BlockDecoder decodes self-contained blocks of one method and keeps what
// it can between them (Huffman tables, windows, dictionaries), so a file
// system of thousands of blocks builds its decoder state once per worker.
// A BlockDecoder is used by one goroutine at a time; the pools below hand
// them out.
type BlockDecoder interface {
	// DecodeBlock appends the decoding of src to dst and returns the
	// extended slice. More than max decoded bytes is ErrTooLarge. On other
	// errors the result holds what was decoded before the error.
	DecodeBlock(dst, src []byte, max int) ([]byte, error)
}

// blockDecoders is the list of methods with a reusable block decoder. A
// method not listed is decoded by a fresh stream reader per block. A
// decoder that can be reset (such as a native xz/lzma one) joins by
// replacing its stream entry here.
var blockDecoders = map[string]func() BlockDecoder{
	Gzip:     func() BlockDecoder { return &gzipBlocks{} },
	Zlib:     func() BlockDecoder { return &zlibBlocks{} },
	Deflate:  func() BlockDecoder { return &flateBlocks{} },
	Zstd:     func() BlockDecoder { return &zstdBlocks{} },
	LZO:      func() BlockDecoder { return lzoBlocks{} },
	LZ4Block: func() BlockDecoder { return lz4Blocks{} },
	LZMA:     func() BlockDecoder { return &lzmaBlocks{} },
	XZ: func() BlockDecoder {
		// A block decodes to at most max bytes, so no match reaches
		// further back: the dictionary is clamped to max.
		return streamBlocks(func(r io.Reader, max int) (io.Reader, error) {
			return newXZReader(r, MaxDict, int64(max))
		})
	},
}

// blockPools holds the idle decoders of every method in blockDecoders.
var blockPools = func() map[string]*sync.Pool {
	m := make(map[string]*sync.Pool, len(blockDecoders))
	for method, mk := range blockDecoders {
		m[method] = &sync.Pool{New: func() any { return mk() }}
	}
	return m
}()

// AppendBlock decodes src, one self-contained block of at most max output
// bytes, and appends the result to dst. With room for max bytes in dst it
// allocates nothing: block file systems decode into buffers they reuse.
func AppendBlock(dst []byte, method string, src []byte, max int) ([]byte, error) {
	var out []byte
	var err error
	if p := blockPools[method]; p != nil {
		d := p.Get().(BlockDecoder)
		out, err = d.DecodeBlock(dst, src, max)
		p.Put(d)
	} else {
		out, err = appendStream(dst, method, src, max)
	}
	if out != nil {
		meterBlock(method, out[len(dst):])
	}
	if errors.Is(err, ErrTooLarge) {
		return nil, err
	}
	return out, err
}

// appendStream decodes a block with a fresh stream reader, for the
// methods that have no reusable decoder.
func appendStream(dst []byte, method string, src []byte, max int) ([]byte, error) {
	rc, err := newReader(method, bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return appendFrom(dst, rc, max)
}

// Block decompresses one self-contained block of at most max output bytes
// into a new slice of the decoded size that the caller keeps. It is what
// block-structured file systems (squashfs, cramfs, jffs2, ubifs) need.
func Block(method string, src []byte, max int) ([]byte, error) {
	s := getScratch()
	out, err := AppendBlock((*s)[:0], method, src, max)
	res := clone(out)
	putScratch(s, out)
	return res, err
}

// ErrTooLarge is returned when a stream yields more than allowed.
var ErrTooLarge = errors.New("decompressed data exceeds limit")

// ReadAtMost reads all of r but fails with ErrTooLarge beyond max bytes.
func ReadAtMost(r io.Reader, max int) ([]byte, error) {
	s := getScratch()
	out, err := appendFrom((*s)[:0], r, max)
	if errors.Is(err, ErrTooLarge) {
		putScratch(s, nil)
		return nil, err
	}
	res := clone(out)
	putScratch(s, out)
	return res, err
}

// clone copies b to a slice of its own size; appending to an empty slice
// allocates without clearing the memory first.
func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

// blockBuf bounds the buffer allocated before decoding: the maximal size
// comes from a header, which a hostile image may fake. Decoding past it
// grows the buffer as the output arrives.
const blockBuf = 1 << 20

// scratch holds decoding buffers between blocks: allocating one per block
// clears its memory each time, which cost as much as a fifth of decoding.
var scratch sync.Pool

// maxScratch is the largest buffer kept for reuse.
const maxScratch = 4 << 20

func getScratch() *[]byte {
	if s, ok := scratch.Get().(*[]byte); ok {
		return s
	}
	return new([]byte)
}

// putScratch returns s, now backed by used (the buffer decoding filled),
// to the pool.
func putScratch(s *[]byte, used []byte) {
	if cap(used) > cap(*s) {
		*s = used
	}
	if cap(*s) > maxScratch {
		return
	}
	*s = (*s)[:0]
	scratch.Put(s)
}

// room makes sure dst can take n more bytes without growing.
func room(dst []byte, n int) []byte {
	if cap(dst)-len(dst) >= n {
		return dst
	}
	grown := make([]byte, len(dst), len(dst)+n)
	copy(grown, dst)
	return grown
}

// oneShot says whether a block may be decoded in one pass into dst: that
// needs room for max bytes up front, which a hostile header must not make
// huge.
func oneShot(dst []byte, max int) bool {
	return max <= blockBuf || cap(dst)-len(dst) >= max
}

// appendFrom reads all of r, at most max bytes, onto dst. Reading stops
// only at io.EOF, so checksums at the end of a stream are verified.
func appendFrom(dst []byte, r io.Reader, limit int) ([]byte, error) {
	start := len(dst)
	dst = room(dst, min(limit, blockBuf))
	for zero := 0; zero < 100; {
		end := len(dst) - start
		if end >= limit {
			// Full: only the end of the stream may follow.
			var one [1]byte
			n, err := r.Read(one[:])
			if n > 0 {
				return nil, ErrTooLarge
			}
			if err == io.EOF {
				return dst, nil
			}
			if err != nil {
				return dst, err
			}
			zero++
			continue
		}
		if len(dst) == cap(dst) {
			dst = room(dst, min(limit-end, max(end, 4096)))
		}
		n, err := r.Read(dst[len(dst):min(cap(dst), start+limit)])
		dst = dst[:len(dst)+n]
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
		if n == 0 {
			zero++
		}
	}
	return dst, io.ErrNoProgress
}

// streamBlocks decodes blocks with a stream reader opened per block, for
// decoders that cannot be reset. The output still goes straight into dst.
type streamBlocks func(r io.Reader, max int) (io.Reader, error)

func (s streamBlocks) DecodeBlock(dst, src []byte, max int) ([]byte, error) {
	r, err := s(bytes.NewReader(src), max)
	if err != nil {
		return nil, err
	}
	return appendFrom(dst, r, max)
}

// flateBlocks decodes raw deflate blocks in one pass (inflate), or on any
// error again with a reused streaming decoder, whose error and partial
// output are the ones reported.
type flateBlocks struct {
	src bytes.Reader
	f   io.ReadCloser
}

func (b *flateBlocks) DecodeBlock(dst, src []byte, max int) ([]byte, error) {
	if oneShot(dst, max) {
		start := len(dst)
		dst = room(dst, max)
		if end, _, err := inflate(dst[:start+max], start, src); err == nil {
			return dst[:end], nil
		}
		dst = dst[:start]
	}
	b.src.Reset(src)
	if b.f == nil {
		b.f = flate.NewReader(&b.src)
	} else if err := b.f.(flate.Resetter).Reset(&b.src, nil); err != nil {
		return nil, err
	}
	return appendFrom(dst, b.f, max)
}

// zlibBlocks decodes zlib blocks in one pass (zlibBlock), or on any error
// again with a reused streaming decoder, whose error and partial output
// are the ones reported. The first block with a valid header creates it.
type zlibBlocks struct {
	src bytes.Reader
	z   io.ReadCloser
}

func (b *zlibBlocks) DecodeBlock(dst, src []byte, max int) ([]byte, error) {
	if oneShot(dst, max) {
		if out, ok := zlibBlock(dst, src, max); ok {
			return out, nil
		}
	}
	b.src.Reset(src)
	if b.z == nil {
		z, err := zlib.NewReader(&b.src)
		if err != nil {
			return nil, err
		}
		b.z = z
	} else if err := b.z.(zlib.Resetter).Reset(&b.src, nil); err != nil {
		return nil, err
	}
	return appendFrom(dst, b.z, max)
}

// gzipBlocks reuses one gzip decoder; a block is one member.
type gzipBlocks struct {
	src bytes.Reader
	z   *gzip.Reader
}

func (b *gzipBlocks) DecodeBlock(dst, src []byte, max int) ([]byte, error) {
	b.src.Reset(src)
	if b.z == nil {
		z, err := gzip.NewReader(&b.src)
		if err != nil {
			return nil, err
		}
		b.z = z
	} else if err := b.z.Reset(&b.src); err != nil {
		return nil, err
	}
	b.z.Multistream(false)
	return appendFrom(dst, b.z, max)
}

// zstdBlocks decodes whole frames with one decoder. The window is capped
// like the lzma and xz dictionaries (MaxDict), and a frame that declares
// more than max bytes fails before anything is allocated for it.
type zstdBlocks struct {
	d *zstd.Decoder
}

func (b *zstdBlocks) DecodeBlock(dst, src []byte, max int) ([]byte, error) {
	if b.d == nil {
		d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(256<<20), zstd.WithDecoderMaxWindow(MaxDict))
		if err != nil {
			return nil, err
		}
		b.d = d
	}
	var h zstd.Header
	if h.Decode(src) == nil && h.HasFCS && h.FrameContentSize > uint64(max) {
		return nil, ErrTooLarge
	}
	start := len(dst)
	out, err := b.d.DecodeAll(src, room(dst, min(max, blockBuf)))
	if err == nil && len(out)-start > max {
		return nil, ErrTooLarge
	}
	return out, err
}

// lzoBlocks decodes raw LZO1X blocks, which carry no state.
type lzoBlocks struct{}

func (lzoBlocks) DecodeBlock(dst, src []byte, max int) ([]byte, error) {
	dst = room(dst, max)
	n, err := lzo.Decompress(src, dst[len(dst):len(dst)+max])
	if err != nil {
		return nil, err
	}
	return dst[:len(dst)+n], nil
}

// lz4Blocks decodes raw LZ4 blocks, which carry no state.
type lz4Blocks struct{}

func (lz4Blocks) DecodeBlock(dst, src []byte, max int) ([]byte, error) {
	dst = room(dst, max)
	n, err := lz4.UncompressBlock(src, dst[len(dst):len(dst)+max])
	if err != nil {
		return nil, err
	}
	return dst[:len(dst)+n], nil
}
