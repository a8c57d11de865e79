// Package sparse unpacks Android sparse images (magic 0xed26ff3a, version
// 1): raw, fill, don't-care and crc32 chunks. It yields one file,
// "unsparsed.img", streamed; don't-care chunks read as zeros.
package sparse

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// New returns the Android sparse image unpacker.
func New() format.Format { return sparseFormat{} }

type sparseFormat struct{}

// OutName is the name of the one file Extract yields.
const OutName = "unsparsed.img"

const (
	magic      = 0xed26ff3a
	chunkRaw   = 0xcac1
	chunkFill  = 0xcac2
	chunkSkip  = 0xcac3
	chunkCRC   = 0xcac4
	fileHdrMin = 28
	chunkHdr   = 12
	// maxBlk keeps blocks*blkSz far from int64 overflow (blocks < 2^32).
	maxBlk = 64 << 20
)

func (sparseFormat) Name() string      { return "android-sparse" }
func (sparseFormat) Kind() format.Kind { return format.Stream }

func (sparseFormat) Signatures() []format.Signature {
	return []format.Signature{{Magic: []byte{0x3a, 0xff, 0x26, 0xed}}}
}

type header struct {
	fileHdr, chunkHdr int64
	blkSz             int64
	totalBlks         int64
	totalChunks       int64
	checksum          uint32
}

var errHeader = errors.New("android sparse: bad header")

func readHeader(r io.ReaderAt, size int64) (*header, error) {
	var b [fileHdrMin]byte
	if size < fileHdrMin || format.ReadFull(r, b[:], 0) != nil {
		return nil, format.ErrNotMatch
	}
	le := binary.LittleEndian
	if le.Uint32(b[0:]) != magic || le.Uint16(b[4:]) != 1 {
		return nil, format.ErrNotMatch
	}
	h := &header{
		fileHdr:     int64(le.Uint16(b[8:])),
		chunkHdr:    int64(le.Uint16(b[10:])),
		blkSz:       int64(le.Uint32(b[12:])),
		totalBlks:   int64(le.Uint32(b[16:])),
		totalChunks: int64(le.Uint32(b[20:])),
		checksum:    le.Uint32(b[24:]),
	}
	if h.fileHdr < fileHdrMin || h.chunkHdr < chunkHdr || h.blkSz == 0 || h.blkSz%4 != 0 || h.blkSz > maxBlk {
		return nil, fmt.Errorf("%w: %w", format.ErrNotMatch, errHeader)
	}
	return h, nil
}

// segment is one chunk of output.
type segment struct {
	typ     uint16
	blocks  int64
	dataOff int64 // raw data, fill pattern or crc value
}

// chunks walks the chunk headers. It returns the chunks that are sound, the
// end of the last one, and an error for the first damaged one.
func chunks(r io.ReaderAt, size int64, h *header) ([]segment, int64, error) {
	var segs []segment
	off := h.fileHdr
	var blocks int64
	var b [chunkHdr]byte
	le := binary.LittleEndian
	for i := int64(0); i < h.totalChunks; i++ {
		if off+h.chunkHdr > size {
			return segs, off, fmt.Errorf("chunk %d: %w", i, io.ErrUnexpectedEOF)
		}
		if err := format.ReadFull(r, b[:], off); err != nil {
			return segs, off, err
		}
		s := segment{typ: le.Uint16(b[0:]), blocks: int64(le.Uint32(b[4:])), dataOff: off + h.chunkHdr}
		total := int64(le.Uint32(b[8:]))
		var want int64
		switch s.typ {
		case chunkRaw:
			want = s.blocks * h.blkSz
		case chunkFill, chunkCRC:
			want = 4
		case chunkSkip:
		default:
			return segs, off, fmt.Errorf("chunk %d: unknown type %#x", i, s.typ)
		}
		if total != h.chunkHdr+want {
			return segs, off, fmt.Errorf("chunk %d: size %d, want %d", i, total, h.chunkHdr+want)
		}
		if off+total > size {
			return segs, off, fmt.Errorf("chunk %d: %w", i, io.ErrUnexpectedEOF)
		}
		if s.typ == chunkCRC {
			s.blocks = 0
		}
		if blocks+s.blocks > h.totalBlks {
			return segs, off, fmt.Errorf("chunk %d: beyond the %d blocks of the image", i, h.totalBlks)
		}
		blocks += s.blocks
		segs = append(segs, s)
		off += total
	}
	return segs, off, nil
}

func (sparseFormat) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	h, err := readHeader(r, size)
	if err != nil {
		return format.Match{}, err
	}
	m := format.Match{
		Extractable: true,
		Description: fmt.Sprintf("Android sparse image, %d blocks of %d bytes, %d chunks", h.totalBlks, h.blkSz, h.totalChunks),
	}
	segs, end, err := chunks(r, size, h)
	if err == nil {
		m.Size = end
	} else if len(segs) == 0 {
		return format.Match{}, fmt.Errorf("%w: %v", format.ErrNotMatch, err)
	}
	return m, nil
}

func (sparseFormat) Extract(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	h, err := readHeader(r, size)
	if err != nil {
		return err
	}
	segs, _, cerr := chunks(r, size, h)
	if cerr != nil {
		sink.Problem(OutName, fmt.Errorf("android sparse: %w", cerr))
	}
	var blocks int64
	for _, s := range segs {
		blocks += s.blocks
	}
	if blocks < h.totalBlks {
		// Keep the image its declared size: the missing tail reads as zeros.
		if cerr == nil {
			sink.Problem(OutName, fmt.Errorf("android sparse: chunks cover %d of %d blocks", blocks, h.totalBlks))
		}
		segs = append(segs, segment{typ: chunkSkip, blocks: h.totalBlks - blocks})
	}
	u := &unsparser{ctx: ctx, r: r, blkSz: h.blkSz, segs: segs, crc: crc32.NewIEEE()}
	e := format.Entry{Path: OutName, Mode: 0o644, Size: h.totalBlks * h.blkSz}
	if err := sink.Add(e, u); err != nil {
		return err
	}
	for _, p := range u.problems {
		sink.Problem(OutName, p)
	}
	if u.done && h.checksum != 0 && u.crc.Sum32() != h.checksum {
		sink.Problem(OutName, fmt.Errorf("android sparse: image checksum %#x, header says %#x", u.crc.Sum32(), h.checksum))
	}
	return nil
}
