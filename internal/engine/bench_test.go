package engine

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/thingsec/thingsec/internal/benchtree"
)

// BenchmarkScanTree scans a generated tree (default 50,000 files, 1 GiB;
// THINGSEC_BENCH_FILES and THINGSEC_BENCH_MB change it) and reports MB/s.
// scripts/bench walk compares it with find | sha256sum on the same tree.
func BenchmarkScanTree(b *testing.B) {
	files, mb := 50000, int64(1024)
	if v, err := strconv.Atoi(os.Getenv("THINGSEC_BENCH_FILES")); err == nil {
		files = v
	}
	if v, err := strconv.ParseInt(os.Getenv("THINGSEC_BENCH_MB"), 10, 64); err == nil {
		mb = v
	}
	dir := b.TempDir()
	if err := benchtree.Generate(dir, files, mb<<20, 1); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(mb << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := Scan(context.Background(), Config{Target: dir, Workers: 2, Unpack: true})
		if err != nil {
			b.Fatal(err)
		}
		if rep.Summary.Files < files {
			b.Fatalf("scanned %d files, want %d", rep.Summary.Files, files)
		}
	}
}

// TestScanTenThousandFiles is the foundation's acceptance check at test
// size: a 10,000-file tree scans, validates and is deterministic.
func TestScanTenThousandFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	dir := t.TempDir()
	if err := benchtree.Generate(dir, 10000, 20<<20, 2); err != nil {
		t.Fatal(err)
	}
	a, rep := scanJSON(t, Config{Target: dir, Workers: 2, Unpack: true})
	if rep.Summary.Files != 10000+20 { // files plus their 20 directories
		t.Fatalf("%d inventory entries", rep.Summary.Files)
	}
	b, _ := scanJSON(t, Config{Target: dir, Workers: 2, Unpack: true})
	validateAndCompare(t, a, b)
}
