package archive

import (
	"context"
	"encoding/binary"
	"hash/crc32"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

var sevenZipMagic = []byte{'7', 'z', 0xbc, 0xaf, 0x27, 0x1c}

type sevenZip struct{}

// SevenZip identifies 7-Zip archives (not unpacked by this build).
func SevenZip() format.Format { return sevenZip{} }

func (sevenZip) Name() string                   { return "7z" }
func (sevenZip) Signatures() []format.Signature { return []format.Signature{{Magic: sevenZipMagic}} }

func (sevenZip) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	var h [32]byte
	if size < 32 || format.ReadFull(r, h[:], 0) != nil || string(h[:6]) != string(sevenZipMagic) || h[6] != 0 {
		return format.Match{}, notMatch("7z signature header")
	}
	if crc32.ChecksumIEEE(h[12:32]) != binary.LittleEndian.Uint32(h[8:12]) {
		return format.Match{}, notMatch("7z start header CRC")
	}
	// The header database sits at the end: an archive cut before it is
	// not worth a layer.
	off, n := binary.LittleEndian.Uint64(h[12:20]), binary.LittleEndian.Uint64(h[20:28])
	if off >= uint64(size) || n >= uint64(size) || 32+off+n > uint64(size) {
		return format.Match{}, notMatch("7z header beyond the end of the data")
	}
	return format.Match{Size: int64(32 + off + n), Description: "7-Zip archive (not unpacked)"}, nil
}

func (sevenZip) Extract(context.Context, io.ReaderAt, int64, format.Sink) error {
	return format.Unsupported("7-Zip archive")
}
