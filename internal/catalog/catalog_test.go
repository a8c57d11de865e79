package catalog

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/thingsec/thingsec/internal/model"
)

// exampleRunners names, per family, the test that runs its rules'
// examples through the family's analyzer. A new family adds its runner
// here; a family without one fails TestEveryRuleHasExamples.
var exampleRunners = map[string]string{
	"secrets":     "internal/analyze/secrets TestRuleExamples",
	"credentials": "internal/analyze/accounts TestCatalogExamples",
	"keys":        "internal/analyze/crypto TestCatalogExamples",
	"hardening":   "internal/analyze/elfsec TestCatalogExamples",
	"services":    "internal/analyze/services TestCatalogExamples",
	"config":      "internal/analyze/confrules TestCatalogExamples",
	"cgi":         "internal/analyze/cgi TestCatalogExamples",
	"update":      "internal/analyze/update TestCatalogExamples",
	"tls":         "internal/analyze/transport TestCatalogExamples",
	"net":         "internal/analyze/transport TestCatalogExamples",
	"data":        "internal/analyze/privdata TestCatalogExamples",
	"perms":       "internal/analyze/perms TestCatalogExamples",
}

func TestDefaultLoadsEveryFamily(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for fam, min := range map[string]int{"secrets": 100, "credentials": 8, "keys": 15, "config": 25} {
		if n := len(c.Family(fam)); n < min {
			t.Errorf("family %s: %d rules, want at least %d", fam, n, min)
		}
	}
	all := c.All()
	for i := 1; i < len(all); i++ {
		if all[i-1].ID >= all[i].ID {
			t.Fatalf("All not sorted by id: %s before %s", all[i-1].ID, all[i].ID)
		}
	}
	r, ok := c.Lookup("TS-CRED-001")
	if !ok || r.Family != "credentials" || r.Severity != model.Critical || r.Source != "findings/credentials.yaml" {
		t.Fatalf("TS-CRED-001: %+v %v", r, ok)
	}
	if r, ok := c.Lookup("TS-SECRET-064"); !ok || r.Family != "secrets" || r.Help == "" || r.Remediation == "" {
		t.Fatalf("TS-SECRET-064: %+v %v", r, ok)
	}
}

// TestEveryRuleHasExamples: every rule of every family has inputs it must
// fire on and inputs it must not, and its family has an example runner.
func TestEveryRuleHasExamples(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range c.All() {
		if _, ok := exampleRunners[r.Family]; !ok {
			t.Errorf("%s: family %q has no example runner (add its test to exampleRunners)", r.ID, r.Family)
		}
		if len(r.Examples.Match) == 0 || len(r.Examples.NoMatch) == 0 {
			t.Errorf("%s (%s): needs match and no_match examples", r.ID, r.Source)
		}
		for _, e := range append(append([]Example{}, r.Examples.Match...), r.Examples.NoMatch...) {
			if r.Family != "secrets" && (e.Path == "" || e.Text == "" && e.File == "" && e.Mode == "") {
				t.Errorf("%s: example %+v needs a path and a text or file", r.ID, e)
			}
		}
	}
}

const packA = `rules:
- {id: TS-FOO-001, title: Foo, help: h, remediation: r, severity: high, category: c, cwe: [CWE-1], examples: {match: [{path: /a, text: x}], no_match: [{path: /a, text: y}]}}
`

// TestIDsUniqueAcrossFamilies: the same id in a findings file and a
// secret pack (or a user pack) is refused.
func TestIDsUniqueAcrossFamilies(t *testing.T) {
	dup := fstest.MapFS{
		"findings/foo.yaml": {Data: []byte(packA)},
		"secrets/s.yaml":    {Data: []byte("rules:\n- {id: TS-FOO-001, title: Token, regex: 'x'}\n")},
	}
	if _, err := Load(dup); err == nil || !strings.Contains(err.Error(), "TS-FOO-001 defined twice") {
		t.Fatalf("duplicate across families: %v", err)
	}
	ok := fstest.MapFS{
		"findings/foo.yaml": {Data: []byte(packA)},
		"findings/bar.yaml": {Data: []byte(strings.ReplaceAll(packA, "TS-FOO-001", "TS-BAR-001"))},
		"secrets/s.yaml":    {Data: []byte("rules:\n- {id: TS-SECRET-001, title: Token, regex: 'x'}\n")},
	}
	c, err := Load(ok)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.All()) != 3 || len(c.Family("bar")) != 1 {
		t.Fatalf("got %d rules", len(c.All()))
	}
	if _, err := c.Extend([]*Rule{{ID: "TS-BAR-001", Source: "user/x.yaml"}}); err == nil {
		t.Fatal("user rule reusing a catalog id accepted")
	}
	if _, err := c.Extend([]*Rule{{ID: "aws-access-token", Source: "gitleaks.toml"}}); err != nil {
		t.Fatalf("gitleaks id refused: %v", err)
	}
	d, _ := Default()
	if _, err := d.Extend([]*Rule{{ID: "TS-KEY-001", Source: "user/x.yaml"}}); err == nil {
		t.Fatal("user rule reusing TS-KEY-001 accepted")
	}
}

func TestEntryChecks(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{strings.Replace(packA, "TS-FOO-001", "FOO-1", 1), "not TS-<AREA>-<NNN>"},
		{strings.Replace(packA, "severity: high", "severity: urgent", 1), "unknown severity"},
		{strings.Replace(packA, "help: h, ", "", 1), "no help"},
		{strings.Replace(packA, "cwe: [CWE-1]", "cwe: [798]", 1), "is not CWE-<n>"},
		{strings.Replace(packA, "cwe: [CWE-1]", "cwe: [CWE-1], standards: ['ETSI 5.1']", 1), "framework[@version]:provision"},
		{strings.Replace(packA, "title: Foo", "titel: Foo", 1), "field titel not found"},
	} {
		_, err := Load(fstest.MapFS{"findings/foo.yaml": {Data: []byte(tt.yaml)}})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.want, err, tt.want)
		}
	}
}

func TestFill(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	f := model.Finding{RuleID: "TS-CRED-006", Title: `Clear-text password for "admin" in httpd.conf`, Severity: model.Critical}
	if err := c.Fill(&f); err != nil {
		t.Fatal(err)
	}
	r, _ := c.Lookup("TS-CRED-006")
	if f.Title != `Clear-text password for "admin" in httpd.conf` || f.Severity != model.Critical {
		t.Errorf("analyzer fields overwritten: %+v", f)
	}
	if f.Category != "credential" || f.Description != r.Help || f.Remediation != r.Remediation ||
		strings.Join(f.CWE, ",") != "CWE-798,CWE-259,CWE-256" || len(f.Standards) != 3 {
		t.Errorf("not filled: %+v", f)
	}
	g := model.Finding{RuleID: "TS-KEY-021"}
	c.Fill(&g)
	if g.Title != "Private key of a certificate shipped in the image" || g.Severity != model.Info {
		t.Errorf("title/severity not filled: %+v", g)
	}
	if err := c.Fill(&model.Finding{RuleID: "TS-NOPE-001"}); err == nil {
		t.Error("unknown rule filled")
	}
}
