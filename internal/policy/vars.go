package policy

import (
	"slices"

	"github.com/thingsec/thingsec/internal/model"
)

// Finding is what a rule sees of a finding as f.
type Finding struct {
	Rule        string   `cel:"rule"`
	Title       string   `cel:"title"`
	Severity    string   `cel:"severity"`
	Category    string   `cel:"category"`
	Path        string   `cel:"path"`
	Layer       string   `cel:"layer"`
	Fingerprint string   `cel:"fingerprint"`
	CWE         []string `cel:"cwe"`
	Tags        []string `cel:"tags"`
	New         bool     `cel:"new"`
	Priority    string   `cel:"priority"`
}

// Vulnerability is what a rule sees of a vulnerability as v.
type Vulnerability struct {
	ID        string   `cel:"id"`
	Aliases   []string `cel:"aliases"`
	Severity  string   `cel:"severity"`
	CVSS      float64  `cel:"cvss"`
	KEV       bool     `cel:"kev"`
	EPSS      float64  `cel:"epss"`
	Component string   `cel:"component"`
	PURL      string   `cel:"purl"`
	Version   string   `cel:"version"`
	Fixed     []string `cel:"fixed"`
	CWE       []string `cel:"cwe"`
	State     string   `cel:"state"`
	New       bool     `cel:"new"`
	Priority  string   `cel:"priority"`
	Exposure  string   `cel:"exposure"`
	Reachable bool     `cel:"reachable"`
}

// findingVar is f for a finding of the report.
func findingVar(f *model.Finding, isNew bool) Finding {
	out := Finding{
		Rule: f.RuleID, Title: f.Title, Severity: string(f.Severity), Category: f.Category,
		Path: f.Location.Path, Layer: f.Location.Layer, Fingerprint: f.Fingerprint,
		CWE: nonNil(f.CWE), Tags: nonNil(f.Standards), New: isNew, Priority: string(f.Severity),
	}
	if f.Priority != nil {
		out.Priority = string(f.Priority.Level)
	}
	return out
}

// vulnVar is v for a vulnerability of the report; exposure is its
// component's exposure level ("" when the report has none).
func vulnVar(v *model.Vulnerability, isNew bool, exposure string) Vulnerability {
	out := Vulnerability{
		ID: v.ID, Aliases: nonNil(v.Aliases), Severity: string(v.Severity), KEV: v.KEV != nil,
		Component: v.ComponentName, PURL: v.Component, Version: v.InstalledVersion,
		Fixed: nonNil(v.Fixed), CWE: nonNil(v.CWE), New: isNew,
		Priority: string(v.Severity), Exposure: exposure, Reachable: exposure == "network",
	}
	if v.Priority != nil {
		out.Priority = string(v.Priority.Level)
	}
	for _, c := range v.CVSS {
		out.CVSS = max(out.CVSS, c.Score)
	}
	if v.EPSS != nil {
		out.EPSS = v.EPSS.Score
	}
	if v.Analysis != nil {
		out.State = v.Analysis.State
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

// exposures maps component refs to their exposure level.
func exposures(rep *model.Report) map[string]string {
	m := map[string]string{}
	for _, c := range rep.Components {
		if c.Exposure != nil {
			m[c.Ref] = c.Exposure.Level
		}
	}
	return m
}
