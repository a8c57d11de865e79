package confrules

import (
	"context"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/engine"
	"github.com/thingsec/thingsec/internal/model"
)

// scanDir runs the analyzer (per file and over the tree) on a directory.
func scanDir(t *testing.T, dir string) *model.Report {
	t.Helper()
	a := MustNew()
	rep, err := engine.Scan(context.Background(), engine.Config{Target: dir, Workers: 2,
		Files: []plugin.FileAnalyzer{a}, Trees: []plugin.TreeAnalyzer{a}})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestCatalogExamples runs every configuration rule's examples
// (rules/config/*.yaml) through a real scan of a directory holding the
// example (and its "with" files) at its path: "match" must make the rule
// fire on that path or on one of the files it includes, "no_match" must
// not.
func TestCatalogExamples(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	rules := cat.Family("config")
	if len(rules) < 25 {
		t.Fatalf("%d config rules in the catalog", len(rules))
	}
	for _, r := range rules {
		for _, c := range r.Cases() {
			dir := t.TempDir()
			paths := map[string]bool{c.Path: true}
			for _, w := range append([]catalog.Example{c.Example}, c.With...) {
				if _, err := w.Write(dir, "testdata"); err != nil {
					t.Fatal(err)
				}
				paths[w.Path] = true
			}
			rep := scanDir(t, dir)
			fired := false
			for _, f := range rep.Findings {
				fired = fired || f.RuleID == r.ID && paths[f.Location.Path]
			}
			if fired != c.Fire {
				t.Errorf("%s on %s %q: fired %v, want %v; findings: %+v", r.ID, c.Path, c.Text, fired, c.Fire, rep.Findings)
			}
		}
	}
}
