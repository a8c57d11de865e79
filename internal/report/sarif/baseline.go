package sarif

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/diff"
	"github.com/thingsec/thingsec/internal/model"
)

// Baseline states (SARIF 2.1.0 §3.27.24).
const (
	StateNew       = "new"
	StateUpdated   = "updated"
	StateUnchanged = "unchanged"
	StateAbsent    = "absent"
)

// EncodeBaseline writes rep as a SARIF log whose results carry their
// baselineState relative to d, rep's diff against a baseline: new,
// updated (same fingerprint, another severity, title or evidence) or
// unchanged. What the baseline had and rep has not is left out: the log
// describes rep.
func EncodeBaseline(w io.Writer, rep *model.Report, rules []*catalog.Rule, d *diff.Diff) error {
	return encodeLog(w, build(rep, rules, newStates(d, nil)))
}

// EncodeDiff writes the diff d from old to new as a SARIF log: the
// results of new with their baselineState, then the findings and
// vulnerabilities only old had, "absent", located in old. old may be
// nil (a saved diff without its reports): the absent results are then
// located on old's target alone.
func EncodeDiff(w io.Writer, old, new *model.Report, rules []*catalog.Rule, d *diff.Diff) error {
	if old == nil {
		old = &model.Report{Target: d.Old.Target}
	}
	log := build(new, rules, newStates(d, old))
	log.Runs[0].Properties["baseline"] = d.Old.Target
	log.Runs[0].Properties["diff_summary"] = d.Summary
	return encodeLog(w, log)
}

func encodeLog(w io.Writer, log *Log) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}

// states says each result's baselineState. A nil *states says nothing
// (a scan without a baseline).
type states struct {
	d        *diff.Diff
	old      *model.Report // set to add the absent results
	findings map[string]string
	vulns    map[string]bool
}

func newStates(d *diff.Diff, old *model.Report) *states {
	s := &states{d: d, old: old, findings: map[string]string{}, vulns: map[string]bool{}}
	for i := range d.Findings.New {
		s.findings[findingKey(&d.Findings.New[i].Finding)] = StateNew
	}
	for i := range d.Findings.Changed {
		s.findings[findingKey(&d.Findings.Changed[i].New)] = StateUpdated
	}
	for _, v := range d.Vulnerabilities.Introduced {
		s.vulns[v.ID+"\x00"+v.Component] = true
	}
	return s
}

// findingKey names one finding of one report: the diff copies the
// findings it lists, so they are found again by fingerprint and place.
func findingKey(f *model.Finding) string {
	l := f.Location
	return fmt.Sprintf("%s\x00%s\x00%s\x00%d\x00%d", f.Fingerprint, l.Layer, l.Path, l.Line, l.Offset)
}

// vulnKey is how the diff matches a vulnerability: its id and its
// component's identity.
func vulnKey(rep *model.Report, v *model.Vulnerability) string {
	for i := range rep.Components {
		if rep.Components[i].Ref == v.Component {
			return v.ID + "\x00" + diff.Identity(&rep.Components[i])
		}
	}
	return v.ID + "\x00ref:" + v.Component
}

func (s *states) finding(f *model.Finding) string {
	if s == nil {
		return ""
	}
	if st, ok := s.findings[findingKey(f)]; ok {
		return st
	}
	return StateUnchanged
}

func (s *states) vuln(rep *model.Report, v *model.Vulnerability) string {
	if s == nil {
		return ""
	}
	if s.vulns[vulnKey(rep, v)] {
		return StateNew
	}
	return StateUnchanged
}

// absent is the results of what only the old report had, located in it.
func (b *builder) absent(s *states) []Result {
	var out []Result
	cur := b.rep
	b.rep = s.old
	defer func() { b.rep = cur }()
	for i := range s.d.Findings.Fixed {
		res := b.finding(&s.d.Findings.Fixed[i].Finding)
		res.BaselineState = StateAbsent
		out = append(out, res)
	}
	for _, ref := range s.d.Vulnerabilities.Fixed {
		v := oldVuln(s.old, ref)
		res := b.vuln(&v)
		res.BaselineState = StateAbsent
		out = append(out, res)
	}
	return out
}

// oldVuln is the old report's vulnerability ref names, or one made of
// the ref when the report does not have it.
func oldVuln(old *model.Report, ref diff.VulnRef) model.Vulnerability {
	for i := range old.Vulnerabilities {
		if v := &old.Vulnerabilities[i]; v.ID == ref.ID && vulnKey(old, v) == ref.ID+"\x00"+ref.Component {
			return *v
		}
	}
	return model.Vulnerability{ID: ref.ID, Severity: ref.Severity, Summary: ref.Summary, Component: ref.ComponentName, ComponentName: ref.ComponentName, Fixed: ref.Fixed}
}
