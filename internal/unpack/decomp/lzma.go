package decomp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/lzmadec"
)

// newLZMAReader opens an lzma-alone stream. The header was checked by
// whoever identified the stream; here the dictionary it asks for is only
// capped at MaxDict.
func newLZMAReader(r io.Reader) (io.Reader, error) {
	var h [13]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	return newRawLZMA(r, h[0], binary.LittleEndian.Uint32(h[1:5]), int64(binary.LittleEndian.Uint64(h[5:13])))
}

// LZMAConsumed is the compressed length an LZMA reader from NewRawLZMA
// used so far (after io.EOF: the stream's length without header).
func LZMAConsumed(r io.Reader) (int64, bool) {
	lr, ok := r.(*lzmadec.Reader)
	if !ok {
		return 0, false
	}
	return lr.Consumed(), true
}

// lzmaBlocks decodes lzma-alone blocks (squashfs lzma) straight into
// dst, which is the dictionary: no window is allocated and nothing is
// copied. The decoder's probability tables are reused between blocks.
type lzmaBlocks struct{ d lzmadec.Decoder }

func (b *lzmaBlocks) DecodeBlock(dst, src []byte, max int) ([]byte, error) {
	hd, err := lzmadec.ParseHeader(src)
	if err != nil {
		return nil, err
	}
	n := max
	if hd.Size >= 0 {
		if hd.Size > int64(max) {
			return nil, ErrTooLarge
		}
		n = int(hd.Size)
	}
	if !oneShot(dst, n) {
		// A size from a header that may be faked: decode as a stream,
		// growing the output as it comes.
		rd, err := newLZMAReader(bytes.NewReader(src))
		if err != nil {
			return nil, err
		}
		return appendFrom(dst, rd, max)
	}
	start := len(dst)
	dst = room(dst, n)
	k, err := b.d.DecodeBlock(dst[start:start+n], src[lzmadec.HeaderSize:], hd.Props, hd.Size)
	if errors.Is(err, lzmadec.ErrTooLarge) {
		return nil, ErrTooLarge
	}
	return dst[:start+k], err
}
