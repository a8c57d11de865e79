package decomp

import (
	"encoding/binary"
	"io"
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
