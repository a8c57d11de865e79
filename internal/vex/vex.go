// Package vex reads VEX documents (OpenVEX 0.2.0 and the vulnerabilities
// of a CycloneDX BOM, JSON) and records their statements on the
// vulnerabilities of a report as model.Analysis: a statement applies to a
// vulnerability when it names the vulnerability's id or an alias and a
// product (or subcomponent) whose package URL matches the component's,
// with or without version and qualifiers.
package vex

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/purlmatch"
)

// States of a statement, OpenVEX's; CycloneDX states are mapped to them.
const (
	NotAffected        = "not_affected"
	Affected           = "affected"
	Fixed              = "fixed"
	UnderInvestigation = "under_investigation"
)

// Statement is one VEX statement about vulnerabilities in products.
type Statement struct {
	IDs      []string // the vulnerability's id and aliases
	Products []string // package URLs (or other identifiers) it applies to
	model.Analysis
	Time time.Time // when it was made; the latest statement wins
}

// Doc is the statements of one document.
type Doc struct {
	Path       string
	Format     string // openvex or cyclonedx
	Statements []Statement
}

// Error is a VEX document that cannot be used.
type Error struct {
	Path string
	Msg  string
}

func (e *Error) Error() string { return e.Path + ": " + e.Msg }

// Load reads the VEX document at path.
func Load(path string) (*Doc, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{path, errors.Unwrap(err).Error()}
	}
	return Parse(path, b)
}

// Parse reads a VEX document, OpenVEX or CycloneDX, told apart by their
// own markers (@context, bomFormat).
func Parse(path string, data []byte) (*Doc, error) {
	var probe struct {
		Context   string `json:"@context"`
		BOMFormat string `json:"bomFormat"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, &Error{path, "not a JSON VEX document: " + err.Error()}
	}
	switch {
	case strings.HasPrefix(probe.Context, "https://openvex.dev/ns"):
		return parseOpenVEX(path, data)
	case probe.BOMFormat == "CycloneDX":
		return parseCycloneDX(path, data)
	}
	return nil, &Error{path, "neither OpenVEX (@context https://openvex.dev/ns/...) nor CycloneDX (bomFormat CycloneDX)"}
}

type openVEX struct {
	Context    string `json:"@context"`
	ID         string `json:"@id"`
	Author     string `json:"author"`
	Timestamp  string `json:"timestamp"`
	Statements []struct {
		Vulnerability struct {
			Name    string   `json:"name"`
			Aliases []string `json:"aliases"`
		} `json:"vulnerability"`
		Timestamp   string       `json:"timestamp"`
		LastUpdated string       `json:"last_updated"`
		Products    []ovxProduct `json:"products"`
		Status      string       `json:"status"`
		Just        string       `json:"justification"`
		Impact      string       `json:"impact_statement"`
		Action      string       `json:"action_statement"`
		Notes       string       `json:"status_notes"`
	} `json:"statements"`
}

type ovxProduct struct {
	ID          string `json:"@id"`
	Identifiers struct {
		PURL string `json:"purl"`
	} `json:"identifiers"`
	Subcomponents []ovxProduct `json:"subcomponents"`
}

func (p ovxProduct) ids() []string {
	var out []string
	for _, s := range []string{p.ID, p.Identifiers.PURL} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func parseOpenVEX(path string, data []byte) (*Doc, error) {
	var v openVEX
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, &Error{path, "OpenVEX: " + err.Error()}
	}
	if !strings.HasPrefix(v.Context, "https://openvex.dev/ns/v0.2.0") && v.Context != "https://openvex.dev/ns" {
		return nil, &Error{path, fmt.Sprintf("OpenVEX @context %q: only v0.2.0 is read", v.Context)}
	}
	docTime, err := parseTime(v.Timestamp)
	if err != nil {
		return nil, &Error{path, "OpenVEX timestamp: " + err.Error()}
	}
	d := &Doc{Path: path, Format: "openvex"}
	for i, s := range v.Statements {
		if s.Vulnerability.Name == "" {
			return nil, &Error{path, fmt.Sprintf("OpenVEX statement %d: no vulnerability name", i+1)}
		}
		st := Statement{IDs: append([]string{s.Vulnerability.Name}, s.Vulnerability.Aliases...), Time: docTime}
		for _, ts := range []string{s.Timestamp, s.LastUpdated} {
			t, err := parseTime(ts)
			if err != nil {
				return nil, &Error{path, fmt.Sprintf("OpenVEX statement %d: %v", i+1, err)}
			}
			if t.After(st.Time) {
				st.Time = t
			}
		}
		switch s.Status {
		case NotAffected, Affected, Fixed, UnderInvestigation:
		default:
			return nil, &Error{path, fmt.Sprintf("OpenVEX statement %d: status %q: want not_affected, affected, fixed or under_investigation", i+1, s.Status)}
		}
		if s.Status == NotAffected && s.Just == "" && s.Impact == "" {
			return nil, &Error{path, fmt.Sprintf("OpenVEX statement %d: not_affected needs a justification or an impact_statement", i+1)}
		}
		for _, p := range s.Products {
			st.Products = append(st.Products, p.ids()...)
			for _, sub := range p.Subcomponents {
				st.Products = append(st.Products, sub.ids()...)
			}
		}
		st.Analysis = model.Analysis{State: s.Status, Justification: s.Just, Detail: firstOf(s.Impact, s.Action, s.Notes), Source: path}
		d.Statements = append(d.Statements, st)
	}
	return d, nil
}

type cycloneDX struct {
	BOMFormat    string `json:"bomFormat"`
	SerialNumber string `json:"serialNumber"`
	Metadata     struct {
		Timestamp string `json:"timestamp"`
	} `json:"metadata"`
	Components      []cdxComponent `json:"components"`
	Vulnerabilities []struct {
		ID         string `json:"id"`
		References []struct {
			ID string `json:"id"`
		} `json:"references"`
		Updated  string `json:"updated"`
		Analysis struct {
			State         string   `json:"state"`
			Justification string   `json:"justification"`
			Response      []string `json:"response"`
			Detail        string   `json:"detail"`
			LastUpdated   string   `json:"lastUpdated"`
		} `json:"analysis"`
		Affects []struct {
			Ref string `json:"ref"`
		} `json:"affects"`
	} `json:"vulnerabilities"`
}

type cdxComponent struct {
	BOMRef     string         `json:"bom-ref"`
	PURL       string         `json:"purl"`
	Components []cdxComponent `json:"components"`
}

// cdxStates maps CycloneDX analysis states to OpenVEX statuses.
var cdxStates = map[string]string{
	"not_affected":           NotAffected,
	"false_positive":         NotAffected,
	"resolved":               Fixed,
	"resolved_with_pedigree": Fixed,
	"exploitable":            Affected,
	"in_triage":              UnderInvestigation,
}

func parseCycloneDX(path string, data []byte) (*Doc, error) {
	var b cycloneDX
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, &Error{path, "CycloneDX: " + err.Error()}
	}
	purls := map[string]string{}
	var walk func([]cdxComponent)
	walk = func(cs []cdxComponent) {
		for _, c := range cs {
			if c.BOMRef != "" && c.PURL != "" {
				purls[c.BOMRef] = c.PURL
			}
			walk(c.Components)
		}
	}
	walk(b.Components)
	docTime, err := parseTime(b.Metadata.Timestamp)
	if err != nil {
		return nil, &Error{path, "CycloneDX metadata.timestamp: " + err.Error()}
	}
	d := &Doc{Path: path, Format: "cyclonedx"}
	n := 0
	for i, v := range b.Vulnerabilities {
		if v.Analysis.State == "" {
			continue // a vulnerability without analysis says nothing about exploitability
		}
		state, ok := cdxStates[v.Analysis.State]
		if !ok {
			return nil, &Error{path, fmt.Sprintf("CycloneDX vulnerabilities[%d]: analysis.state %q is not a CycloneDX state", i, v.Analysis.State)}
		}
		if v.ID == "" {
			return nil, &Error{path, fmt.Sprintf("CycloneDX vulnerabilities[%d]: no id", i)}
		}
		st := Statement{IDs: []string{v.ID}, Time: docTime}
		for _, r := range v.References {
			st.IDs = append(st.IDs, r.ID)
		}
		for _, ts := range []string{v.Updated, v.Analysis.LastUpdated} {
			t, err := parseTime(ts)
			if err != nil {
				return nil, &Error{path, fmt.Sprintf("CycloneDX vulnerabilities[%d]: %v", i, err)}
			}
			if t.After(st.Time) {
				st.Time = t
			}
		}
		for _, a := range v.Affects {
			st.Products = append(st.Products, affected(a.Ref, purls))
		}
		detail := v.Analysis.Detail
		if len(v.Analysis.Response) > 0 {
			detail = firstOf(detail, "response: "+strings.Join(v.Analysis.Response, ", "))
		}
		st.Analysis = model.Analysis{State: state, Justification: v.Analysis.Justification, Detail: detail, Source: path}
		d.Statements = append(d.Statements, st)
		n++
	}
	if n == 0 {
		return nil, &Error{path, "CycloneDX: no vulnerability with an analysis (not a VEX document)"}
	}
	return d, nil
}

// affected resolves a CycloneDX affects ref: a bom-ref of the document's
// components, a BOM-Link (urn:cdx:serial/version#bom-ref) or a package
// URL.
func affected(ref string, purls map[string]string) string {
	if strings.HasPrefix(ref, "urn:cdx:") {
		if _, frag, ok := strings.Cut(ref, "#"); ok {
			if u, err := url.PathUnescape(frag); err == nil {
				ref = u
			} else {
				ref = frag
			}
		}
	}
	if p, ok := purls[ref]; ok {
		return p
	}
	return ref
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, fmt.Errorf("timestamp %q: want RFC 3339", s)
	}
	return t, nil
}

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// Apply records on each vulnerability of rep the latest statement of docs
// that names it and its component (later documents win a tie). It
// returns how many vulnerabilities got an analysis.
func Apply(rep *model.Report, docs []*Doc) int {
	var all []Statement
	for _, d := range docs {
		for _, s := range d.Statements {
			all = append(all, s)
		}
	}
	n := 0
	for i := range rep.Vulnerabilities {
		v := &rep.Vulnerabilities[i]
		var best *Statement
		for j := range all {
			s := &all[j]
			if !s.names(v) || !s.covers(v) {
				continue
			}
			if best == nil || !s.Time.Before(best.Time) {
				best = s
			}
		}
		if best != nil {
			a := best.Analysis
			v.Analysis = &a
			n++
		}
	}
	return n
}

func (s *Statement) names(v *model.Vulnerability) bool {
	for _, id := range s.IDs {
		if strings.EqualFold(id, v.ID) {
			return true
		}
		for _, a := range v.Aliases {
			if strings.EqualFold(id, a) {
				return true
			}
		}
	}
	return false
}

func (s *Statement) covers(v *model.Vulnerability) bool {
	for _, p := range s.Products {
		if p == v.Component || (strings.HasPrefix(p, "pkg:") && purlmatch.Match(p, v.Component)) {
			return true
		}
	}
	return false
}
