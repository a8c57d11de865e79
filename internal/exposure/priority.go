package exposure

import (
	"fmt"
	"strings"

	"github.com/thingsec/thingsec/internal/model"
)

// EPSSThreshold is the FIRST EPSS probability from which exploitation is
// taken as likely: one in ten within 30 days.
const EPSSThreshold = 0.10

// levels are the priority levels, lowest first.
var levels = []model.Severity{model.Info, model.Low, model.Medium, model.High, model.Critical}

func idx(s model.Severity) int {
	for i, l := range levels {
		if l == s {
			return i
		}
	}
	return 1 // unknown: as low
}

func raise(s, ceiling model.Severity) model.Severity {
	i := idx(s)
	if i+1 <= idx(ceiling) && i+1 < len(levels) {
		return levels[i+1]
	}
	return s
}

// Prioritize sets Vulnerability.Priority and Finding.Priority from the
// components' exposure (Components sets it), CISA KEV and EPSS. The rules,
// applied in this order (README "Priority"):
//
//  1. Start from the CVSS severity; an advisory no source scores starts
//     at low.
//  2. Reachable (component exposure network): one level up, to at most
//     critical, unless every CVSS vector of the advisory needs local or
//     physical access (AV:L, AV:P).
//  3. Not known to be reachable (no exposure information, or unknown):
//     EPSS at or above EPSSThreshold raises one level, to at most high.
//  4. CISA KEV: critical when reachable, at least high otherwise.
//
// Exposure only raises. A component used only by local services keeps
// its CVSS severity: the service graph comes from reading init files and
// can miss a start path, and missing evidence must not hide a rated
// vulnerability.
//
// A finding in a program or library of a reachable component (a
// hardening gap of a network daemon, a key inside it) is raised one
// level, to at most critical; other findings get no priority.
func Prioritize(rep *model.Report) {
	byRef := map[string]*model.Component{}
	for i := range rep.Components {
		byRef[rep.Components[i].Ref] = &rep.Components[i]
	}
	for i := range rep.Vulnerabilities {
		v := &rep.Vulnerabilities[i]
		var e *model.Exposure
		if c := byRef[v.Component]; c != nil {
			e = c.Exposure
		}
		v.Priority = vulnPriority(v, e)
	}
	prioritizeFindings(rep)
}

func vulnPriority(v *model.Vulnerability, e *model.Exposure) *model.Priority {
	if e == nil && v.KEV == nil && v.EPSS == nil {
		return nil
	}
	p := &model.Priority{}
	level := v.Severity
	if idx(level) < 1 || level == model.Unknown {
		level = model.Low
		p.Reasons = append(p.Reasons, "no CVSS score: starts at low")
	} else {
		p.Reasons = append(p.Reasons, "CVSS severity "+string(level))
	}
	reachable := e != nil && e.Level == Network
	epssHigh := v.EPSS != nil && v.EPSS.Score >= EPSSThreshold
	switch {
	case reachable && localVector(v):
		p.Reasons = append(p.Reasons, "reachable: "+e.Reason+"; not raised: the attack vector needs local access")
	case reachable:
		level = raise(level, model.Critical)
		p.Reasons = append(p.Reasons, "reachable: "+e.Reason)
	case e != nil && e.Level == Local:
		p.Reasons = append(p.Reasons, "not reachable from the network: "+e.Reason)
	case e != nil:
		p.Reasons = append(p.Reasons, "exposure unknown: "+e.Reason)
	}
	if v.EPSS != nil {
		why := fmt.Sprintf("EPSS %.1f%%", 100*v.EPSS.Score)
		if epssHigh {
			why += fmt.Sprintf(" (at least %.0f%%)", 100*EPSSThreshold)
			if !reachable {
				level = raise(level, model.High)
			}
		}
		p.Reasons = append(p.Reasons, why)
	}
	if v.KEV != nil {
		if reachable {
			level = model.Critical
			p.Reasons = append(p.Reasons, "in CISA KEV (exploited in the wild) and reachable: critical")
		} else {
			if idx(level) < idx(model.High) {
				level = model.High
			}
			p.Reasons = append(p.Reasons, "in CISA KEV (exploited in the wild): at least high")
		}
	}
	p.Level = level
	return p
}

// localVector reports whether every CVSS vector of v needs local or
// physical access; false when there is no vector.
func localVector(v *model.Vulnerability) bool {
	n := 0
	for _, c := range v.CVSS {
		av := attackVector(c.Vector)
		if av == "" {
			continue
		}
		if av != "L" && av != "P" {
			return false
		}
		n++
	}
	return n > 0
}

// attackVector is the AV metric of a CVSS vector: N, A, L or P ("" when
// absent). CVSS v2 spells it AV:N, AV:A, AV:L too.
func attackVector(vec string) string {
	for _, m := range strings.Split(vec, "/") {
		if v, ok := strings.CutPrefix(m, "AV:"); ok {
			return v
		}
	}
	return ""
}

// prioritizeFindings raises the findings in a program or library of a
// reachable component.
func prioritizeFindings(rep *model.Report) {
	types := map[string]string{}
	for _, f := range rep.Files {
		types[f.Layer+":"+f.Path] = f.Type
	}
	type reach struct {
		name string
		e    *model.Exposure
	}
	at := map[string]reach{}
	for i := range rep.Components {
		c := &rep.Components[i]
		if c.Exposure == nil || c.Exposure.Level != Network {
			continue
		}
		for _, l := range c.Locations {
			k := l.Layer + ":" + l.Path
			if t := types[k]; t != "elf" && t != "script" {
				continue // package metadata, configuration and data are not run
			}
			if _, ok := at[k]; !ok {
				at[k] = reach{strings.TrimSpace(c.Name + " " + c.Version), c.Exposure}
			}
		}
	}
	for i := range rep.Findings {
		f := &rep.Findings[i]
		f.Priority = nil
		r, ok := at[f.Location.Layer+":"+f.Location.Path]
		if !ok || f.Severity == model.Info {
			continue
		}
		f.Priority = &model.Priority{
			Level:   raise(f.Severity, model.Critical),
			Reasons: []string{"severity " + string(f.Severity), "in " + r.name + ", reachable: " + r.e.Reason},
		}
	}
}
