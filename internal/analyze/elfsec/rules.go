package elfsec

import (
	"fmt"
	"io/fs"

	"go.yaml.in/yaml/v3"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/rules"
)

// Rule IDs of this analyzer (rules/findings/hardening.yaml).
const (
	RuleMitigations  = "TS-HARD-001"
	RuleWritablePath = "TS-HARD-002"
	RuleTextRel      = "TS-HARD-003"
	RuleKernel       = "TS-HARD-004"
)

// Rule is one finding rule of the hardening pack.
type Rule struct {
	ID          string         `yaml:"id"`
	Title       string         `yaml:"title"`
	Summary     string         `yaml:"summary"`
	Help        string         `yaml:"help"`
	Remediation string         `yaml:"remediation"`
	Severity    model.Severity `yaml:"severity"`
	Category    string         `yaml:"category"`
	CWE         []string       `yaml:"cwe"`
	Standards   []string       `yaml:"standards"`
	Tags        []string       `yaml:"tags"`
}

const rulesFile = "findings/hardening.yaml"

// loadRules reads the embedded rule pack and checks that every rule this
// analyzer emits is there.
func loadRules() (map[string]*Rule, error) {
	b, err := fs.ReadFile(rules.FS, rulesFile)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Rules []*Rule `yaml:"rules"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", rulesFile, err)
	}
	m := map[string]*Rule{}
	for _, r := range doc.Rules {
		if r.Severity.Rank() == 0 {
			return nil, fmt.Errorf("%s: %s: bad severity %q", rulesFile, r.ID, r.Severity)
		}
		m[r.ID] = r
	}
	for _, id := range []string{RuleMitigations, RuleWritablePath, RuleTextRel, RuleKernel} {
		if m[id] == nil {
			return nil, fmt.Errorf("%s: rule %s missing", rulesFile, id)
		}
	}
	return m, nil
}

func (r *Rule) finding(sev model.Severity, loc model.Location, evidence, key string) model.Finding {
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
