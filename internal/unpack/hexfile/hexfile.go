// Package hexfile converts Intel HEX and Motorola S-record files to the
// binary image they describe ("data.bin", lowest address at offset 0,
// gaps filled with 0xFF).
package hexfile

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

const (
	maxSpan = 256 << 20 // bytes between the lowest and highest address
	maxLine = 1024      // longer lines are not records
	minHead = 3         // records that must check out for Identify
)

type kind int

const (
	intel kind = iota
	srec
)

type hexFormat struct{ k kind }

// Intel returns the Intel HEX format.
func Intel() format.Format { return hexFormat{intel} }

// SRec returns the Motorola S-record format.
func SRec() format.Format { return hexFormat{srec} }

// Formats returns both formats.
func Formats() []format.Format { return []format.Format{Intel(), SRec()} }

func (f hexFormat) Name() string {
	if f.k == intel {
		return "ihex"
	}
	return "srec"
}

func (f hexFormat) Kind() format.Kind { return format.Encoding }

func (f hexFormat) Signatures() []format.Signature {
	var magics []string
	if f.k == intel {
		magics = []string{":10", ":20", ":08", ":02000004", ":02000002"}
	} else {
		magics = []string{"S0", "S113", "S214", "S315", "S123", "S224", "S325"}
	}
	var sigs []format.Signature
	for _, m := range magics {
		sigs = append(sigs, format.Signature{Magic: []byte(m)})
	}
	return sigs
}

// record is one decoded line.
type record struct {
	typ  byte // Intel type, or the S-record digit
	addr uint32
	data []byte
}

var errRecord = errors.New("not a valid record")

// parseLine decodes one line (without line ending).
func (f hexFormat) parseLine(line []byte) (record, error) {
	if f.k == intel {
		if len(line) < 11 || line[0] != ':' || len(line)%2 != 1 {
			return record{}, errRecord
		}
		b, err := hex.DecodeString(string(line[1:]))
		if err != nil || int(b[0])+5 != len(b) {
			return record{}, errRecord
		}
		var sum byte
		for _, c := range b {
			sum += c
		}
		if sum != 0 || b[3] > 5 {
			return record{}, errRecord
		}
		return record{typ: b[3], addr: uint32(b[1])<<8 | uint32(b[2]), data: b[4 : len(b)-1]}, nil
	}
	if len(line) < 8 || line[0] != 'S' || line[1] < '0' || line[1] > '9' || line[1] == '4' || len(line)%2 != 0 {
		return record{}, errRecord
	}
	b, err := hex.DecodeString(string(line[2:]))
	if err != nil || int(b[0])+1 != len(b) {
		return record{}, errRecord
	}
	var sum byte
	for _, c := range b[:len(b)-1] {
		sum += c
	}
	if ^sum != b[len(b)-1] {
		return record{}, errRecord
	}
	al := map[byte]int{'0': 2, '1': 2, '2': 3, '3': 4, '5': 2, '6': 3, '7': 4, '8': 3, '9': 2}[line[1]]
	if len(b) < 2+al {
		return record{}, errRecord
	}
	var addr uint32
	for _, c := range b[1 : 1+al] {
		addr = addr<<8 | uint32(c)
	}
	return record{typ: line[1], addr: addr, data: b[1+al : len(b)-1]}, nil
}

func (f hexFormat) isEnd(r record) bool {
	if f.k == intel {
		return r.typ == 1
	}
	return r.typ == '7' || r.typ == '8' || r.typ == '9'
}

// scanner yields the lines of the input with their end offsets.
type scanner struct {
	br  *bufio.Reader
	off int64
}

func (s *scanner) line() ([]byte, error) {
	var line []byte
	for {
		b, err := s.br.ReadByte()
		if err != nil {
			if len(line) > 0 && err == io.EOF {
				return line, nil
			}
			return nil, err
		}
		s.off++
		if b == '\n' {
			return bytes.TrimRight(line, "\r"), nil
		}
		if len(line) >= maxLine {
			return nil, errRecord
		}
		line = append(line, b)
	}
}

// walk parses records from the start until the end record, the end of
// input or the first line that is not a record. It returns the records,
// the byte length they span and whether an end record was seen.
func (f hexFormat) walk(r io.ReaderAt, size int64, fn func(record) error) (int64, bool, int, error) {
	s := &scanner{br: bufio.NewReader(io.NewSectionReader(r, 0, size))}
	var end int64
	n := 0
	for {
		line, err := s.line()
		if err != nil {
			return end, false, n, nil
		}
		if len(line) == 0 {
			continue
		}
		rec, err := f.parseLine(line)
		if err != nil {
			return end, false, n, err
		}
		n++
		end = s.off
		if err := fn(rec); err != nil {
			return end, false, n, err
		}
		if f.isEnd(rec) {
			return end, true, n, nil
		}
	}
}

// errEnough stops Identify's walk once the head checks out.
var errEnough = errors.New("enough")

func (f hexFormat) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	n := 0
	_, ended, _, err := f.walk(r, min(size, 16*maxLine), func(record) error {
		if n++; n >= minHead {
			return errEnough
		}
		return nil
	})
	if n == 0 || (n < minHead && !ended) || (err != nil && err != errEnough) {
		return format.Match{}, fmt.Errorf("%w: %s records", format.ErrNotMatch, f.Name())
	}
	// Find where the records end.
	end, _, count, _ := f.walk(r, size, func(record) error { return nil })
	desc := "Intel HEX"
	if f.k == srec {
		desc = "Motorola S-record"
	}
	return format.Match{Size: end, Extractable: true, Description: fmt.Sprintf("%s, %d records", desc, count)}, nil
}

type segment struct {
	addr uint64
	data []byte
}

func (f hexFormat) Extract(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	var segs []segment
	var base uint64 // Intel extended segment/linear address
	lines := 0
	_, ended, _, err := f.walk(r, size, func(rec record) error {
		if lines++; lines%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if f.k == intel {
			switch rec.typ {
			case 0:
				segs = appendSeg(segs, base+uint64(rec.addr), rec.data)
			case 2, 4:
				if len(rec.data) != 2 {
					return errors.New("bad extended address record")
				}
				v := uint64(rec.data[0])<<8 | uint64(rec.data[1])
				if rec.typ == 2 {
					base = v << 4
				} else {
					base = v << 16
				}
			}
			return nil
		}
		if rec.typ >= '1' && rec.typ <= '3' {
			segs = appendSeg(segs, uint64(rec.addr), rec.data)
		}
		return nil
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		sink.Problem("data.bin", fmt.Errorf("%s: %w", f.Name(), err))
	} else if !ended && f.k == intel {
		// (S-record writers often stop after the S5 count record.)
		sink.Problem("data.bin", fmt.Errorf("%s: no end record", f.Name()))
	}
	if len(segs) == 0 {
		sink.Problem("data.bin", fmt.Errorf("%s: no data records", f.Name()))
		return nil
	}
	return sink.Add(format.Entry{Path: "data.bin", Mode: 0o644}, image(segs, sink))
}

// appendSeg adds data at addr, extending the last segment when contiguous.
func appendSeg(segs []segment, addr uint64, data []byte) []segment {
	if len(data) == 0 {
		return segs
	}
	if n := len(segs); n > 0 && segs[n-1].addr+uint64(len(segs[n-1].data)) == addr {
		segs[n-1].data = append(segs[n-1].data, data...)
		return segs
	}
	return append(segs, segment{addr: addr, data: append([]byte(nil), data...)})
}

// image streams the segments in address order with 0xFF gaps, within
// maxSpan of the lowest address.
func image(segs []segment, sink format.Sink) io.Reader {
	sort.SliceStable(segs, func(i, j int) bool { return segs[i].addr < segs[j].addr })
	low := segs[0].addr
	var parts []io.Reader
	pos := low
	overlap, beyond := false, false
	for _, s := range segs {
		d := s.data
		a := s.addr
		if a < pos { // overlapping records: keep the first
			overlap = true
			if a+uint64(len(d)) <= pos {
				continue
			}
			d = d[pos-a:]
			a = pos
		}
		if a+uint64(len(d))-low > maxSpan {
			beyond = true
			break
		}
		if a > pos {
			parts = append(parts, io.LimitReader(ffReader{}, int64(a-pos)))
		}
		parts = append(parts, bytes.NewReader(d))
		pos = a + uint64(len(d))
	}
	if overlap {
		sink.Problem("data.bin", errors.New("overlapping records"))
	}
	if beyond {
		sink.Problem("data.bin", fmt.Errorf("records span more than %d bytes; the rest is dropped", maxSpan))
	}
	return io.MultiReader(parts...)
}

type ffReader struct{}

func (ffReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 0xff
	}
	return len(p), nil
}
