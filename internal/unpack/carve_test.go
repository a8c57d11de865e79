package unpack

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// FuzzCarve: the carver never panics, and what it returns lies in the
// file, in offset order, from formats that validated.
func FuzzCarve(f *testing.F) {
	f.Add([]byte("hsqs\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\xff\xffustar"))
	f.Add(bytes.Repeat([]byte("\x1f\x9dhsqsUBI#"), 300))
	c := newCarver(Registry()).withLimits(DefaultLimits())
	f.Fuzz(func(t *testing.T, data []byte) {
		cands, regions, _ := c.scan(context.Background(), bytes.NewReader(data), int64(len(data)), true)
		size := int64(len(data))
		for i, cd := range cands {
			if cd.off < 0 || cd.off >= size || cd.size <= 0 || cd.off+cd.size > size {
				t.Fatalf("candidate %s at %d+%d outside the %d-byte file", cd.f.Name(), cd.off, cd.size, size)
			}
			if i > 0 && cd.off < cands[i-1].off {
				t.Fatalf("candidates out of order")
			}
		}
		for _, r := range regions {
			if r.Offset < 0 || r.Offset+r.Size > size {
				t.Fatalf("region %+v outside the file", r)
			}
		}
	})
}

// TestCarveBudgetSkipsAndReports: a flood past the budget is reported
// with the format and the first skipped offset, and a structure after it
// (here another format) is still found.
func TestCarveBudgetSkipsAndReports(t *testing.T) {
	c := newCarver(Registry()).withLimits(DefaultLimits())
	flood := bytes.Repeat([]byte("x\x9c"), 512<<10)
	data := append(flood, []byte("!<arch>\n")...)
	data = append(data, []byte("hello.txt/      0           0     0     644     5         `\nhello\n")...)
	cands, _, err := c.scan(context.Background(), bytes.NewReader(data), int64(len(data)), true)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("zlib candidates skipped from 0x")) {
		t.Errorf("error %v: want the skipped zlib candidates listed", err)
	}
	if len(cands) == 0 || cands[len(cands)-1].f.Name() != "ar" {
		t.Errorf("the ar archive after the flood was not found: %+v", cands)
	}
}

// TestCarveTimeout: the identification stage has a time limit; hitting
// it is a limit problem saying where carving stopped.
func TestCarveTimeout(t *testing.T) {
	lim := DefaultLimits()
	lim.LayerTimeout = time.Nanosecond
	c := newCarver(Registry()).withLimits(lim)
	data := bytes.Repeat([]byte("hsqs"), 1<<18)
	_, _, err := c.scan(context.Background(), bytes.NewReader(data), int64(len(data)), true)
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "identification took longer than") {
		t.Errorf("error %v: want the time limit reported", err)
	}
}

// TestCarveDeflateChain: gzip and zlib candidates chained so that each
// one's stream runs to the end of the file and fails there cost the
// square of the size when tried one after another; the budget abandons
// them, lists them, and bounds what was read. (Small scale with a small
// budget: TestHostileDeflateChain runs 16 MiB with the real one.)
func TestCarveDeflateChain(t *testing.T) {
	for name, hdr := range map[string][]byte{"gzip": formattest.GzipHeader, "zlib": formattest.ZlibHeader} {
		t.Run(name, func(t *testing.T) {
			c := newCarver(Registry()).withLimits(DefaultLimits())
			c.burst, c.globalBurst = 1<<20, 2<<20
			data := formattest.DeflateChain(formattest.Rand(9), 512<<10, hdr)
			cr := &countingReader{r: bytes.NewReader(data)}
			_, _, err := c.scan(context.Background(), cr, int64(len(data)), true)
			if err == nil || !strings.Contains(err.Error(), name+" candidates") {
				t.Errorf("error %v: want the %s candidates listed", err, name)
			}
			// Quadratic would be ~len^2/2/avg spacing; the budget allows
			// the burst plus 16 per byte (x2 for fair shares) plus one
			// pass of matching and the minimum allowance of a few calls.
			if limit := int64(c.globalBurst + 2*16*int64(len(data)) + 64*int64(len(data))); cr.n > limit {
				t.Errorf("read %d bytes, want < %d", cr.n, limit)
			}
		})
	}
}

type countingReader struct {
	r io.ReaderAt
	n int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	atomic.AddInt64(&c.n, int64(n))
	return n, err
}

// claimFormat is a container whose header ("CLM!" and a little-endian
// 64-bit size) claims any number of bytes.
type claimFormat struct{}

func (claimFormat) Name() string      { return "claim" }
func (claimFormat) Kind() format.Kind { return format.Container }
func (claimFormat) Signatures() []format.Signature {
	return []format.Signature{{Magic: []byte("CLM!")}}
}
func (claimFormat) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	var b [12]byte
	if format.ReadFull(r, b[:], 0) != nil {
		return format.Match{}, format.ErrNotMatch
	}
	return format.Match{Size: int64(binary.LittleEndian.Uint64(b[4:])), Extractable: true}, nil
}
func (claimFormat) Extract(context.Context, io.ReaderAt, int64, format.Sink) error {
	return errors.New("junk")
}

// TestCarveClaimBeyondFile: a header at offset 0 that claims more bytes
// than the file holds covers nothing; what follows it is still found,
// whatever the size claimed.
func TestCarveClaimBeyondFile(t *testing.T) {
	ar := []byte("!<arch>\nhello.txt/      0           0     0     644     5         `\nhello\n")
	rng := formattest.Rand(11)
	for i := 0; i < 20; i++ {
		pad := make([]byte, rng.IntN(4096))
		data := append(append([]byte("CLM!\x00\x00\x00\x00\x00\x00\x00\x00"), pad...), ar...)
		size := int64(len(data))
		claim := size + 1 + rng.Int64N(1<<uint(rng.IntN(62)))
		binary.LittleEndian.PutUint64(data[4:], uint64(claim))
		c := newCarver(append([]format.Format{claimFormat{}}, Registry()...)).withLimits(DefaultLimits())
		cands, _, err := c.scan(context.Background(), bytes.NewReader(data), size, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(cands) == 0 || cands[len(cands)-1].f.Name() != "ar" || cands[len(cands)-1].off != size-int64(len(ar)) {
			t.Errorf("claim of %d bytes in a %d-byte file hid the ar archive: %+v", claim, size, cands)
		}
	}
}
