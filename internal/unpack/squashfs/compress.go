package squashfs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/decomp"
)

// method is the decomp method of a block, or "" for lzma, which squashfs
// stores in its own ways.
func (img *image) method(src []byte) string {
	switch img.sb.comp {
	case compZlib:
		return decomp.Zlib
	case compLZMA:
		return ""
	case compLZO:
		return decomp.LZO
	case compXZ:
		return decomp.XZ
	case compLZ4:
		return decomp.LZ4Block
	case compZstd:
		return decomp.Zstd
	}
	// 2.x/3.x: zlib streams start with a CMF byte for deflate and a
	// checksummed FLG byte; anything else is taken as vendor lzma.
	if isZlib(src) {
		return decomp.Zlib
	}
	return ""
}

// decompress inflates one block of at most max bytes into a slice of its
// own; want is the expected size when known (data blocks) or -1.
func (img *image) decompress(src []byte, max int, want int) ([]byte, error) {
	if m := img.method(src); m != "" {
		return decomp.Block(m, src, max)
	}
	return lzmaBlock(nil, src, max, want, img.sb.blockSize)
}

// decompressTo is decompress appending to dst, a buffer with room for max
// bytes that is reused from block to block.
func (img *image) decompressTo(dst, src []byte, max int, want int) ([]byte, error) {
	if m := img.method(src); m != "" {
		return decomp.AppendBlock(dst, m, src, max)
	}
	return lzmaBlock(dst, src, max, want, img.sb.blockSize)
}

func isZlib(b []byte) bool {
	return len(b) >= 2 && b[0]&0x0f == 8 && (uint16(b[0])<<8|uint16(b[1]))%31 == 0
}

// lzmaBlock decodes an lzma-alone stream (13-byte header) or, as vendor
// 2.x/3.x images store, a raw stream with default properties. A raw
// stream always starts with a zero byte, a header never does in practice.
func lzmaBlock(dst, src []byte, max, want int, dict uint32) ([]byte, error) {
	if len(src) > 13 && src[0] != 0 && src[0] < 225 {
		if n := int64(binary.LittleEndian.Uint64(src[5:13])); n > int64(max) || n < -1 {
			return nil, corrupt("lzma block of %d bytes", n)
		}
		return decomp.AppendBlock(dst, decomp.LZMA, boundLZMAHeader(src, max), max)
	}
	if dict < 1<<16 {
		dict = 1 << 16
	}
	lr, err := decomp.NewRawLZMA(bytes.NewReader(src), 0x5d, dict, int64(want))
	if err != nil {
		return nil, err
	}
	return readRaw(dst, lr, max, want < 0)
}

// readRaw reads a raw lzma stream of at most max bytes. Without a size
// (noSize) a stream may end without an end marker: the decoder then fails
// at the end of the input while the last decoded bytes are still buffered,
// so it is drained until it yields nothing more.
func readRaw(dst []byte, r io.Reader, max int, noSize bool) ([]byte, error) {
	out := dst
	var p [4096]byte
	truncated := false
	for zero := 0; zero < 100; {
		n, err := r.Read(p[:])
		if n == 0 {
			zero++
		}
		out = append(out, p[:n]...)
		if len(out)-len(dst) > max {
			return nil, decomp.ErrTooLarge
		}
		switch {
		case err == io.EOF:
			return out, nil
		case errors.Is(err, io.ErrUnexpectedEOF) && noSize && !truncated:
			truncated = true
		case err != nil:
			if truncated && len(out) > len(dst) {
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
