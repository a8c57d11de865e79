package engine

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/binver"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/analyze/secrets"
	"github.com/thingsec/thingsec/internal/model"
)

// TestSharedKeywordPass scans real binary snippets (Debian armhf and
// mipsel builds, internal/analyze/binver/testdata) with secrets planted
// next to version strings, once with both string-rule families sharing
// the keyword pass and once with each alone: the components and findings
// must be the same.
func TestSharedKeywordPass(t *testing.T) {
	src := filepath.Join("..", "analyze", "binver", "testdata", "snippets")
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for i, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if i%5 == 0 {
			b = append(b, "\x00\x00api_key = \"Zq8vR2mK9xL4pT7wB3nC6yH1\"\x00password=Tr0ub4dor-3x\x00"...)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	scan := func(files ...plugin.FileAnalyzer) *model.Report {
		rep, err := Scan(context.Background(), Config{Target: dir, Workers: 2, Files: files})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	js := func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	both := scan(secrets.Default(), binver.MustNew())
	sec := scan(secrets.Default())
	bin := scan(binver.MustNew())
	if len(both.Components) < 50 || len(both.Findings) < 10 {
		t.Fatalf("%d components, %d findings: the fixture should give many of each", len(both.Components), len(both.Findings))
	}
	if js(both.Components) != js(bin.Components) {
		t.Errorf("components differ with the shared pass:\n%s\n%s", js(both.Components), js(bin.Components))
	}
	if js(both.Findings) != js(sec.Findings) {
		t.Errorf("findings differ with the shared pass:\n%s\n%s", js(both.Findings), js(sec.Findings))
	}
}
