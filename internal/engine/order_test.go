package engine

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
)

// orderAnalyzer records the order files reach it; with early set it asks
// for the files named shadow first (plugin.Early).
type orderAnalyzer struct {
	early bool
	mu    sync.Mutex
	seen  []string
}

func (*orderAnalyzer) Name() string                       { return "order" }
func (*orderAnalyzer) FileRequired(*plugin.FileInfo) bool { return true }
func (a *orderAnalyzer) Analyze(_ context.Context, in *plugin.Input, _ *plugin.Results) error {
	a.mu.Lock()
	a.seen = append(a.seen, in.Path)
	a.mu.Unlock()
	return nil
}

type earlyAnalyzer struct{ *orderAnalyzer }

func (earlyAnalyzer) ReadEarly(p string) bool { return filepath.Base(p) == "shadow" }

func TestReadOrder(t *testing.T) {
	dir := t.TempDir()
	files := map[string]int{"/etc/shadow": 40, "/etc/passwd": 60, "/bin/big": 9000, "/bin/mid": 5000, "/lib/small": 100, "/var/shadow": 30}
	for p, n := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, bytes.Repeat([]byte("x"), n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name  string
		early bool
		want  []string
	}{
		// one worker: the order files are handed out is the order seen
		{"largest first", false, []string{"/bin/big", "/bin/mid", "/lib/small", "/etc/passwd", "/etc/shadow", "/var/shadow"}},
		{"early files first", true, []string{"/etc/shadow", "/var/shadow", "/bin/big", "/bin/mid", "/lib/small", "/etc/passwd"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := &orderAnalyzer{}
			var fa plugin.FileAnalyzer = a
			if c.early {
				fa = earlyAnalyzer{a}
			}
			doc, _ := scanJSON(t, Config{Target: dir, Workers: 1, Files: []plugin.FileAnalyzer{fa}})
			if !slices.Equal(a.seen, c.want) {
				t.Errorf("read order %q, want %q", a.seen, c.want)
			}
			// the order changes nothing in the report
			other := &orderAnalyzer{}
			ref, _ := scanJSON(t, Config{Target: dir, Workers: 1, Files: []plugin.FileAnalyzer{other}})
			validateAndCompare(t, ref, doc)
		})
	}
}
