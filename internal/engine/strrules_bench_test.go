package engine

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/binver"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/analyze/secrets"
)

// BenchmarkStringRulesELF scans a tree of this machine's ELF binaries
// (/usr/bin, /usr/lib; THINGSEC_BENCH_ELF_MB, default 64) with the two
// string-rule families only, secrets and binver fingerprints: their
// keyword pass over every byte plus their matchers near the hits, on top
// of the walk's read, hash and type detection.
func BenchmarkStringRulesELF(b *testing.B) {
	mb := int64(64)
	if v, err := strconv.ParseInt(os.Getenv("THINGSEC_BENCH_ELF_MB"), 10, 64); err == nil {
		mb = v
	}
	var srcs []string
	for _, d := range []string{"/usr/bin", "/usr/lib/x86_64-linux-gnu", "/usr/lib"} {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if e.Type().IsRegular() {
				srcs = append(srcs, filepath.Join(d, e.Name()))
			}
		}
	}
	sort.Strings(srcs)
	dir := b.TempDir()
	var total int64
	for i, s := range srcs {
		if total >= mb<<20 {
			break
		}
		f, err := os.Open(s)
		if err != nil {
			continue
		}
		head := make([]byte, 4)
		if n, _ := f.ReadAt(head, 0); n < 4 || string(head) != "\x7fELF" {
			f.Close()
			continue
		}
		st, _ := f.Stat()
		if st.Size() > 8<<20 {
			f.Close()
			continue
		}
		out, err := os.Create(filepath.Join(dir, strconv.Itoa(i)+"-"+filepath.Base(s)))
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(out, f)
		out.Close()
		f.Close()
		total += n
	}
	if total == 0 {
		b.Skip("no ELF binaries on this machine")
	}
	files := []plugin.FileAnalyzer{secrets.Default(), binver.MustNew()}
	b.SetBytes(total)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Scan(context.Background(), Config{Target: dir, Workers: 1, Files: files}); err != nil {
			b.Fatal(err)
		}
	}
}
