package unpack_test

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// written is what the whole session wrote.
func written(s *unpack.Session) int64 {
	var n int64
	for _, l := range s.Layers() {
		n += l.Bytes
	}
	return n
}

// TestHostileNestedZipBomb: a 42.zip-style file of a few tens of KB must
// stop at the scan's grace budget (TotalGrace), not at MaxTotalBytes, and
// in bounded memory.
func TestHostileNestedZipBomb(t *testing.T) {
	rng := formattest.Rand(42)
	levels, leaf := 2, int64(256<<20)
	lim := unpack.DefaultLimits()
	switch {
	case formattest.Race:
		// The same class, scaled down: writing is ~20 times slower.
		levels, leaf, lim.TotalGrace = 1, 8<<20, 16<<20
	case testing.Short():
		levels = 1
	}
	bomb := formattest.NestedZipBomb(rng, levels, 16, leaf)
	s, peak, d := runImage(t, bomb, lim)
	w := written(s)
	t.Logf("%d-byte bomb: wrote %d MiB in %d layers, peak RSS %d MiB, %v", len(bomb), w>>20, len(s.Layers()), peak>>20, d)
	// Parallel layers may each overshoot by one write buffer.
	if slack := int64(4 << 20); w > lim.TotalGrace+slack {
		t.Errorf("wrote %d bytes, want at most TotalGrace (%d)", w, lim.TotalGrace)
	}
	if !hasProblem(s, "limit", "the scan may write") {
		t.Errorf("no problem says the scan budget stopped it: %+v", s.Problems()[:min(5, len(s.Problems()))])
	}
	if peak > maxPeak {
		t.Errorf("peak RSS %d MiB", peak>>20)
	}
}

// TestHostileOverlapZipBomb: a zip whose entries all share one stream
// writes one copy and names the others.
func TestHostileOverlapZipBomb(t *testing.T) {
	rng := formattest.Rand(43)
	kernel := int64(64 << 20)
	if formattest.Race {
		kernel = 4 << 20
	}
	bomb := formattest.OverlapZipBomb(rng, 1000, kernel)
	s, peak, _ := runImage(t, bomb, unpack.DefaultLimits())
	if w := written(s); w > kernel {
		t.Errorf("wrote %d MiB, want one copy of the %d MiB kernel at most", w>>20, kernel>>20)
	}
	if !hasProblem(s, "corrupt", "overlaps") {
		t.Error("no problem names the overlapping entries")
	}
	if peak > maxPeak {
		t.Errorf("peak RSS %d MiB", peak>>20)
	}
}

// TestHostileBombEntryThenFiles: an archive entry that hits a byte limit
// is cut short and named; the entries after it are still extracted.
func TestHostileBombEntryThenFiles(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	big := int64(8 << 20)
	if formattest.Race {
		big = 1 << 20
	}
	tw.WriteHeader(&tar.Header{Name: "bomb", Mode: 0o644, Size: big, Typeflag: tar.TypeReg})
	tw.Write(make([]byte, big))
	rng := formattest.Rand(44)
	after := map[string]string{}
	for i := 0; i < 10; i++ {
		name, content := "after/"+formattest.RandomName(rng), formattest.RandomName(rng)
		after[name] = content
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg})
		tw.Write([]byte(content))
	}
	tw.Close()
	lim := unpack.DefaultLimits()
	lim.MaxLayerBytes = big / 2
	s, _, _ := runImage(t, buf.Bytes(), lim)
	var l *unpack.Layer
	for _, x := range s.Layers() {
		if x.Format == "tar" {
			l = x
		}
	}
	if l == nil {
		t.Fatal("no tar layer")
	}
	for name, content := range after {
		b, err := os.ReadFile(filepath.Join(l.Dir, name))
		if err != nil || string(b) != content {
			t.Errorf("%s after the bomb entry: %q %v", name, b, err)
		}
	}
	found := false
	for _, p := range s.Problems() {
		found = found || (p.Kind == "limit" && p.Path == "/bomb" && strings.Contains(p.Message, "truncated"))
	}
	if !found {
		t.Errorf("no limit problem names /bomb: %+v", s.Problems())
	}
}

// TestHostileSparseTarget: a 1 TiB sparse file is read only up to
// MaxTargetBytes, with a problem.
func TestHostileSparseTarget(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "sparse.img")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 40); err != nil {
		f.Close()
		t.Skipf("no 1 TiB sparse file here: %v", err)
	}
	f.Close()
	work := filepath.Join(dir, "work")
	os.Mkdir(work, 0o755)
	lim := unpack.DefaultLimits()
	lim.MaxTargetBytes = 16 << 20
	if formattest.Race {
		lim.MaxTargetBytes = 1 << 20
	}
	s, err := unpack.NewSession(unpack.Options{WorkDir: work, Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.AddFile(img); err != nil {
		t.Fatal(err)
	}
	if err := s.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !hasProblem(s, "limit", "MaxTargetBytes") {
		t.Errorf("no problem says the target was cut: %+v", s.Problems())
	}
}
