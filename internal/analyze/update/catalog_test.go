package update

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/model"
)

// analyzeFile runs the analyzer on one file at its in-image path the way
// the engine hands it over; nil findings when the file is not wanted.
func analyzeFile(t *testing.T, a *Analyzer, inPath string, data []byte) []model.Finding {
	t.Helper()
	head := data[:min(len(data), filetype.HeadSize)]
	fi := plugin.FileInfo{Layer: "L1", Path: inPath, Size: int64(len(data)), Type: filetype.Detect(inPath, head, int64(len(data))), Head: head, Mode: 0o755}
	if !a.FileRequired(&fi) {
		return nil
	}
	res := &plugin.Results{}
	in := &plugin.Input{FileInfo: fi, Data: data, R: strings.NewReader(string(data)), Loc: model.Location{Layer: "L1", Path: inPath}}
	if err := a.Analyze(context.Background(), in, res); err != nil {
		t.Fatal(err)
	}
	return res.Findings
}

// TestCatalogExamples runs every update rule's catalog examples
// (rules/findings/update.yaml) through the analyzer: "match" inputs must
// make the rule fire at their path, "no_match" inputs must not.
func TestCatalogExamples(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	rules := cat.Family("update")
	if len(rules) == 0 {
		t.Fatal("no update rules in the catalog")
	}
	a := New()
	for _, r := range rules {
		for i, c := range r.Cases() {
			dir := t.TempDir()
			p, err := c.Write(dir, "testdata")
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			fired := false
			fs := analyzeFile(t, a, filepath.ToSlash(c.Path), data)
			for _, f := range fs {
				fired = fired || f.RuleID == r.ID
			}
			if fired != c.Fire {
				t.Errorf("%s example %d (%s): fired %v, want %v; findings %+v", r.ID, i, c.Path, fired, c.Fire, fs)
			}
		}
	}
}
