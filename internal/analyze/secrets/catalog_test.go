package secrets

import (
	"reflect"
	"testing"

	"github.com/thingsec/thingsec/internal/catalog"
)

// TestCatalogMatchesRules: the catalog reads the secret packs itself; its
// entry of every embedded rule says what the rule's findings say (title,
// help, remediation, severity, category, CWE, standards) and holds the
// same examples TestRuleExamples runs.
func TestCatalogMatchesRules(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if got := len(cat.Family("secrets")); got != len(rs) {
		t.Fatalf("catalog has %d secret rules, the analyzer %d", got, len(rs))
	}
	for _, r := range rs {
		c, ok := cat.Lookup(r.ID)
		if !ok {
			t.Errorf("%s not in the catalog", r.ID)
			continue
		}
		want := r.Entry()
		got := *c
		got.Examples = catalog.Examples{}
		if !reflect.DeepEqual(&got, want) {
			t.Errorf("%s:\ncatalog  %+v\nanalyzer %+v", r.ID, got, *want)
		}
		var match, noMatch []string
		for _, e := range c.Examples.Match {
			match = append(match, e.Text)
		}
		for _, e := range c.Examples.NoMatch {
			noMatch = append(noMatch, e.Text)
		}
		if !reflect.DeepEqual(match, r.Examples.Match) || !reflect.DeepEqual(noMatch, r.Examples.NoMatch) {
			t.Errorf("%s: catalog examples differ from the rule's", r.ID)
		}
	}
}

// TestUserRuleIDsUniqueAcrossFamilies: a user pack may not reuse the id of
// another family's rule.
func TestUserRuleIDsUniqueAcrossFamilies(t *testing.T) {
	rs, err := ParseYAML("user.yaml", []byte("rules:\n- {id: TS-KEY-001, title: Mine, regex: 'mine=(\\w+)', keywords: [mine]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{Extra: rs}); err == nil {
		t.Fatal("user rule TS-KEY-001 accepted")
	}
	rs[0].ID = "ACME-001"
	if _, err := New(Options{Extra: rs}); err != nil {
		t.Fatalf("user rule ACME-001 refused: %v", err)
	}
}
