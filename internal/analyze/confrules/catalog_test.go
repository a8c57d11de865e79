package confrules

import (
	"context"
	"fmt"
	"path"
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
// (rules/config/*.yaml) through one real scan: each example (with its
// "with" files) is written under its own directory, a device root as a
// source overlay has them (the rules match path suffixes, and sshd's
// Include resolves under that root). "match" must make the rule fire on
// the example's path or a file it includes, "no_match" must not.
func TestCatalogExamples(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	rules := cat.Family("config")
	if len(rules) < 25 {
		t.Fatalf("%d config rules in the catalog", len(rules))
	}
	type example struct {
		rule  string
		c     catalog.Case
		paths map[string]bool // in-tree paths of its files
	}
	dir := t.TempDir()
	var all []example
	for _, r := range rules {
		for _, c := range r.Cases() {
			root := fmt.Sprintf("/%03d", len(all))
			ex := example{r.ID, c, map[string]bool{}}
			for _, w := range append([]catalog.Example{c.Example}, c.With...) {
				w.Path = root + path.Clean("/"+w.Path)
				if _, err := w.Write(dir, "testdata"); err != nil {
					t.Fatal(err)
				}
				ex.paths[w.Path] = true
			}
			all = append(all, ex)
		}
	}
	rep := scanDir(t, dir)
	for _, ex := range all {
		fired := false
		var near []string
		for _, f := range rep.Findings {
			if ex.paths[f.Location.Path] {
				fired = fired || f.RuleID == ex.rule
				near = append(near, f.RuleID+" "+f.Evidence)
			}
		}
		if fired != ex.c.Fire {
			t.Errorf("%s on %s %q: fired %v, want %v; findings there: %q", ex.rule, ex.c.Path, ex.c.Text, fired, ex.c.Fire, near)
		}
	}
}
