package squashfs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/decomp"
)

// decompress inflates one block of at most max bytes; want is the expected
// size when known (data blocks) or -1.
func (img *image) decompress(src []byte, max int, want int) ([]byte, error) {
	switch img.sb.comp {
	case compZlib:
		return decomp.Block(decomp.Zlib, src, max)
	case compLZMA:
		return lzmaBlock(src, max, want, img.sb.blockSize)
	case compLZO:
		return decomp.Block(decomp.LZO, src, max)
	case compXZ:
		return decomp.Block(decomp.XZ, src, max)
	case compLZ4:
		return decomp.Block(decomp.LZ4Block, src, max)
	case compZstd:
		return decomp.Block(decomp.Zstd, src, max)
	}
	// 2.x/3.x: zlib streams start with a CMF byte for deflate and a
	// checksummed FLG byte; anything else is taken as vendor lzma.
	if isZlib(src) {
		return decomp.Block(decomp.Zlib, src, max)
	}
	return lzmaBlock(src, max, want, img.sb.blockSize)
}

func isZlib(b []byte) bool {
	return len(b) >= 2 && b[0]&0x0f == 8 && (uint16(b[0])<<8|uint16(b[1]))%31 == 0
}

// lzmaBlock decodes an lzma-alone stream (13-byte header) or, as vendor
// 2.x/3.x images store, a raw stream with default properties. A raw
// stream always starts with a zero byte, a header never does in practice.
func lzmaBlock(src []byte, max, want int, dict uint32) ([]byte, error) {
	if len(src) > 13 && src[0] != 0 && src[0] < 225 {
		if n := int64(binary.LittleEndian.Uint64(src[5:13])); n > int64(max) || n < -1 {
			return nil, corrupt("lzma block of %d bytes", n)
		}
		return decomp.Block(decomp.LZMA, boundLZMAHeader(src, max), max)
	}
	if dict < 1<<16 {
		dict = 1 << 16
	}
	lr, err := decomp.NewRawLZMA(bytes.NewReader(src), 0x5d, dict, int64(want))
	if err != nil {
		return nil, err
	}
	return readRaw(lr, max, want < 0)
}

// readRaw reads a raw lzma stream of at most max bytes. Without a size
// (noSize) a stream may end without an end marker: the decoder then fails
// at the end of the input while the last decoded bytes are still buffered,
// so it is drained until it yields nothing more.
func readRaw(r io.Reader, max int, noSize bool) ([]byte, error) {
	var out []byte
	p := make([]byte, 4096)
	truncated := false
	for zero := 0; zero < 100; {
		n, err := r.Read(p)
		if n == 0 {
			zero++
		}
		out = append(out, p[:n]...)
		if len(out) > max {
			return nil, decomp.ErrTooLarge
		}
		switch {
		case err == io.EOF:
			return out, nil
		case errors.Is(err, io.ErrUnexpectedEOF) && noSize && !truncated:
			truncated = true
		case err != nil:
			if truncated && len(out) > 0 {
				return out, nil
			}
			return out, err
		case n == 0 && truncated:
			return out, nil
		}
	}
	return nil, io.ErrNoProgress
}

// The lzma decoder allocates the dictionary its header asks for (up to
// 4 GiB). A squashfs block decodes to at most max bytes, so no match
// reaches further back than max: the dictionary is lowered in a copy of
// the header to what the block can need. (decomp.Block does the same for
// xz itself.)

// boundLZMAHeader returns src with the lzma-alone dictionary size clamped.
func boundLZMAHeader(src []byte, max int) []byte {
	if len(src) < 13 || binary.LittleEndian.Uint32(src[1:5]) <= uint32(max) {
		return src
	}
	out := append([]byte{}, src...)
	binary.LittleEndian.PutUint32(out[1:5], uint32(max))
	return out
}
