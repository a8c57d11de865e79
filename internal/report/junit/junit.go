// Package junit writes a report as JUnit XML, the test report format every
// CI system shows (GitLab artifacts:reports:junit, Jenkins, GitHub test
// reporters): each rule that ran is a test case, failed by its findings
// and passed when it has none, so a team sees which checks a build passes
// and which it does not, next to its unit tests.
//
// One test suite per rule family (credentials, hardening, keys, secrets,
// and user rule packs), then one for known vulnerabilities (a test case
// per vulnerable component) and one for the gates the command applied
// (--fail-on-incomplete, the secrets gate). A rule whose only findings are
// of info severity passes, with the findings in its system-out: info is
// not a violation anywhere else either (the secrets gate ignores it). The
// rules that ran are the caller's (Options.Rules); without them only the
// rules that have findings are listed.
package junit

import (
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/ci"
)

// Options are what the report does not hold.
type Options struct {
	// Rules are the catalog entries the command ran: each is a test case.
	Rules []*catalog.Rule
	// Gates are the outcomes of the command's gates: each is a test case.
	Gates []model.Gate
}

// Suites is the <testsuites> element.
type Suites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Name     string   `xml:"name,attr"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Time     string   `xml:"time,attr"`
	Suites   []Suite  `xml:"testsuite"`
}

// Suite is one <testsuite>.
type Suite struct {
	Name       string      `xml:"name,attr"`
	Tests      int         `xml:"tests,attr"`
	Failures   int         `xml:"failures,attr"`
	Errors     int         `xml:"errors,attr"`
	Skipped    int         `xml:"skipped,attr"`
	Time       string      `xml:"time,attr"`
	Timestamp  string      `xml:"timestamp,attr,omitempty"`
	Properties *Properties `xml:"properties,omitempty"`
	Cases      []Case      `xml:"testcase"`
}

// Properties are facts about the scan (target, tool version).
type Properties struct {
	Property []Property `xml:"property"`
}

// Property is a name and a value.
type Property struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// Case is one <testcase>.
type Case struct {
	Name      string   `xml:"name,attr"`
	Classname string   `xml:"classname,attr"`
	Time      string   `xml:"time,attr"`
	Failure   *Failure `xml:"failure,omitempty"`
	SystemOut string   `xml:"system-out,omitempty"`
}

// Failure says why a case failed.
type Failure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// Encode writes rep as JUnit XML.
func Encode(w io.Writer, rep *model.Report, opt Options) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(Build(rep, opt)); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// Build makes the test suites of rep.
func Build(rep *model.Report, opt Options) *Suites {
	rules := ci.NewRules(opt.Rules)
	byRule := map[string][]*model.Finding{}
	ran := map[string]*catalog.Rule{}
	for _, r := range opt.Rules {
		ran[r.ID] = r
	}
	for i := range rep.Findings {
		f := &rep.Findings[i]
		byRule[f.RuleID] = append(byRule[f.RuleID], f)
		if _, ok := ran[f.RuleID]; !ok {
			ran[f.RuleID] = rules.For(f)
		}
	}
	families := map[string][]*catalog.Rule{}
	for _, r := range ran {
		families[first(r.Family, "user")] = append(families[first(r.Family, "user")], r)
	}
	var names []string
	for n := range families {
		names = append(names, n)
	}
	sort.Strings(names)
	ts := rep.StartedAt.UTC().Format("2006-01-02T15:04:05")
	if rep.StartedAt.IsZero() {
		ts = ""
	}
	out := &Suites{Name: "thingsec " + rep.Target.Name, Time: seconds(rep)}
	for _, fam := range names {
		rs := families[fam]
		sort.Slice(rs, func(i, j int) bool { return rs[i].ID < rs[j].ID })
		s := Suite{Name: "thingsec " + fam, Time: "0", Timestamp: ts}
		for _, r := range rs {
			s.Cases = append(s.Cases, ruleCase(rep, r, fam, byRule[r.ID]))
		}
		out.add(s)
	}
	if len(rep.Vulnerabilities) > 0 || len(rep.Components) > 0 {
		out.add(vulnSuite(rep, ts))
	}
	if len(opt.Gates) > 0 {
		s := Suite{Name: "thingsec gates", Time: "0", Timestamp: ts}
		for _, g := range opt.Gates {
			c := Case{Name: g.Name, Classname: "thingsec.gates", Time: "0", SystemOut: g.Description}
			if g.Failure != "" {
				c.Failure = &Failure{Message: g.Failure, Type: "gate", Text: g.Description + ": " + g.Failure}
			}
			s.Cases = append(s.Cases, c)
		}
		out.add(s)
	}
	if len(out.Suites) > 0 {
		out.Suites[0].Properties = &Properties{properties(rep)}
	}
	return out
}

func (s *Suites) add(x Suite) {
	for _, c := range x.Cases {
		x.Tests++
		if c.Failure != nil {
			x.Failures++
		}
	}
	s.Tests += x.Tests
	s.Failures += x.Failures
	s.Suites = append(s.Suites, x)
}

func ruleCase(rep *model.Report, r *catalog.Rule, fam string, fs []*model.Finding) Case {
	c := Case{Name: r.ID + " " + r.Title, Classname: "thingsec." + fam + "." + r.ID, Time: "0"}
	var violations, infos []string
	worst := model.Info
	for _, f := range fs {
		line := fmt.Sprintf("[%s] %s", f.Severity, ci.Display(f.Location))
		if f.Evidence != "" {
			line += ": " + f.Evidence
		}
		if f.Fingerprint != "" {
			line += " (fingerprint " + f.Fingerprint + ")"
		}
		if f.Severity.Rank() > model.Info.Rank() {
			violations = append(violations, line)
			if f.Severity.Rank() > worst.Rank() {
				worst = f.Severity
			}
		} else {
			infos = append(infos, line)
		}
	}
	if len(violations) > 0 {
		c.Failure = &Failure{
			Message: fmt.Sprintf("%d %s (worst: %s): %s", len(violations), plural(len(violations), "finding"), worst, r.Title),
			Type:    string(worst),
			Text:    strings.Join(violations, "\n") + "\n\nRemediation: " + r.Remediation,
		}
	}
	if len(infos) > 0 {
		c.SystemOut = "informational findings:\n" + strings.Join(infos, "\n")
	}
	return c
}

// vulnSuite has a case per component: failed by its known
// vulnerabilities, passed when it has none.
func vulnSuite(rep *model.Report, ts string) Suite {
	s := Suite{Name: "thingsec vulnerabilities", Time: "0", Timestamp: ts}
	byComp := map[string][]*model.Vulnerability{}
	for i := range rep.Vulnerabilities {
		v := &rep.Vulnerabilities[i]
		byComp[v.Component] = append(byComp[v.Component], v)
	}
	seen := map[string]bool{}
	add := func(ref, name string) {
		if seen[ref] {
			return
		}
		seen[ref] = true
		c := Case{Name: name, Classname: "thingsec.vulnerabilities", Time: "0"}
		vs := byComp[ref]
		if len(vs) > 0 {
			worst := model.Info
			var lines []string
			for _, v := range vs {
				if v.Severity.Rank() > worst.Rank() {
					worst = v.Severity
				}
				line := fmt.Sprintf("[%s] %s", v.Severity, v.ID)
				if best, ok := ci.CVSS(v); ok {
					line += fmt.Sprintf(" CVSS %s %.1f", best.Version, best.Score)
				}
				if v.KEV != nil {
					line += " KEV"
				}
				if v.EPSS != nil {
					line += fmt.Sprintf(" EPSS %.2f%%", 100*v.EPSS.Score)
				}
				if len(v.Fixed) > 0 {
					line += " fixed in " + strings.Join(v.Fixed, ", ")
				}
				if v.Summary != "" {
					line += ": " + v.Summary
				}
				lines = append(lines, line)
			}
			c.Failure = &Failure{Message: fmt.Sprintf("%d known %s (worst: %s)", len(vs), plural(len(vs), "vulnerability"), worst), Type: string(worst), Text: strings.Join(lines, "\n")}
		}
		s.Cases = append(s.Cases, c)
	}
	for _, comp := range rep.Components {
		add(comp.Ref, strings.TrimSpace(comp.Name+" "+comp.Version))
	}
	for _, v := range rep.Vulnerabilities {
		add(v.Component, v.Component)
	}
	return s
}

func properties(rep *model.Report) []Property {
	ps := []Property{
		{Name: "target", Value: rep.Target.Name},
		{Name: "target.kind", Value: rep.Target.Kind},
		{Name: "tool.version", Value: rep.Tool.Version},
		{Name: "report.schema_version", Value: rep.SchemaVersion},
		{Name: "problems", Value: strconv.Itoa(len(rep.Problems))},
	}
	if rep.Target.SHA256 != "" {
		ps = append(ps, Property{Name: "target.sha256", Value: rep.Target.SHA256})
	}
	return ps
}

func seconds(rep *model.Report) string {
	var d float64
	for _, s := range rep.Durations {
		d += s.Seconds
	}
	return strconv.FormatFloat(d, 'f', 3, 64)
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	if strings.HasSuffix(s, "y") {
		return s[:len(s)-1] + "ies"
	}
	return s + "s"
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
