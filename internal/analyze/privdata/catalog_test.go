package privdata

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/model"
)

// scanDir runs the analyzer over every file under dir, as the engine
// would: FileRequired on the cheap facts, then Analyze on the content.
func scanDir(t testing.TB, a *Analyzer, dir string) plugin.Results {
	t.Helper()
	var out plugin.Results
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		dev := "/" + filepath.ToSlash(rel)
		head := data[:min(len(data), filetype.HeadSize)]
		fi := plugin.FileInfo{Path: dev, Mode: 0o644, Size: int64(len(data)), Type: filetype.Detect(dev, head, int64(len(data))), Head: head}
		if !a.FileRequired(&fi) {
			return nil
		}
		in := &plugin.Input{FileInfo: fi, Data: data, Loc: model.Location{Layer: "L0", Path: dev}}
		return a.Analyze(context.Background(), in, &out)
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCatalogExamples runs every data rule's catalog examples
// (rules/findings/data.yaml) through the analyzer: each "match" input
// must make the rule fire, each "no_match" input must not.
func TestCatalogExamples(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	rules := cat.Family("data")
	if len(rules) < 5 {
		t.Fatalf("%d data rules in the catalog", len(rules))
	}
	a := New()
	for _, r := range rules {
		for i, c := range r.Cases() {
			dir := t.TempDir()
			if _, err := c.Write(dir, "testdata"); err != nil {
				t.Fatal(err)
			}
			fired := false
			for _, f := range scanDir(t, a, dir).Findings {
				fired = fired || f.RuleID == r.ID
			}
			if fired != c.Fire {
				t.Errorf("%s example %d (match=%v, %s %s): fired=%v", r.ID, i, c.Fire, c.Path, c.File, fired)
			}
		}
	}
}
