package crypto

import (
	"context"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/engine"
	"github.com/thingsec/thingsec/internal/model"
)

// TestCatalogExamples runs every keys rule's catalog examples
// (rules/findings/keys.yaml) through the analyzer: a single file through
// the file pass, a file "with" others as an image through a real scan (the
// tree pass matches keys to certificates). "match" inputs must make the
// rule fire, "no_match" inputs must not.
func TestCatalogExamples(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	rules := cat.Family("keys")
	if len(rules) == 0 {
		t.Fatal("no keys rules in the catalog")
	}
	write := func(dir string, ex catalog.Example) string {
		p, err := ex.Write(dir, "testdata")
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, r := range rules {
		for _, want := range []bool{true, false} {
			exs := r.Examples.Match
			if !want {
				exs = r.Examples.NoMatch
			}
			for i, ex := range exs {
				now := fixedNow
				if ex.At != "" {
					at, err := time.Parse("2006-01-02", ex.At)
					if err != nil {
						t.Fatalf("%s: at: %v", r.ID, err)
					}
					now = func() time.Time { return at }
				}
				a := New(Options{Now: now})
				dir := t.TempDir()
				p := write(dir, ex)
				var fs []model.Finding
				if len(ex.With) == 0 {
					fs = analyzeFile(t, a, p, ex.Path)
				} else {
					for _, w := range ex.With {
						write(dir, w)
					}
					rep, err := engine.Scan(context.Background(), engine.Config{Target: dir, Workers: 2, Files: []plugin.FileAnalyzer{a}, Trees: []plugin.TreeAnalyzer{a}})
					if err != nil {
						t.Fatal(err)
					}
					for _, f := range rep.Findings {
						if f.Location.Path == ex.Path {
							fs = append(fs, f)
						}
					}
				}
				fired := false
				for _, f := range fs {
					fired = fired || f.RuleID == r.ID
				}
				if fired != want {
					t.Errorf("%s example %d (match=%v, %s): fired=%v (%s)", r.ID, i, want, ex.Path, fired, rulesOf(fs))
				}
			}
		}
	}
}

func rulesOf(fs []model.Finding) string { return rules(fs) }
