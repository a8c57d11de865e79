package accounts

import (
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
		for i, c := range r.Cases() {
			dir := t.TempDir()
			if _, err := c.Write(dir, "testdata"); err != nil {
				t.Fatal(err)
			}
			fired := false
			for _, f := range runTree(t, a, dir) {
				fired = fired || f.RuleID == r.ID
			}
			if fired != c.Fire {
				t.Errorf("%s example %d (match=%v, %s): fired=%v", r.ID, i, c.Fire, c.Path, fired)
			}
		}
	}
}
