package unpack

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// TestCarveFloodReads: identifying a flood of one format's magics (and of
// all of them) reads a small multiple of the input, whatever the format:
// a candidate that is not the format is rejected from a few bytes, so
// the cost is linear in the input with a small constant. (Reads, not
// time: the machine's speed does not matter. The budget's burst is
// shrunk so that what it allows is small next to the bound.)
func TestCarveFloodReads(t *testing.T) {
	size := 1 << 20
	switch {
	case formattest.Race:
		size = 64 << 10
	case testing.Short():
		size = 512 << 10
	}
	var all [][]byte
	cases := map[string][][]byte{}
	for _, f := range Registry() {
		var m [][]byte
		for _, s := range f.Signatures() {
			m = append(m, s.Magic)
		}
		if len(m) > 0 {
			cases[f.Name()] = m
			all = append(all, m...)
		}
	}
	cases["mixed"] = all
	for name, magics := range cases {
		t.Run(name, func(t *testing.T) {
			if formattest.Race && name != "mixed" && name != "cpio" && name != "ihex" {
				t.Skip("thinned under -race: scripts/hostile runs every format without it")
			}
			c := newCarver(Registry()).withLimits(DefaultLimits())
			c.burst, c.globalBurst = 256<<10, 512<<10
			data := formattest.MagicFlood(formattest.Rand(uint64(len(name))), size, 3, magics...)
			cr := &countingReader{r: bytes.NewReader(data)}
			if _, _, err := c.scan(context.Background(), cr, int64(len(data)), true); err != nil && !isLimit(err) {
				t.Fatal(err)
			}
			ratio := float64(cr.n) / float64(size)
			t.Logf("%s: read %.1f times the input", name, ratio)
			// One pass of matching, the budget (16 per byte, twice for
			// fair shares, plus its burst) and a few bytes per candidate
			// of header checks: 64 per input byte in all. (A header check
			// that reads its whole header per candidate reads hundreds.)
			if limit := 2*c.globalBurst + int64(size)*64; cr.n > limit {
				t.Errorf("read %d bytes (%.0f times the input), want < %d", cr.n, ratio, limit)
			}
		})
	}
}

func isLimit(err error) bool { return errors.Is(err, ErrLimit) }

// TestCarveRecordFileReads: in a real Intel HEX or S-record file (made by
// srec_cat) every line is a candidate; the file is identified once and
// its lines are not identified again one after another (each would read
// the rest of the claim: 100 times the input for 44-byte lines).
func TestCarveRecordFileReads(t *testing.T) {
	if _, err := exec.LookPath("srec_cat"); err != nil {
		t.Skip("srec_cat not installed (Debian package srecord)")
	}
	size := 256 << 10
	if formattest.Race {
		size = 32 << 10
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "fw.bin")
	rng := formattest.Rand(21)
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	if err := os.WriteFile(bin, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, flag string }{{"ihex", "-intel"}, {"srec", "-motorola"}} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, c.name)
			if b, err := exec.Command("srec_cat", bin, "-binary", "-o", out, c.flag).CombinedOutput(); err != nil {
				t.Fatalf("srec_cat: %v\n%s", err, b)
			}
			text, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			// Not at offset 0: found by carving, after random bytes.
			image := append(data[:4099:4099], text...)
			cr := &countingReader{r: bytes.NewReader(image)}
			cands, _, err := newCarver(Registry()).withLimits(DefaultLimits()).scan(context.Background(), cr, int64(len(image)), true)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, cd := range cands {
				found = found || (cd.f.Name() == c.name && cd.off == 4099 && cd.size == int64(len(text)))
			}
			if !found {
				t.Errorf("the %s file was not found whole: %+v", c.name, cands)
			}
			if ratio := float64(cr.n) / float64(len(image)); ratio > 4 {
				t.Errorf("read %.1f times the input, want < 4", ratio)
			}
		})
	}
}

// bigReadFormat's Identify reads 2 MiB and records how many calls, across
// all scans, are past their first MiB at once.
type bigReadFormat struct{ now, most *atomic.Int64 }

func (bigReadFormat) Name() string      { return "bigread" }
func (bigReadFormat) Kind() format.Kind { return format.Container }
func (bigReadFormat) Signatures() []format.Signature {
	return []format.Signature{{Magic: []byte("BIG!")}}
}
func (f bigReadFormat) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	buf := make([]byte, 64<<10)
	past := false
	defer func() {
		if past {
			f.now.Add(-1)
		}
	}()
	for off := int64(0); off < 2*smallRead; off += int64(len(buf)) {
		if _, err := r.ReadAt(buf, off); err != nil {
			return format.Match{}, format.ErrNotMatch
		}
		if off >= smallRead && !past {
			past = true
			n := f.now.Add(1)
			for m := f.most.Load(); n > m && !f.most.CompareAndSwap(m, n); m = f.most.Load() {
			}
			time.Sleep(time.Millisecond) // let the other scans catch up
		}
	}
	return format.Match{}, format.ErrNotMatch
}
func (bigReadFormat) Extract(context.Context, io.ReaderAt, int64, format.Sink) error { return nil }

// TestCarveOneBigReadAtOnce: however many scans run at once (one per
// worker), one Identify call at a time reads past its first MiB, so what
// identification holds does not grow with the number of workers.
func TestCarveOneBigReadAtOnce(t *testing.T) {
	var now, most atomic.Int64
	c := newCarver([]format.Format{bigReadFormat{&now, &most}}).withLimits(DefaultLimits())
	data := make([]byte, 5<<20)
	for _, off := range []int{0, 1000, 2 << 20} {
		copy(data[off:], "BIG!")
	}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.scan(context.Background(), bytes.NewReader(data), int64(len(data)), true)
		}()
	}
	wg.Wait()
	if most.Load() != 1 {
		t.Errorf("%d Identify calls read past their first MiB at once, want 1", most.Load())
	}
}
