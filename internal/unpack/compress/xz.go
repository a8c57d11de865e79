package compress

import (
	"encoding/binary"
	"hash/crc32"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/decomp"
	"github.com/thingsec/thingsec/internal/unpack/format"
)

var xzMagic = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}

// XZ is the .xz container (a single stream; trailing data is ignored).
func XZ() format.Format {
	return &stream{
		name: "xz",
		sigs: []format.Signature{{Magic: xzMagic}},
		identify: func(r io.ReaderAt, size int64) (format.Match, error) {
			h := header(r, size, 12)
			if len(h) < 12 || string(h[:6]) != string(xzMagic) || h[6] != 0 || h[7] > 0x0f ||
				crc32.ChecksumIEEE(h[6:8]) != binary.LittleEndian.Uint32(h[8:12]) {
				return format.Match{}, notMatch("xz stream header")
			}
			// A valid stream header alone is cheap to fake (and common in
			// truncated carvings): the first bytes must decode too.
			if !decomp.ProbeXZ(io.NewSectionReader(r, 0, size)) {
				return format.Match{}, notMatch("xz data")
			}
			return format.Match{Extractable: true, Description: "xz compressed data"}, nil
		},
		open: func(r io.ReaderAt, size int64) (io.Reader, string, error) {
			rd, err := decomp.NewReader(decomp.XZ, io.NewSectionReader(r, 0, size))
			return rd, "data", err
		},
	}
}

// Bzip2 is a bzip2 stream ("BZh" + level + the first block's magic).
func Bzip2() format.Format {
	var sigs []format.Signature
	for l := byte('1'); l <= '9'; l++ {
		sigs = append(sigs, format.Signature{Magic: []byte{'B', 'Z', 'h', l, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59}})
	}
	return &stream{
		name: "bzip2",
		sigs: sigs,
		identify: func(r io.ReaderAt, size int64) (format.Match, error) {
			h := header(r, size, 10)
			if len(h) < 10 || string(h[:3]) != "BZh" || h[3] < '1' || h[3] > '9' ||
				string(h[4:10]) != "\x31\x41\x59\x26\x53\x59" {
				return format.Match{}, notMatch("bzip2 header")
			}
			return format.Match{Extractable: true, Description: "bzip2 compressed data, block size " + string(h[3]) + "00k"}, nil
		},
		open: func(r io.ReaderAt, size int64) (io.Reader, string, error) {
			rd, err := decomp.NewReader(decomp.Bzip2, io.NewSectionReader(r, 0, size))
			return rd, "data", err
		},
	}
}
