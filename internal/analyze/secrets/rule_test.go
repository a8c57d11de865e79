package secrets

import (
	"strings"
	"testing"
)

// TestRuleExamples runs every embedded rule on its own examples: each
// "match" example is found by that rule, each "no_match" is not.
func TestRuleExamples(t *testing.T) {
	rs, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(rs); err != nil {
		t.Fatal(err)
	}
	if len(rs) < 300 {
		t.Errorf("%d embedded rules, want at least 300", len(rs))
	}
	for _, r := range rs {
		t.Run(r.ID, func(t *testing.T) {
			if len(r.Examples.Match) == 0 || len(r.Examples.NoMatch) == 0 {
				t.Errorf("rule needs match and no_match examples")
			}
			if strings.TrimSpace(r.Verify) == "" {
				t.Errorf("rule needs a verify note (the request that would confirm the secret)")
			}
			if len(r.Keywords) == 0 && r.Paths == "" {
				t.Errorf("rule has no keywords: it would run on every line")
			}
			sc := NewScanner([]*Rule{r})
			path := examplePath(r)
			for _, ex := range r.Examples.Match {
				hits := sc.Scan([]byte(ex), path)
				if len(hits) == 0 {
					t.Errorf("%s: no match in %q", r.Title, ex)
				}
			}
			for _, ex := range r.Examples.NoMatch {
				hits := sc.Scan([]byte(ex), path)
				for _, h := range hits {
					t.Errorf("%s: unexpected match %q in %q", r.Title, h.Secret([]byte(ex)), ex)
				}
			}
		})
	}
}

// examplePath picks a file path the rule's path filter accepts.
func examplePath(r *Rule) string {
	for _, p := range []string{"/etc/app.conf", "/etc/app.yaml", "/www/app.lua", "/app.py", "/www/js/app.js", "/app.go", "/etc/config/wireless", "/etc/ppp/chap-secrets", "/root/.pgpass"} {
		if r.pathAllowed(p) {
			return p
		}
	}
	return "/" + strings.ToLower(r.ID)
}
