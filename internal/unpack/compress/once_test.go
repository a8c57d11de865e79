package compress

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/thingsec/thingsec/internal/unpack/decomp"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// TestAddChecked: a payload is decoded once when it fits in memory and
// checked by a pass of its own when it does not; one that does not decode
// is kept raw in both cases, never as a broken prefix.
func TestAddChecked(t *testing.T) {
	defer func(h int) { holdMax = h }(holdMax)
	holdMax = 1 << 20
	rng := rand.New(rand.NewSource(1))
	gz := func(n int) []byte {
		plain := make([]byte, n)
		for i := range plain {
			plain[i] = "abcdefgh"[rng.Intn(8)]
		}
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write(plain)
		w.Close()
		return b.Bytes()
	}
	small, large := gz(300<<10), gz(3<<20)
	damage := func(b []byte, at int) []byte {
		d := append([]byte(nil), b...)
		for i := at; i < at+64; i++ {
			d[i] ^= 0x55
		}
		return d
	}
	for _, c := range []struct {
		name     string
		data     []byte
		decoded  bool
		decoders int
	}{
		{"small", small, true, 1},
		{"large", large, true, 2},
		{"small damaged", damage(small, len(small)/2), false, 1},
		{"large damaged past the held part", damage(large, len(large)*3/4), false, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := &decomp.Meter{}
			restore := decomp.SetMeter(m)
			s := &formattest.MemSink{MaxBytes: 64 << 20}
			err := AddChecked(context.Background(), s, "kernel", decomp.Gzip, bytes.NewReader(c.data), int64(len(c.data)), func(err error) error {
				return fmt.Errorf("kept raw: %w", err)
			})
			restore()
			if err != nil {
				t.Fatal(err)
			}
			f := s.Get("kernel")
			if f == nil {
				t.Fatal("no file")
			}
			if raw := bytes.Equal(f.Data, c.data); raw == c.decoded || (len(s.Problems) > 0) == c.decoded {
				t.Errorf("raw %v, problems %v", raw, s.Problems)
			}
			if c.decoded {
				zr, _ := gzip.NewReader(bytes.NewReader(c.data))
				var want bytes.Buffer
				want.ReadFrom(zr)
				if !bytes.Equal(f.Data, want.Bytes()) {
					t.Errorf("decoded content differs")
				}
			}
			if n := len(m.Decoders()); n != c.decoders {
				t.Errorf("%d decoders opened, want %d", n, c.decoders)
			}
		})
	}
}
