package diff

import (
	"fmt"
	"slices"
	"strings"

	"github.com/thingsec/thingsec/internal/model"
)

// Gate is the verdict of a "fail on new" gate: the findings and
// vulnerabilities at or above a severity that the new side has and the
// old side had not.
type Gate struct {
	Min      model.Severity
	Findings []Finding
	Vulns    []VulnRef
}

// NewAtOrAbove picks what is new in d at severity min or above. A
// finding that was already there and changed (its severity included) is
// not new.
func NewAtOrAbove(d *Diff, min model.Severity) *Gate {
	g := &Gate{Min: min}
	for _, f := range d.Findings.New {
		if f.Severity.Rank() >= min.Rank() {
			g.Findings = append(g.Findings, f)
		}
	}
	for _, v := range d.Vulnerabilities.Introduced {
		if v.Severity.Rank() >= min.Rank() {
			g.Vulns = append(g.Vulns, v)
		}
	}
	return g
}

// Failed says whether anything new reached the severity.
func (g *Gate) Failed() bool { return len(g.Findings)+len(g.Vulns) > 0 }

// Reason is one line naming the rules and vulnerabilities that failed
// the gate, with counts.
func (g *Gate) Reason() string {
	var parts []string
	if n := len(g.Findings); n > 0 {
		by := map[string]int{}
		var ids []string
		for _, f := range g.Findings {
			if by[f.RuleID] == 0 {
				ids = append(ids, f.RuleID)
			}
			by[f.RuleID]++
		}
		slices.Sort(ids)
		var rules []string
		for _, id := range ids {
			rules = append(rules, fmt.Sprintf("%s x%d", id, by[id]))
		}
		parts = append(parts, fmt.Sprintf("%d new %s (%s)", n, plural(n, "finding", "findings"), strings.Join(rules, ", ")))
	}
	if n := len(g.Vulns); n > 0 {
		var ids []string
		for _, v := range g.Vulns {
			id := v.ID + " in " + strings.TrimSpace(v.ComponentName+" "+v.ComponentVersion)
			if v.Cause == "same-component" {
				id += " (unchanged component: newer vulnerability data)"
			}
			ids = append(ids, id)
		}
		const show = 10
		more := ""
		if len(ids) > show {
			more = fmt.Sprintf(", and %d more", len(ids)-show)
			ids = ids[:show]
		}
		parts = append(parts, fmt.Sprintf("%d new %s (%s%s)", n, plural(n, "vulnerability", "vulnerabilities"), strings.Join(ids, ", "), more))
	}
	if len(parts) == 0 {
		return fmt.Sprintf("nothing new at or above %s", g.Min)
	}
	return strings.Join(parts, " and ") + fmt.Sprintf(" at or above %s", g.Min)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
