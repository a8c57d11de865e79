package unpack

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// TestHeldFlood carves a flood of gzip streams (made by gzip) whose
// decoded output together is larger than what a session may hold from
// identification: what is held stays within heldTotal, all of it is
// given back, and every stream is still extracted byte-exact (those past
// the budget are decoded again). With Shed set nothing is extracted and
// everything held is given back too.
func TestHeldFlood(t *testing.T) {
	if _, err := exec.LookPath("gzip"); err != nil {
		t.Fatal("gzip not installed (it is in .ci/run)")
	}
	srcs, _ := filepath.Glob("*.go")
	var text []byte
	for _, f := range srcs {
		b, _ := os.ReadFile(f)
		text = append(text, b...)
	}
	n, each := 100, 512<<10
	if formattest.Race || testing.Short() {
		n, each = 30, 1536<<10
	}
	var blob bytes.Buffer
	var plain [][]byte
	for i := 0; i < n; i++ {
		p := []byte(fmt.Sprintf("stream %d\n", i))
		for len(p) < each {
			p = append(p, text[:min(len(text), each-len(p))]...)
		}
		cmd := exec.Command("gzip", "-1", "-n", "-c")
		cmd.Stdin = bytes.NewReader(p)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		blob.WriteString("padding before the next stream\n")
		blob.Write(out)
		plain = append(plain, p)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "flood.bin")
	if err := os.WriteFile(file, blob.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, shed := range []bool{false, true} {
		work := t.TempDir()
		opt := Options{WorkDir: work, Workers: 2}
		if shed {
			opt.Shed = func() bool { return true }
		}
		s, err := NewSession(opt)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddFile(file); err != nil {
			t.Fatal(err)
		}
		if err := s.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if u := s.carver.held.used.Load(); u != 0 {
			t.Errorf("shed %v: %d bytes still held after the run", shed, u)
		}
		if p := s.carver.held.peak.Load(); p > heldTotal || p < heldTotal/2 {
			t.Errorf("shed %v: held at most %d bytes, want up to the budget %d", shed, p, heldTotal)
		}
		if shed {
			continue
		}
		got := 0
		for _, l := range s.Layers() {
			if l.Format != "gzip" {
				continue
			}
			b, err := os.ReadFile(filepath.Join(l.Dir, "data"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, plain[got]) {
				t.Fatalf("%s: %d bytes differ from stream %d", l.ID, len(b), got)
			}
			got++
		}
		if got != n {
			t.Errorf("%d streams extracted, want %d", got, n)
		}
	}
}
