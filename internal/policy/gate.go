package policy

import (
	"fmt"
	"strings"

	"github.com/thingsec/thingsec/internal/model"
)

// Options are the gates of a run besides the policy's rules.
type Options struct {
	// FailOn is the severity floor over findings and vulnerabilities;
	// "" for none.
	FailOn model.Severity
	// FailOnKEV fails on any vulnerability CISA lists as exploited.
	FailOnKEV bool
	// NewFinding and NewVuln say whether an item is new against a
	// baseline (f.new, v.new); nil for never.
	NewFinding func(*model.Finding) bool
	NewVuln    func(*model.Vulnerability) bool
	// Expired are the suppressions past their expiry, each described
	// in a few words (file:line and what it matched); each fails the
	// gate.
	Expired []string
}

// Result is the outcome of every gate of a run.
type Result struct {
	Gates []model.Gate
}

// Failed reports whether any gate failed.
func (r *Result) Failed() bool {
	for _, g := range r.Gates {
		if g.Failure != "" {
			return true
		}
	}
	return false
}

// Reason is the one-line reason of a failed gate: every failed gate's
// failure, e.g. "gate failed: 3 findings ≥ high (TS-CRED-001 ×2,
// TS-KEY-003)"; "" when all passed.
func (r *Result) Reason() string {
	var parts []string
	for _, g := range r.Gates {
		if g.Failure != "" {
			parts = append(parts, g.Failure)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "gate failed: " + strings.Join(parts, "; ")
}

// Counts reports whether a finding counts for the gate: it is not
// suppressed.
func Counts(f *model.Finding) bool { return f.Suppressed == nil }

// CountsVuln reports whether a vulnerability counts for the gate: it is
// not suppressed and no VEX statement marks it not_affected or fixed.
func CountsVuln(v *model.Vulnerability) bool {
	if v.Suppressed != nil {
		return false
	}
	return v.Analysis == nil || (v.Analysis.State != "not_affected" && v.Analysis.State != "fixed")
}

// Evaluate applies the gates of opt and the rules of p (nil: none) to
// rep. Every gate given is in the result, passed or failed, in the order
// --fail-on, --fail-on-kev, the policy's rules, the suppressions.
func Evaluate(rep *model.Report, p *Policy, opt Options) (*Result, error) {
	res := &Result{}
	var fs []*model.Finding
	var fvars []Finding
	for i := range rep.Findings {
		f := &rep.Findings[i]
		if Counts(f) {
			fs = append(fs, f)
			fvars = append(fvars, findingVar(f, opt.NewFinding != nil && opt.NewFinding(f)))
		}
	}
	var vs []*model.Vulnerability
	var vvars []Vulnerability
	exp := exposures(rep)
	for i := range rep.Vulnerabilities {
		v := &rep.Vulnerabilities[i]
		if CountsVuln(v) {
			vs = append(vs, v)
			vvars = append(vvars, vulnVar(v, opt.NewVuln != nil && opt.NewVuln(v), exp[v.Component]))
		}
	}
	if opt.FailOn != "" {
		var fl, vl tally
		for _, f := range fs {
			if f.Severity.Rank() >= opt.FailOn.Rank() {
				fl.add(f.RuleID)
			}
		}
		for _, v := range vs {
			if v.Severity.Rank() >= opt.FailOn.Rank() {
				vl.add(v.ID)
			}
		}
		g := model.Gate{Name: "fail-on " + string(opt.FailOn), Description: fmt.Sprintf("no finding or vulnerability at %s severity or above", opt.FailOn)}
		g.Failure = join(fl.say("finding", "≥ "+string(opt.FailOn)), vl.say("vulnerability", "≥ "+string(opt.FailOn)))
		res.Gates = append(res.Gates, g)
	}
	if opt.FailOnKEV {
		var kl tally
		for _, v := range vs {
			if v.KEV != nil {
				kl.add(v.ID)
			}
		}
		g := model.Gate{Name: "fail-on-kev", Description: "no vulnerability in CISA's Known Exploited Vulnerabilities catalog"}
		g.Failure = kl.say("KEV vulnerability", "")
		res.Gates = append(res.Gates, g)
	}
	if p != nil {
		for _, r := range p.Rules {
			var fl, vl tally
			for i, f := range fvars {
				ok, err := r.matchFinding(f)
				if err != nil {
					return nil, err
				}
				if ok {
					fl.add(fs[i].RuleID)
				}
			}
			for i, v := range vvars {
				ok, err := r.matchVuln(v)
				if err != nil {
					return nil, err
				}
				if ok {
					vl.add(vs[i].ID)
				}
			}
			g := model.Gate{Name: r.Name, Description: r.describe()}
			if msg := join(fl.say("finding", ""), vl.say("vulnerability", "")); msg != "" {
				g.Failure = "policy " + r.Name + ": " + msg
			}
			res.Gates = append(res.Gates, g)
		}
	}
	if len(opt.Expired) > 0 {
		g := model.Gate{Name: "suppressions", Description: "no accepted risk past its expiry"}
		g.Failure = "expired suppression: " + strings.Join(opt.Expired, ", ")
		res.Gates = append(res.Gates, g)
	}
	return res, nil
}

func (r *Rule) describe() string {
	d := r.Description
	if d == "" {
		d = r.When
	}
	return d
}

// tally counts items by id, in the order first seen.
type tally struct {
	ids []string
	n   map[string]int
	all int
}

func (t *tally) add(id string) {
	if t.n == nil {
		t.n = map[string]int{}
	}
	if t.n[id] == 0 {
		t.ids = append(t.ids, id)
	}
	t.n[id]++
	t.all++
}

// say is "3 findings ≥ high (TS-CRED-001 ×2, TS-KEY-003)", or "" for none.
func (t *tally) say(noun, qual string) string {
	if t.all == 0 {
		return ""
	}
	if t.all != 1 {
		noun = plural(noun)
	}
	var ids []string
	for i, id := range t.ids {
		if i == 5 {
			ids = append(ids, fmt.Sprintf("%d more", len(t.ids)-5))
			break
		}
		if t.n[id] > 1 {
			id = fmt.Sprintf("%s ×%d", id, t.n[id])
		}
		ids = append(ids, id)
	}
	s := fmt.Sprintf("%d %s", t.all, noun)
	if qual != "" {
		s += " " + qual
	}
	return s + " (" + strings.Join(ids, ", ") + ")"
}

func plural(noun string) string {
	if w, ok := strings.CutSuffix(noun, "y"); ok {
		return w + "ies"
	}
	return noun + "s"
}

func join(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ", ")
}
