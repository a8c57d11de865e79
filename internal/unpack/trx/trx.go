// Package trx unpacks Broadcom TRX firmware containers (versions 1 and 2):
// each partition offset of the header becomes a file part0, part1, ...
package trx

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sort"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

var magic = []byte("HDR0")

type trx struct{}

// New returns the TRX format.
func New() format.Format { return trx{} }

func (trx) Name() string                   { return "trx" }
func (trx) Kind() format.Kind              { return format.Container }
func (trx) Signatures() []format.Signature { return []format.Signature{{Magic: magic}} }

type header struct {
	length  uint32
	crc     uint32
	flags   uint16
	version uint16
	offsets []uint32
	hdrSize uint32
}

func parse(r io.ReaderAt, size int64) (header, error) {
	var b [32]byte
	if size < 28 || format.ReadFull(r, b[:28], 0) != nil || string(b[:4]) != string(magic) {
		return header{}, fmt.Errorf("%w: trx magic", format.ErrNotMatch)
	}
	h := header{
		length:  binary.LittleEndian.Uint32(b[4:]),
		crc:     binary.LittleEndian.Uint32(b[8:]),
		flags:   binary.LittleEndian.Uint16(b[12:]),
		version: binary.LittleEndian.Uint16(b[14:]),
	}
	n := 3
	switch h.version {
	case 1:
		h.hdrSize = 28
	case 2:
		h.hdrSize, n = 32, 4
		if size < 32 || format.ReadFull(r, b[28:32], 28) != nil {
			return header{}, fmt.Errorf("%w: trx v2 header", format.ErrNotMatch)
		}
	default:
		return header{}, fmt.Errorf("%w: trx version %d", format.ErrNotMatch, h.version)
	}
	if h.length < h.hdrSize {
		return header{}, fmt.Errorf("%w: trx length %d", format.ErrNotMatch, h.length)
	}
	any := false
	for i := 0; i < n; i++ {
		o := binary.LittleEndian.Uint32(b[16+4*i:])
		if o != 0 && (o < h.hdrSize || o >= h.length) {
			return header{}, fmt.Errorf("%w: trx partition offset %#x", format.ErrNotMatch, o)
		}
		any = any || o != 0
		h.offsets = append(h.offsets, o)
	}
	if !any {
		return header{}, fmt.Errorf("%w: trx without partitions", format.ErrNotMatch)
	}
	return h, nil
}

// checkCRC computes the header CRC: CRC-32 (IEEE) over flags..end without
// the final inversion.
func checkCRC(r io.ReaderAt, h header) error {
	var sum uint32
	sr := io.NewSectionReader(r, 12, int64(h.length)-12)
	buf := make([]byte, 64<<10)
	for {
		n, err := sr.Read(buf)
		sum = crc32.Update(sum, crc32.IEEETable, buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	sum = ^sum // undo the final inversion of the standard CRC-32
	if sum != h.crc {
		return fmt.Errorf("trx: CRC mismatch: header %#08x, computed %#08x", h.crc, sum)
	}
	return nil
}

func (trx) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	h, err := parse(r, size)
	if err != nil {
		return format.Match{}, err
	}
	m := format.Match{Extractable: true}
	var parts int
	for _, o := range h.offsets {
		if o != 0 {
			parts++
		}
	}
	m.Description = fmt.Sprintf("TRX v%d firmware, length %d, flags %#04x, %d partitions", h.version, h.length, h.flags, parts)
	if int64(h.length) <= size {
		m.Size = int64(h.length)
		if checkCRC(r, h) != nil {
			m.Description += ", CRC mismatch"
		}
	} else {
		m.Description += ", truncated"
	}
	return m, nil
}

func (trx) Extract(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	h, err := parse(r, size)
	if err != nil {
		return err
	}
	end := int64(h.length)
	if end > size {
		sink.Problem("", fmt.Errorf("trx: length %d beyond the %d bytes available", end, size))
		end = size
	} else if err := checkCRC(r, h); err != nil {
		sink.Problem("", err)
	}
	// A partition runs to the next higher offset or to the end.
	bounds := []int64{end}
	for _, o := range h.offsets {
		if o != 0 {
			bounds = append(bounds, int64(o))
		}
	}
	sort.Slice(bounds, func(i, j int) bool { return bounds[i] < bounds[j] })
	for i, o := range h.offsets {
		if o == 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		start := int64(o)
		if start >= end {
			sink.Problem(fmt.Sprintf("part%d", i), errors.New("trx: partition starts beyond the data"))
			continue
		}
		stop := end
		for _, b := range bounds {
			if b > start {
				stop = b
				break
			}
		}
		e := format.Entry{Path: fmt.Sprintf("part%d", i), Mode: 0o644, Size: stop - start}
		if err := sink.Add(e, io.NewSectionReader(r, start, stop-start)); err != nil {
			return err
		}
	}
	return nil
}
