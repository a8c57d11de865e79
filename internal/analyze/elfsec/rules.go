package elfsec

import (
	"fmt"

	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/model"
)

// Rule IDs of this analyzer (rules/findings/hardening.yaml, read through
// the rule catalog).
const (
	RuleMitigations  = "TS-HARD-001"
	RuleWritablePath = "TS-HARD-002"
	RuleTextRel      = "TS-HARD-003"
	RuleKernel       = "TS-HARD-004"
)

// Rule is a catalog entry of the hardening family.
type Rule = catalog.Rule

// loadRules takes this analyzer's rules from the catalog and checks that
// every rule it emits is there.
func loadRules() (map[string]*Rule, error) {
	cat, err := catalog.Default()
	if err != nil {
		return nil, err
	}
	m := map[string]*Rule{}
	for _, id := range []string{RuleMitigations, RuleWritablePath, RuleTextRel, RuleKernel} {
		r, ok := cat.Lookup(id)
		if !ok {
			return nil, fmt.Errorf("rule %s missing from the catalog", id)
		}
		m[id] = r
	}
	return m, nil
}

// finding makes a finding of rule r at severity sev (which depends on the
// binary's exposure and role, not only on the rule).
func finding(r *Rule, sev model.Severity, loc model.Location, evidence, key string) model.Finding {
	return model.Finding{
		RuleID:      r.ID,
		Title:       r.Title,
		Severity:    sev,
		Category:    r.Category,
		CWE:         r.CWE,
		Standards:   r.Standards,
		Location:    loc,
		Evidence:    evidence,
		Description: r.Summary,
		Remediation: r.Remediation,
		Fingerprint: model.Fingerprint(r.ID, loc.Path, key),
	}
}

// MustNew is New for the embedded rules, which a test keeps valid.
func MustNew() *Analyzer {
	a, err := New()
	if err != nil {
		panic(err)
	}
	return a
}

// MustNewKernelTree is NewKernelTree for the embedded rules.
func MustNewKernelTree() *KernelTree {
	kt, err := NewKernelTree()
	if err != nil {
		panic(err)
	}
	return kt
}
