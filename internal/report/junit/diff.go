package junit

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/diff"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/ci"
)

// EncodeDiff writes the diff d as JUnit XML: one suite, "thingsec diff",
// whose cases fail on what the new release made worse. A case per rule
// with findings on either side (failed by its new findings above info
// severity, as in a scan's report), a case per component with
// vulnerabilities introduced or fixed (failed by the introduced ones), and
// a case per binary whose hardening changed (failed by what it lost).
// rules are the catalog entries to title the rules with (nil: the
// embedded catalog).
func EncodeDiff(w io.Writer, d *diff.Diff, rules []*catalog.Rule) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(BuildDiff(d, rules)); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// BuildDiff makes the test suite of d.
func BuildDiff(d *diff.Diff, rules []*catalog.Rule) *Suites {
	s := Suite{Name: "thingsec diff", Time: "0", Properties: &Properties{[]Property{
		{Name: "old", Value: d.Old.Target.Name},
		{Name: "new", Value: d.New.Target.Name},
		{Name: "tool.version", Value: d.Tool.Version},
		{Name: "diff.schema_version", Value: d.SchemaVersion},
	}}}
	s.Cases = append(s.Cases, findingCases(d, ci.NewRules(rules))...)
	s.Cases = append(s.Cases, vulnCases(d)...)
	s.Cases = append(s.Cases, hardeningCases(d)...)
	out := &Suites{Name: "thingsec diff " + d.Old.Target.Name + " " + d.New.Target.Name, Time: "0"}
	out.add(s)
	return out
}

// findingCases: a case per rule with findings on either side.
func findingCases(d *diff.Diff, rules *ci.Rules) []Case {
	byRule := map[string][]*model.Finding{}
	other := map[string][]string{} // fixed, changed and unchanged, for system-out
	titles := map[string]string{}
	note := func(f *model.Finding) {
		if _, ok := titles[f.RuleID]; !ok {
			titles[f.RuleID] = rules.For(f).Title
			if titles[f.RuleID] == f.RuleID && f.Title != "" {
				titles[f.RuleID] = f.Title // a rule of a user pack the catalog does not have
			}
		}
	}
	for i := range d.Findings.New {
		f := &d.Findings.New[i].Finding
		note(f)
		byRule[f.RuleID] = append(byRule[f.RuleID], f)
	}
	for i := range d.Findings.Fixed {
		f := &d.Findings.Fixed[i].Finding
		note(f)
		other[f.RuleID] = append(other[f.RuleID], fmt.Sprintf("fixed: [%s] %s (fingerprint %s)", f.Severity, f.Location.Path, f.Fingerprint))
	}
	for i := range d.Findings.Changed {
		c := &d.Findings.Changed[i]
		note(&c.New)
		other[c.New.RuleID] = append(other[c.New.RuleID], fmt.Sprintf("changed (%s): [%s] %s (fingerprint %s)", strings.Join(c.Changes, ", "), c.New.Severity, c.New.Location.Path, c.Fingerprint))
	}
	for _, u := range d.Findings.Unchanged {
		if _, ok := titles[u.RuleID]; !ok {
			titles[u.RuleID] = rules.For(&model.Finding{RuleID: u.RuleID}).Title
		}
		other[u.RuleID] = append(other[u.RuleID], fmt.Sprintf("unchanged: [%s] %s (fingerprint %s)", u.Severity, u.Path, u.Fingerprint))
	}
	ids := make([]string, 0, len(titles))
	for id := range titles {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var out []Case
	for _, id := range ids {
		c := Case{Name: "new findings: " + id + " " + titles[id], Classname: "thingsec.diff.findings." + id, Time: "0"}
		var lines, infos []string
		worst := model.Info
		for _, f := range byRule[id] {
			line := fmt.Sprintf("[%s] %s", f.Severity, ci.Display(f.Location))
			if f.Evidence != "" {
				line += ": " + f.Evidence
			}
			line += " (fingerprint " + f.Fingerprint + ")"
			if f.Severity.Rank() > model.Info.Rank() {
				lines = append(lines, line)
				worst = maxSeverity(worst, f.Severity)
			} else {
				infos = append(infos, "new (info): "+line)
			}
		}
		if len(lines) > 0 {
			c.Failure = &Failure{Message: fmt.Sprintf("%d new %s (worst: %s): %s", len(lines), plural(len(lines), "finding"), worst, titles[id]), Type: string(worst), Text: strings.Join(lines, "\n")}
		}
		c.SystemOut = strings.Join(append(infos, other[id]...), "\n")
		out = append(out, c)
	}
	return out
}

// vulnCases: a case per component with vulnerabilities introduced or
// fixed.
func vulnCases(d *diff.Diff) []Case {
	type comp struct {
		name             string
		introduced, gone []diff.VulnRef
	}
	byComp := map[string]*comp{}
	get := func(v diff.VulnRef) *comp {
		c := byComp[v.Component]
		if c == nil {
			c = &comp{name: v.ComponentName}
			byComp[v.Component] = c
		}
		return c
	}
	for _, v := range d.Vulnerabilities.Introduced {
		c := get(v)
		c.name = strings.TrimSpace(v.ComponentName + " " + v.ComponentVersion) // the new release's version
		c.introduced = append(c.introduced, v)
	}
	for _, v := range d.Vulnerabilities.Fixed {
		c := get(v)
		c.gone = append(c.gone, v)
	}
	keys := make([]string, 0, len(byComp))
	for k := range byComp {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(byComp[a].name, byComp[b].name), cmp.Compare(a, b)) })
	var out []Case
	for _, k := range keys {
		c := byComp[k]
		tc := Case{Name: "introduced vulnerabilities: " + c.name, Classname: "thingsec.diff.vulnerabilities", Time: "0"}
		if len(c.introduced) > 0 {
			worst := model.Info
			var lines []string
			for _, v := range c.introduced {
				worst = maxSeverity(worst, v.Severity)
				lines = append(lines, vulnLine(v))
			}
			tc.Failure = &Failure{Message: fmt.Sprintf("%d %s introduced (worst: %s)", len(lines), plural(len(lines), "vulnerability"), worst), Type: string(worst), Text: strings.Join(lines, "\n")}
		}
		var fixed []string
		for _, v := range c.gone {
			fixed = append(fixed, "fixed: "+vulnLine(v))
		}
		tc.SystemOut = strings.Join(fixed, "\n")
		out = append(out, tc)
	}
	return out
}

func vulnLine(v diff.VulnRef) string {
	line := fmt.Sprintf("[%s] %s", v.Severity, v.ID)
	if v.KEV {
		line += " KEV"
	}
	if len(v.Fixed) > 0 {
		line += " fixed in " + strings.Join(v.Fixed, ", ")
	}
	line += " (" + v.Cause + ")"
	if v.Summary != "" {
		line += ": " + v.Summary
	}
	return line
}

// hardeningCases: a case per binary whose mitigations changed, failed by
// those it lost.
func hardeningCases(d *diff.Diff) []Case {
	type bin struct{ lost, gained *diff.HardeningChange }
	byBin := map[string]*bin{}
	var keys []string
	get := func(h *diff.HardeningChange) *bin {
		k := h.Layer + "\x00" + h.Path
		if byBin[k] == nil {
			byBin[k] = &bin{}
			keys = append(keys, k)
		}
		return byBin[k]
	}
	for i := range d.Hardening.Regressions {
		get(&d.Hardening.Regressions[i]).lost = &d.Hardening.Regressions[i]
	}
	for i := range d.Hardening.Improvements {
		get(&d.Hardening.Improvements[i]).gained = &d.Hardening.Improvements[i]
	}
	slices.Sort(keys)
	var out []Case
	for _, k := range keys {
		b := byBin[k]
		h := b.lost
		if h == nil {
			h = b.gained
		}
		c := Case{Name: "hardening: " + h.Path, Classname: "thingsec.diff.hardening", Time: "0"}
		if b.lost != nil {
			c.Failure = &Failure{Message: "lost " + strings.Join(b.lost.Lost, ", "), Type: "hardening-regression",
				Text: fmt.Sprintf("%s (%s, layer %s)\nold: %s\nnew: %s", h.Path, h.Kind, h.Layer, h.Old, h.New)}
		}
		if b.gained != nil {
			c.SystemOut = "gained " + strings.Join(b.gained.Gained, ", ")
		}
		out = append(out, c)
	}
	return out
}

func maxSeverity(a, b model.Severity) model.Severity {
	if b.Rank() > a.Rank() {
		return b
	}
	return a
}
