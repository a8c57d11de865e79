package compress

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"reflect"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// heldSame checks that extracting data from what Identify held yields
// what a fresh extraction yields: the same files, bytes and problems. It
// returns whether Identify held anything.
func heldSame(t *testing.T, f format.Format, data []byte) bool {
	t.Helper()
	// Identify reads through a reader that dies after it: the held decoder
	// must not read it again.
	ir := &closedAfter{r: bytes.NewReader(data)}
	m, err := f.Identify(ir, int64(len(data)))
	ir.closed = true
	if err != nil || m.Held == nil {
		return false
	}
	size := int64(len(data))
	if m.Size > 0 && m.Size <= size {
		size = m.Size
	}
	ctx := context.Background()
	fresh := &formattest.MemSink{MaxBytes: 64 << 20}
	ferr := f.Extract(ctx, io.NewSectionReader(bytes.NewReader(data), 0, size), size, fresh)
	held := &formattest.MemSink{MaxBytes: 64 << 20}
	herr := f.(format.HeldExtractor).ExtractHeld(ctx, io.NewSectionReader(bytes.NewReader(data), 0, size), size, m.Held, held)
	if fmt.Sprint(ferr) != fmt.Sprint(herr) || !reflect.DeepEqual(fresh.Problems, held.Problems) || !reflect.DeepEqual(fresh.Files, held.Files) {
		t.Fatalf("%s: held extraction differs: err %v / %v, problems %q / %q, files %d / %d", f.Name(), ferr, herr, fresh.Problems, held.Problems, len(fresh.Files), len(held.Files))
	}
	return true
}

type closedAfter struct {
	r      io.ReaderAt
	closed bool
}

func (c *closedAfter) ReadAt(p []byte, off int64) (int, error) {
	if c.closed {
		panic("read after identification")
	}
	return c.r.ReadAt(p, off)
}

// TestHeldSameAsFresh: for streams made by the reference tools, whole,
// followed by other data, truncated and damaged, of less and more than
// what identification decodes (probeOut), extraction from what
// identification held is byte for byte the fresh extraction.
func TestHeldSameAsFresh(t *testing.T) {
	plain := readFixture(t, "plain.txt")
	var big []byte
	for i := 0; len(big) < probeOut+probeOut/2; i++ {
		big = append(big, fmt.Sprintf("%d ", i)...)
		big = append(big, plain...)
	}
	if formattest.Race || testing.Short() {
		big = nil
	}
	tools := map[string][]string{
		"gzip": {"gzip", "-6", "-c"},
		"zlib": {"perl", "-MCompress::Zlib", "-0777", "-e", "binmode STDIN; binmode STDOUT; print compress(scalar <STDIN>, 9)"},
		"lzma": {"xz", "--format=lzma", "-c"},
	}
	for _, f := range []format.Format{Gzip(), Zlib(), LZMA()} {
		for _, in := range [][]byte{plain, big} {
			if in == nil {
				continue
			}
			c := tools[f.Name()]
			if _, err := exec.LookPath(c[0]); err != nil {
				t.Logf("%s: %s not installed, skipped", f.Name(), c[0])
				continue
			}
			cmd := exec.Command(c[0], c[1:]...)
			cmd.Stdin = bytes.NewReader(in)
			z, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s: %v", c[0], err)
			}
			damaged := bytes.Clone(z)
			for i := len(z) / 2; i < len(z)/2+16; i++ {
				damaged[i] ^= 0x5a
			}
			variants := map[string][]byte{
				"whole":     z,
				"followed":  append(bytes.Clone(z), plain...),
				"truncated": z[:len(z)*3/4],
				"damaged":   damaged,
			}
			for name, v := range variants {
				if !heldSame(t, f, v) && name != "damaged" {
					t.Errorf("%s %s (%d bytes out): nothing held", f.Name(), name, len(in))
				}
			}
		}
	}
}
