package table

import (
	"cmp"
	"slices"

	"github.com/thingsec/thingsec/internal/model"
)

// unknown is the severity of a vulnerability no source scored. It sorts
// after low and before info: it may be anything, info is known to be
// harmless.
const unknown model.Severity = "unknown"

// severityOrder is the order of the severity groups, worst first.
var severityOrder = []model.Severity{model.Critical, model.High, model.Medium, model.Low, unknown, model.Info}

// normSeverity maps any severity the table does not know to unknown.
func normSeverity(s model.Severity) model.Severity {
	if slices.Contains(severityOrder, s) {
		return s
	}
	return unknown
}

// sevRank is the position of s in severityOrder: 0 is the worst.
func sevRank(s model.Severity) int { return slices.Index(severityOrder, normSeverity(s)) }

// sortedFindings are the findings by priority (the severity where
// exposure did not raise it), then severity; within those, by location
// (so one file's findings stay together), then rule.
func sortedFindings(fs []model.Finding) []model.Finding {
	out := slices.Clone(fs)
	slices.SortStableFunc(out, func(a, b model.Finding) int {
		return cmp.Or(
			cmp.Compare(sevRank(findingPriority(a)), sevRank(findingPriority(b))),
			cmp.Compare(sevRank(a.Severity), sevRank(b.Severity)),
			cmp.Compare(a.Location.Chain, b.Location.Chain),
			cmp.Compare(a.Location.Layer, b.Location.Layer),
			cmp.Compare(a.Location.Path, b.Location.Path),
			cmp.Compare(a.Location.Line, b.Location.Line),
			cmp.Compare(a.RuleID, b.RuleID),
		)
	})
	return out
}

// sortedVulns are the vulnerabilities by priority (the severity when
// they have none), then severity; within those, known exploited (KEV)
// first, then by CVSS score, then by EPSS probability, then by component
// and ID.
func sortedVulns(vs []model.Vulnerability) []model.Vulnerability {
	out := slices.Clone(vs)
	slices.SortStableFunc(out, func(a, b model.Vulnerability) int {
		return cmp.Or(
			cmp.Compare(sevRank(vulnPriority(a)), sevRank(vulnPriority(b))),
			cmp.Compare(sevRank(a.Severity), sevRank(b.Severity)),
			cmp.Compare(b2i(b.KEV != nil), b2i(a.KEV != nil)),
			cmp.Compare(cvss(b), cvss(a)),
			cmp.Compare(epss(b), epss(a)),
			cmp.Compare(a.Component, b.Component),
			cmp.Compare(a.ID, b.ID),
		)
	})
	return out
}

// cvss is the score a reader compares: the highest of the newest CVSS
// version the vulnerability has (a v2 score is not comparable with v3),
// or -1 when it has none.
func cvss(v model.Vulnerability) float64 {
	best, newest := -1.0, ""
	for _, c := range v.CVSS {
		switch {
		case c.Version > newest:
			best, newest = c.Score, c.Version
		case c.Version == newest:
			best = max(best, c.Score)
		}
	}
	return best
}

func epss(v model.Vulnerability) float64 {
	if v.EPSS == nil {
		return -1
	}
	return v.EPSS.Score
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// vulnPriority is the level v is ranked at: its priority, or its
// severity when it has none.
func vulnPriority(v model.Vulnerability) model.Severity {
	if v.Priority != nil {
		return v.Priority.Level
	}
	return v.Severity
}

// findingPriority is the level f is ranked at.
func findingPriority(f model.Finding) model.Severity {
	if f.Priority != nil {
		return f.Priority.Level
	}
	return f.Severity
}
