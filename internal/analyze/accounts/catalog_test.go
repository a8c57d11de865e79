package accounts

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/thingsec/thingsec/internal/catalog"
)

// TestCatalogExamples runs every credentials rule's catalog examples
// (rules/findings/credentials.yaml) through the analyzer: each "match"
// input must make the rule fire, each "no_match" input must not.
func TestCatalogExamples(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	a := Default()
	rules := cat.Family("credentials")
	if len(rules) == 0 {
		t.Fatal("no credentials rules in the catalog")
	}
	for _, r := range rules {
		for _, want := range []bool{true, false} {
			exs := r.Examples.Match
			if !want {
				exs = r.Examples.NoMatch
			}
			for i, ex := range exs {
				dir := t.TempDir()
				data := []byte(ex.Text)
				if ex.File != "" {
					if data, err = os.ReadFile(filepath.Join("testdata", ex.File)); err != nil {
						t.Fatal(err)
					}
				}
				p := filepath.Join(dir, filepath.FromSlash(ex.Path))
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, data, 0o644); err != nil {
					t.Fatal(err)
				}
				fired := false
				for _, f := range runTree(t, a, dir) {
					fired = fired || f.RuleID == r.ID
				}
				if fired != want {
					t.Errorf("%s example %d (match=%v, %s): fired=%v", r.ID, i, want, ex.Path, fired)
				}
			}
		}
	}
}
