// Package codequality writes a report as a GitLab Code Quality report
// (artifacts:reports:codequality): a JSON array of issues in the subset
// of the Code Climate issue format GitLab reads — description,
// check_name, fingerprint, severity and location.path with
// location.lines.begin — which GitLab shows in the merge request widget
// and the changes view.
//
// Every finding and every known vulnerability is an issue. The
// fingerprint is the finding's thingsec fingerprint (for a vulnerability,
// the one the other CI encoders use), so GitLab tells new issues from
// fixed ones between the source and target branches. Paths are named as
// in the GitLab security reports: "image!/in/image/path" for a file of a
// firmware image (package ci). An issue with no line is put on line 1,
// because GitLab requires lines.begin.
package codequality

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/ci"
)

// Issue is one Code Climate issue.
type Issue struct {
	Type        string   `json:"type"` // always "issue"
	CheckName   string   `json:"check_name"`
	Description string   `json:"description"`
	Categories  []string `json:"categories"`
	Severity    string   `json:"severity"`
	Fingerprint string   `json:"fingerprint"`
	Location    Location `json:"location"`
	EngineName  string   `json:"engine_name"`
}

// Location is a file and its first line.
type Location struct {
	Path  string `json:"path"`
	Lines Lines  `json:"lines"`
}

// Lines holds the first line of an issue.
type Lines struct {
	Begin int `json:"begin"`
}

// Severity is Code Climate's name of a severity: info, minor, major,
// critical or blocker.
func Severity(s model.Severity) string {
	switch s {
	case model.Critical:
		return "blocker"
	case model.High:
		return "critical"
	case model.Medium:
		return "major"
	case model.Low:
		return "minor"
	}
	return "info"
}

// Encode writes the issues of rep.
func Encode(w io.Writer, rep *model.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(Build(rep))
}

// Build makes the issues of rep: findings, then vulnerabilities.
func Build(rep *model.Report) []Issue {
	issues := []Issue{}
	for _, f := range rep.Findings {
		desc := f.RuleID + " " + f.Title
		if f.Evidence != "" {
			desc += ": " + f.Evidence
		}
		if ci.Nested(rep.Target, f.Location) {
			desc += " (" + ci.Display(f.Location) + ")"
		}
		fp := f.Fingerprint
		if fp == "" {
			fp = model.Fingerprint(f.RuleID, f.Location.Path, f.Evidence)
		}
		issues = append(issues, Issue{
			Type: "issue", CheckName: f.RuleID, Description: desc, Categories: []string{"Security"},
			Severity: Severity(f.Severity), Fingerprint: fp, EngineName: "thingsec",
			Location: Location{Path: ci.File(rep.Target, f.Location), Lines: Lines{Begin: max(f.Location.Line, 1)}},
		})
	}
	for i := range rep.Vulnerabilities {
		v := &rep.Vulnerabilities[i]
		c := ci.Component(rep, v.Component)
		name, loc := v.Component, model.Location{Layer: "L0", Path: "/" + rep.Target.Name}
		if c != nil {
			name = c.Name + " " + c.Version
			if len(c.Locations) > 0 {
				loc = c.Locations[0]
			}
		}
		desc := fmt.Sprintf("%s in %s", v.ID, name)
		if v.Summary != "" {
			desc += ": " + v.Summary
		}
		issues = append(issues, Issue{
			Type: "issue", CheckName: v.ID, Description: desc, Categories: []string{"Security"},
			Severity: Severity(v.Severity), Fingerprint: ci.VulnFingerprint(v, c), EngineName: "thingsec",
			Location: Location{Path: ci.File(rep.Target, loc), Lines: Lines{Begin: max(loc.Line, 1)}},
		})
	}
	return issues
}
