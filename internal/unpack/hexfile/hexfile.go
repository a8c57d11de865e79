// Package hexfile converts Intel HEX and Motorola S-record files to the
// binary image they describe ("data.bin", lowest address at offset 0,
// gaps filled with 0xFF).
package hexfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"

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

// record is one decoded line. data points into the walker's buffer: it
// is valid until the callback returns.
type record struct {
	typ  byte // Intel type, or the S-record digit
	addr uint32
	data []byte
}

var errRecord = errors.New("not a valid record")

// unhex maps a hex digit to its value and every other byte to 0xff.
var unhex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i, c := range "0123456789abcdef" {
		t[c] = byte(i)
	}
	for i, c := range "ABCDEF" {
		t[c] = byte(10 + i)
	}
	return t
}()

// addrLen is the address length of each S-record type (0: not a type).
var addrLen = [10]int{'0' - '0': 2, 1: 2, 2: 3, 3: 4, 5: 2, 6: 3, 7: 4, 8: 3, 9: 2}

// parseLine decodes one line (prefix and hex digits, no line ending) into
// buf.
func (f hexFormat) parseLine(line []byte, buf *[maxLine / 2]byte) (record, error) {
	if f.k == intel {
		if len(line) < 11 || line[0] != ':' || len(line)%2 != 1 {
			return record{}, errRecord
		}
		b, ok := decodeHex(buf, line[1:])
		if !ok || int(b[0])+5 != len(b) {
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
	b, ok := decodeHex(buf, line[2:])
	if !ok || int(b[0])+1 != len(b) {
		return record{}, errRecord
	}
	var sum byte
	for _, c := range b[:len(b)-1] {
		sum += c
	}
	if ^sum != b[len(b)-1] {
		return record{}, errRecord
	}
	al := addrLen[line[1]-'0']
	if len(b) < 2+al {
		return record{}, errRecord
	}
	var addr uint32
	for _, c := range b[1 : 1+al] {
		addr = addr<<8 | uint32(c)
	}
	return record{typ: line[1], addr: addr, data: b[1+al : len(b)-1]}, nil
}

// decodeHex decodes the hex digits of src (an even number) into buf.
func decodeHex(buf *[maxLine / 2]byte, src []byte) ([]byte, bool) {
	n := len(src) / 2
	if len(src)%2 != 0 || n > len(buf) || n == 0 {
		return nil, false
	}
	for i := 0; i < n; i++ {
		hi, lo := unhex[src[2*i]], unhex[src[2*i+1]]
		if hi|lo == 0xff {
			return nil, false
		}
		buf[i] = hi<<4 | lo
	}
	return buf[:n], true
}

func (f hexFormat) isEnd(r record) bool {
	if f.k == intel {
		return r.typ == 1
	}
	return r.typ == '7' || r.typ == '8' || r.typ == '9'
}

// scanner yields the lines of the input, reading it in chunks that start
// small and grow: a candidate in a flood of magics is rejected after one
// read of a few dozen bytes, a real file is read in large chunks, and
// nothing is allocated per line.
type scanner struct {
	r     io.ReaderAt
	size  int64
	buf   []byte
	start int64 // input offset of buf[0]
	n     int   // bytes of buf filled
	pos   int   // next byte of buf to scan
	chunk int   // the next read's size
	eof   bool
	off   int64 // input offset after the last line returned
}

const (
	firstChunk = 64
	maxChunk   = 64 << 10
)

var scanners = sync.Pool{New: func() any { return &scanner{buf: make([]byte, 0, maxChunk)} }}

func newScanner(r io.ReaderAt, size int64) *scanner {
	s := scanners.Get().(*scanner)
	*s = scanner{r: r, size: size, buf: s.buf[:0], chunk: firstChunk}
	return s
}

func (s *scanner) release() {
	s.r = nil
	scanners.Put(s)
}

// fill reads the next chunk after the unscanned bytes, moving them to
// the front of buf. It returns false at the end of the input.
func (s *scanner) fill() bool {
	if s.eof {
		return false
	}
	keep := copy(s.buf[:cap(s.buf)], s.buf[s.pos:s.n])
	s.start += int64(s.pos)
	s.pos, s.n = 0, keep
	want := min(int64(s.chunk), int64(cap(s.buf)-keep), s.size-(s.start+int64(keep)))
	s.chunk = min(2*s.chunk, maxChunk)
	if want <= 0 {
		s.eof = true
		return false
	}
	m, err := s.r.ReadAt(s.buf[keep:keep+int(want)], s.start+int64(keep))
	s.n += m
	s.buf = s.buf[:s.n]
	if err != nil || m == 0 {
		s.eof = true
	}
	return m > 0
}

// line returns the next line (without its line ending). A record is a
// prefix of two characters and hex digits: the line is cut short with
// errRecord at the first other character that does not end it, so a
// candidate that is not a record costs a few bytes, however long its
// line. io.EOF means the input ended.
func (s *scanner) line() ([]byte, error) {
	i := s.pos // scanning position
	for {
		for ; i < s.n; i++ {
			c := s.buf[i]
			switch {
			case c == '\n':
				line := s.buf[s.pos:i]
				for len(line) > 0 && line[len(line)-1] == '\r' {
					line = line[:len(line)-1]
				}
				s.pos = i + 1
				s.off = s.start + int64(s.pos)
				return line, nil
			case c == '\r' || unhex[c] != 0xff || i-s.pos < 2:
			default:
				return nil, errRecord
			}
			if i-s.pos >= maxLine {
				return nil, errRecord
			}
		}
		i -= s.pos
		if !s.fill() {
			line := s.buf[s.pos:s.n]
			if len(line) == 0 {
				return nil, io.EOF
			}
			s.pos = s.n
			s.off = s.start + int64(s.n)
			for len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			return line, nil
		}
		i += s.pos
	}
}

// walk parses records from the start until the end record, the end of
// input or the first line that is not a record. It returns the byte
// length the records span, whether an end record was seen and how many
// records there were.
func (f hexFormat) walk(r io.ReaderAt, size int64, fn func(record) error) (int64, bool, int, error) {
	s := newScanner(r, size)
	defer s.release()
	var buf [maxLine / 2]byte
	var end int64
	n := 0
	for {
		line, err := s.line()
		if err == io.EOF {
			return end, false, n, nil
		}
		if err != nil {
			return end, false, n, err
		}
		if len(line) == 0 {
			continue
		}
		rec, err := f.parseLine(line, &buf)
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

var errNotMatch = format.NotMatch("no hex records")

func (f hexFormat) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	n := 0
	_, ended, _, err := f.walk(r, min(size, 16*maxLine), func(record) error {
		if n++; n >= minHead {
			return errEnough
		}
		return nil
	})
	if n == 0 || (n < minHead && !ended) || (err != nil && err != errEnough) {
		return format.Match{}, errNotMatch
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
