package hexfile

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

func TestFixtures(t *testing.T) {
	a, b := formattest.Testdata(t, "a.bin"), formattest.Testdata(t, "b.bin")
	gap := append(append(append([]byte{}, a...), bytes.Repeat([]byte{0xff}, 0x10800-0xfe00-len(a))...), b...)
	for _, c := range []struct {
		file string
		f    format.Format
		want []byte
	}{
		{"plain.hex", Intel(), a}, {"plain.srec", SRec(), a},
		{"gap.hex", Intel(), gap}, {"gap.srec", SRec(), gap},
		{"high.hex", Intel(), a}, {"high.srec", SRec(), a},
	} {
		t.Run(c.file, func(t *testing.T) {
			data := formattest.Testdata(t, c.file)
			s, m := formattest.Extract(t, c.f, data)
			if m.Size != int64(len(data)) || len(s.Problems) > 0 {
				t.Errorf("size %d of %d, problems %v", m.Size, len(data), s.Problems)
			}
			if f := s.Get("data.bin"); f == nil || !bytes.Equal(f.Data, c.want) {
				t.Errorf("data.bin differs (%d bytes, want %d)", len(s.Get("data.bin").Data), len(c.want))
			}
			// The other format does not claim it.
			for _, o := range Formats() {
				if o.Name() != c.f.Name() {
					if _, err := o.Identify(bytes.NewReader(data), int64(len(data))); err == nil {
						t.Errorf("also identified as %s", o.Name())
					}
				}
			}
			// Carved: text follows the records.
			carved := append(append([]byte{}, data...), "trailing text\n:not a record\n"...)
			if m, err := c.f.Identify(bytes.NewReader(carved), int64(len(carved))); err != nil || m.Size != int64(len(data)) {
				t.Errorf("carved: %+v %v", m, err)
			}
		})
	}
}

func TestSpanLimit(t *testing.T) {
	// Two one-byte records 2 GiB apart: no 2 GiB output, a problem.
	data := []byte(":0100000041BE\n:020000048000" + "7A\n:0100000042BD\n:00000001FF\n")
	s, _ := formattest.Extract(t, Intel(), data)
	if f := s.Get("data.bin"); f == nil || string(f.Data) != "A" || len(s.Problems) != 1 || !strings.Contains(s.Problems[0], "span") {
		t.Errorf("problems %v", s.Problems)
	}
}

func TestNotMatch(t *testing.T) {
	for _, text := range []string{":10 is a ratio\n", "S1 state\nS2 state\n", ":100000007465737420737472696E6720696E2066FD\n"} {
		for _, f := range Formats() {
			if _, err := f.Identify(strings.NewReader(text), int64(len(text))); err == nil {
				t.Errorf("%s matched %q", f.Name(), text)
			}
		}
	}
}

func TestDamaged(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, c := range []struct {
		file string
		f    format.Format
	}{{"gap.hex", Intel()}, {"gap.srec", SRec()}} {
		data := formattest.Testdata(t, c.file)
		variants := [][]byte{data[:len(data)/2], data[:len(data)-5]}
		for i := 0; i < 100; i++ {
			v := append([]byte{}, data...)
			v[rng.Intn(len(v))] ^= 1 << rng.Intn(8)
			variants = append(variants, v)
		}
		for i, v := range variants {
			m, err := c.f.Identify(bytes.NewReader(v), int64(len(v)))
			if err != nil {
				if !errors.Is(err, format.ErrNotMatch) {
					t.Errorf("%v", err)
				}
				continue
			}
			size := int64(len(v))
			if i < 2 {
				size = int64(len(v)) // extract everything: the damage must show
			} else if m.Size > 0 {
				size = m.Size
			}
			s := &formattest.MemSink{}
			err = c.f.Extract(context.Background(), io.NewSectionReader(bytes.NewReader(v), 0, size), size, s)
			if i < 2 && err == nil && len(s.Problems) == 0 {
				t.Errorf("%s truncated #%d: no problem", c.file, i)
			}
		}
	}
}

func TestCorpus(t *testing.T) {
	s, _ := formattest.Extract(t, Intel(), formattest.ReadShared(t, "corpus/formats/misc/testfile.hex"))
	if f := s.Get("data.bin"); f == nil || string(f.Data) != "test string in file" || len(s.Problems) > 0 {
		t.Errorf("hex: %v %v", s.Paths(), s.Problems)
	}
	s, _ = formattest.Extract(t, SRec(), formattest.ReadShared(t, "corpus/formats/misc/testfile.srec"))
	if f := s.Get("data.bin"); f == nil || !bytes.HasSuffix(f.Data, []byte("Hello world.\n\x00")) || len(s.Problems) > 0 {
		t.Errorf("srec: %v %v", s.Paths(), s.Problems)
	}
}

func FuzzHex(f *testing.F) {
	for _, n := range []string{"gap.hex", "gap.srec", "high.srec"} {
		f.Add(formattest.Testdata(f, n))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, fm := range Formats() {
			formattest.Fuzz(t, fm, data)
		}
	})
}
