package services

import (
	"context"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/engine"
	"github.com/thingsec/thingsec/internal/model"
)

// TestCatalogExamples runs every services rule's catalog examples
// (rules/findings/services.yaml) through a real scan of a directory
// holding the example (and its "with" files) at their device paths:
// "match" inputs must make the rule fire on the example's path,
// "no_match" inputs must not.
func TestCatalogExamples(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	rules := cat.Family("services")
	if len(rules) == 0 {
		t.Fatal("no services rules in the catalog")
	}
	for _, r := range rules {
		for i, c := range r.Cases() {
			rep := scanExample(t, c.Example)
			var got []string
			fired := false
			for _, f := range rep.Findings {
				got = append(got, f.RuleID+"@"+f.Location.Path)
				fired = fired || f.RuleID == r.ID && f.Location.Path == c.Path
			}
			if fired != c.Fire {
				t.Errorf("%s example %d (match=%v, %s): fired=%v; findings %v", r.ID, i, c.Fire, c.Path, fired, got)
			}
		}
	}
}

func scanExample(t *testing.T, ex catalog.Example) *model.Report {
	t.Helper()
	dir := t.TempDir()
	for _, e := range append([]catalog.Example{ex}, ex.With...) {
		if _, err := e.Write(dir, "testdata"); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := engine.Scan(context.Background(), engine.Config{Target: dir, Workers: 1, Trees: []plugin.TreeAnalyzer{MustNew()}})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func rulesOf(fs []model.Finding) string {
	var s []string
	for _, f := range fs {
		s = append(s, f.RuleID)
	}
	return strings.Join(s, ",")
}
