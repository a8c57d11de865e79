package hexfile

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// refWalk is the straightforward reading of the record syntax (a line
// reader and encoding/hex) that the allocation-free walk must agree with.
func (f hexFormat) refWalk(r io.ReaderAt, size int64) (end int64, ended bool, recs []string, bad bool) {
	br := bufio.NewReader(io.NewSectionReader(r, 0, size))
	var off int64
	for {
		var line []byte
		long := false
		for {
			b, err := br.ReadByte()
			if err != nil {
				if len(line) == 0 {
					return end, false, recs, false
				}
				break
			}
			off++
			if b == '\n' {
				break
			}
			if len(line) >= maxLine {
				long = true
				break
			}
			line = append(line, b)
		}
		if long {
			return end, false, recs, true
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			continue
		}
		rec, ok := f.refParse(line)
		if !ok {
			return end, false, recs, true
		}
		recs = append(recs, rec)
		end = off
		if (f.k == intel && rec[0] == 1) || (f.k == srec && (rec[0] == '7' || rec[0] == '8' || rec[0] == '9')) {
			return end, true, recs, false
		}
	}
}

func (f hexFormat) refParse(line []byte) (string, bool) {
	off := 1
	if f.k == srec {
		off = 2
		if len(line) < 2 || line[0] != 'S' || line[1] < '0' || line[1] > '9' || line[1] == '4' {
			return "", false
		}
	} else if line[0] != ':' {
		return "", false
	}
	b, err := hex.DecodeString(string(line[off:]))
	if err != nil || len(b) == 0 {
		return "", false
	}
	var sum byte
	if f.k == intel {
		for _, c := range b {
			sum += c
		}
		if len(b) < 5 || int(b[0])+5 != len(b) || sum != 0 || b[3] > 5 {
			return "", false
		}
		return fmt.Sprintf("%c %x %x", b[3], uint32(b[1])<<8|uint32(b[2]), b[4:len(b)-1]), true
	}
	for _, c := range b[:len(b)-1] {
		sum += c
	}
	al := map[byte]int{'0': 2, '1': 2, '2': 3, '3': 4, '5': 2, '6': 3, '7': 4, '8': 3, '9': 2}[line[1]]
	if len(line) < 8 || int(b[0])+1 != len(b) || ^sum != b[len(b)-1] || len(b) < 2+al {
		return "", false
	}
	var addr uint32
	for _, c := range b[1 : 1+al] {
		addr = addr<<8 | uint32(c)
	}
	return fmt.Sprintf("%c %x %x", line[1], addr, b[1+al:len(b)-1]), true
}

// TestWalkAgrees compares the walk with refWalk on the fixtures, their
// truncations and bit flips, line-ending variants and magic floods.
func TestWalkAgrees(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	variants := 300
	if formattest.Race {
		variants = 20
	}
	var inputs [][]byte
	for _, n := range []string{"plain.hex", "plain.srec", "gap.hex", "gap.srec", "high.hex", "high.srec"} {
		d := formattest.Testdata(t, n)
		inputs = append(inputs, d, bytes.ReplaceAll(d, []byte("\n"), []byte("\r\n")), bytes.ReplaceAll(d, []byte("\n"), []byte("\n\n")), bytes.ToLower(d))
		for i := 0; i < variants; i++ {
			v := append([]byte{}, d...)
			for k := rng.Intn(3); k >= 0; k-- {
				switch rng.Intn(4) {
				case 0:
					v[rng.Intn(len(v))] ^= 1 << rng.Intn(8)
				case 1:
					v = v[:rng.Intn(len(v))]
				case 2:
					p := rng.Intn(len(v))
					v = append(v[:p:p], append(bytes.Repeat([]byte("A"), rng.Intn(2*maxLine)), v[p:]...)...)
				default:
					v[rng.Intn(len(v))] = "\r\n: S"[rng.Intn(5)]
				}
				if len(v) == 0 {
					v = []byte(":")
				}
			}
			inputs = append(inputs, v)
		}
	}
	for i := 0; i < variants; i++ {
		inputs = append(inputs, randomRecords(rng, intel), randomRecords(rng, srec))
	}
	for _, f := range Formats() {
		inputs = append(inputs, formattest.MagicFlood(formattest.Rand(uint64(len(inputs))), 64<<10, 3, magics(f)...))
	}
	for i, in := range inputs {
		for _, f := range []hexFormat{{intel}, {srec}} {
			wantEnd, wantEnded, wantRecs, wantBad := f.refWalk(bytes.NewReader(in), int64(len(in)))
			var recs []string
			end, ended, n, err := f.walk(bytes.NewReader(in), int64(len(in)), func(r record) error {
				recs = append(recs, fmt.Sprintf("%c %x %x", r.typ, r.addr, r.data))
				return nil
			})
			if end != wantEnd || ended != wantEnded || n != len(wantRecs) || (err != nil) != wantBad || fmt.Sprint(recs) != fmt.Sprint(wantRecs) {
				t.Fatalf("input %d, %s: walk %d %v %d records %v, reference %d %v %d records bad %v", i, f.Name(), end, ended, n, err, wantEnd, wantEnded, len(wantRecs), wantBad)
			}
		}
	}
}

func magics(f format.Format) [][]byte {
	var m [][]byte
	for _, s := range f.Signatures() {
		m = append(m, s.Magic)
	}
	return m
}

// randomRecords makes lines of valid records of every type (and a few
// bad ones) of kind k.
func randomRecords(rng *rand.Rand, k kind) []byte {
	var out []byte
	for n := rng.Intn(20); n >= 0; n-- {
		data := make([]byte, rng.Intn(40))
		rng.Read(data)
		var b []byte
		if k == intel {
			b = append([]byte{byte(len(data)), byte(rng.Intn(256)), byte(rng.Intn(256)), byte(rng.Intn(7))}, data...)
			var sum byte
			for _, c := range b {
				sum += c
			}
			b = append(b, -sum)
			out = append(out, ':')
		} else {
			typ := "0123456789"[rng.Intn(10)]
			addr := make([]byte, 2+rng.Intn(3))
			rng.Read(addr)
			b = append(append([]byte{byte(len(addr) + len(data) + 1)}, addr...), data...)
			var sum byte
			for _, c := range b {
				sum += c
			}
			b = append(b, ^sum)
			out = append(out, 'S', typ)
		}
		h := hex.EncodeToString(b)
		if rng.Intn(2) == 0 {
			h = strings.ToUpper(h)
		}
		if rng.Intn(30) == 0 {
			h = h[:len(h)-1]
		}
		out = append(out, h...)
		out = append(out, [][]byte{[]byte("\n"), []byte("\r\n"), []byte("\n\n")}[rng.Intn(3)]...)
	}
	return out
}
