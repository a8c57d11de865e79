package elfsec

import (
	"context"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/engine"
)

// TestCatalogExamples runs every hardening rule's catalog examples
// (rules/findings/hardening.yaml) through a real scan of a directory that
// holds the example at its path, with the file analyzer and the kernel
// tree pass: "match" inputs must make the rule fire on that path,
// "no_match" inputs must not.
func TestCatalogExamples(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	rules := cat.Family("hardening")
	if len(rules) == 0 {
		t.Fatal("no hardening rules in the catalog")
	}
	for _, r := range rules {
		for _, c := range r.Cases() {
			dir := t.TempDir()
			if _, err := c.Write(dir, "testdata"); err != nil {
				t.Fatal(err)
			}
			rep, err := engine.Scan(context.Background(), engine.Config{Target: dir, Workers: 2,
				Files: []plugin.FileAnalyzer{MustNew()}, Trees: []plugin.TreeAnalyzer{MustNewKernelTree()}})
			if err != nil {
				t.Fatal(err)
			}
			fired := false
			for _, f := range rep.Findings {
				fired = fired || f.RuleID == r.ID && f.Location.Path == c.Path
			}
			if fired != c.Fire {
				t.Errorf("%s on %s (%s%s): fired %v, want %v; findings: %v", r.ID, c.Path, c.File, trim(c.Text), fired, c.Fire, rep.Findings)
			}
		}
	}
}

func trim(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
