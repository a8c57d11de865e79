// Package openvex writes a report's vulnerabilities as an OpenVEX 0.2.0
// document: one statement per vulnerability and affected component, with
// the status a VEX document or a suppression gave it (Vulnerability.
// Analysis), or "affected" for a match nothing speaks about.
package openvex

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/thingsec/thingsec/internal/model"
)

// Context is the JSON-LD context of OpenVEX 0.2.0.
const Context = "https://openvex.dev/ns/v0.2.0"

// DefaultAuthor is the author of documents when Options.Author is empty.
const DefaultAuthor = "thingsec"

// namespace makes document IDs deterministic: the same report always gives
// the same urn:uuid.
var namespace = uuid.MustParse("0d3e3f0c-8f0e-4d0e-a4c4-5a7e1f6b2c90")

// Options are what a caller may set about the document.
type Options struct {
	Author string    // default DefaultAuthor
	Role   string    // the author's role, omitted when empty
	ID     string    // the document's IRI; default a urn:uuid derived from the report
	Now    time.Time // the document's timestamp; default the report's start time, else now
}

// Document is an OpenVEX document.
type Document struct {
	Context    string      `json:"@context"`
	ID         string      `json:"@id"`
	Author     string      `json:"author"`
	Role       string      `json:"role,omitempty"`
	Timestamp  string      `json:"timestamp"`
	Version    int         `json:"version"`
	Tooling    string      `json:"tooling,omitempty"`
	Statements []Statement `json:"statements"`
}

// Statement says what one vulnerability means for some products.
type Statement struct {
	Vulnerability   Vulnerability `json:"vulnerability"`
	Products        []Product     `json:"products,omitempty"`
	Status          string        `json:"status"`
	StatusNotes     string        `json:"status_notes,omitempty"`
	Justification   string        `json:"justification,omitempty"`
	ImpactStatement string        `json:"impact_statement,omitempty"`
	ActionStatement string        `json:"action_statement,omitempty"`
}

// Vulnerability names the vulnerability of a statement.
type Vulnerability struct {
	ID          string   `json:"@id,omitempty"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Aliases     []string `json:"aliases,omitempty"`
}

// Product is software a statement is about.
type Product struct {
	ID          string            `json:"@id,omitempty"`
	Identifiers map[string]string `json:"identifiers,omitempty"`
}

// The OpenVEX statuses.
const (
	NotAffected        = "not_affected"
	Affected           = "affected"
	Fixed              = "fixed"
	UnderInvestigation = "under_investigation"
)

// Justifications are OpenVEX's justification labels.
var Justifications = []string{
	"component_not_present",
	"vulnerable_code_not_present",
	"vulnerable_code_not_in_execute_path",
	"vulnerable_code_cannot_be_controlled_by_adversary",
	"inline_mitigations_already_exist",
}

// Encode writes rep's vulnerabilities as OpenVEX with default options.
func Encode(w io.Writer, rep *model.Report) error {
	return EncodeWith(w, rep, Options{})
}

// EncodeWith writes rep's vulnerabilities as OpenVEX.
func EncodeWith(w io.Writer, rep *model.Report, o Options) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(Build(rep, o)); err != nil {
		return fmt.Errorf("openvex: %w", err)
	}
	return nil
}

// Build converts a report. A report without vulnerabilities gives a
// document with an empty statement list: it says nothing, which is what
// the scan found.
func Build(rep *model.Report, o Options) *Document {
	ts := o.Now
	if ts.IsZero() {
		ts = rep.StartedAt
	}
	if ts.IsZero() {
		ts = time.Now()
	}
	d := &Document{
		Context:    Context,
		ID:         o.ID,
		Author:     o.Author,
		Role:       o.Role,
		Timestamp:  ts.UTC().Format(time.RFC3339),
		Version:    1,
		Statements: []Statement{},
	}
	if d.Author == "" {
		d.Author = DefaultAuthor
	}
	if d.ID == "" {
		key := rep.Target.Name + "\x00" + rep.Target.SHA256 + "\x00" + d.Timestamp
		d.ID = "urn:uuid:" + uuid.NewSHA1(namespace, []byte(key)).String()
	}
	if rep.Tool.Name != "" {
		d.Tooling = strings.TrimSpace(rep.Tool.Name + " " + rep.Tool.Version)
	}
	comps := make(map[string]*model.Component, len(rep.Components))
	for i := range rep.Components {
		comps[rep.Components[i].Ref] = &rep.Components[i]
	}
	seen := make(map[string]bool)
	for _, v := range rep.Vulnerabilities {
		s := statement(v, comps[v.Component])
		// statements are unique in a document: a hand-made report may
		// list the same match twice
		b, _ := json.Marshal(s)
		if seen[string(b)] {
			continue
		}
		seen[string(b)] = true
		d.Statements = append(d.Statements, s)
	}
	return d
}

func statement(v model.Vulnerability, c *model.Component) Statement {
	s := Statement{
		Vulnerability: Vulnerability{Name: v.ID, Description: v.Summary, Aliases: aliases(v)},
		Status:        Affected,
	}
	if iri(v.URL) {
		s.Vulnerability.ID = v.URL
	}
	if p, ok := product(v, c); ok {
		s.Products = []Product{p}
	}
	a := v.Analysis
	if a == nil {
		a = &model.Analysis{}
	}
	s.Status, s.Justification = Status(a.State, a.Justification)
	var notes []string
	if a.Source != "" {
		notes = append(notes, "Status from "+a.Source+".")
	}
	switch s.Status {
	case Affected:
		s.ActionStatement = a.Detail
		if s.ActionStatement == "" {
			s.ActionStatement = action(v)
		}
	case NotAffected:
		s.ImpactStatement = a.Detail
		if s.Justification == "" && a.Justification != "" && a.Detail != "" {
			notes = append(notes, "Justification: "+a.Justification+".")
		}
		if s.Justification == "" && s.ImpactStatement == "" {
			// OpenVEX requires one of the two
			s.ImpactStatement = "Declared not affected"
			if a.State == "false_positive" {
				s.ImpactStatement = "Declared a false positive"
			}
			if a.Justification != "" {
				s.ImpactStatement += ": " + a.Justification
			}
			if a.Source != "" {
				s.ImpactStatement += " (" + a.Source + ")"
			}
			s.ImpactStatement += "."
		}
	default:
		if a.Detail != "" {
			notes = append(notes, a.Detail)
		}
	}
	s.StatusNotes = strings.Join(notes, " ")
	return s
}

// action is the default action statement of an affected component.
func action(v model.Vulnerability) string {
	name := v.ComponentName
	if name == "" {
		name = v.Component
	}
	if name == "" {
		name = "the component"
	}
	if len(v.Fixed) > 0 {
		return fmt.Sprintf("Update %s to %s or later.", name, v.Fixed[0])
	}
	return fmt.Sprintf("No fixed version of %s is known: remove it, or limit what can reach it.", name)
}

// product identifies the matched component by its package URL, with its
// CPE where it has one; a component without either is named by its
// report ref.
func product(v model.Vulnerability, c *model.Component) (Product, bool) {
	var p Product
	ids := map[string]string{}
	if c != nil {
		if c.PURL != "" && iri(c.PURL) {
			ids["purl"] = c.PURL
			p.ID = c.PURL
		}
		if len(c.CPEs) > 0 {
			ids["cpe23"] = c.CPEs[0]
		}
	} else if strings.HasPrefix(v.Component, "pkg:") && iri(v.Component) {
		ids["purl"] = v.Component
		p.ID = v.Component
	}
	if len(ids) > 0 {
		p.Identifiers = ids
	}
	if p.ID == "" && iri(v.Component) {
		p.ID = v.Component
	}
	return p, p.ID != "" || len(ids) > 0
}

// iri says whether s can be an @id: an absolute IRI (a URL, a purl, a
// urn:) without spaces or control characters.
func iri(s string) bool {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f || strings.ContainsRune("<>\"{}|\\^`", r) }) {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme != ""
}

// aliases are the advisory's other IDs, once each (OpenVEX wants them
// unique), without its own ID.
func aliases(v model.Vulnerability) []string {
	var out []string
	for _, a := range v.Aliases {
		if a != v.ID && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// Status maps an analysis state (OpenVEX's, or CycloneDX's own) and
// justification to OpenVEX's. No state, or one OpenVEX cannot say, is
// affected: the component matched the advisory. A justification that is
// no OpenVEX label maps from its CycloneDX counterpart, or is dropped.
func Status(state, justification string) (status, just string) {
	switch state {
	case NotAffected, "false_positive":
		status = NotAffected
	case Fixed, "resolved", "resolved_with_pedigree":
		status = Fixed
	case UnderInvestigation, "in_triage":
		status = UnderInvestigation
	default:
		status = Affected
	}
	if status != NotAffected {
		return status, ""
	}
	for _, j := range Justifications {
		if j == justification {
			return status, j
		}
	}
	switch justification {
	case "code_not_present":
		return status, "vulnerable_code_not_present"
	case "code_not_reachable":
		return status, "vulnerable_code_not_in_execute_path"
	case "requires_configuration", "requires_dependency", "requires_environment":
		return status, "vulnerable_code_cannot_be_controlled_by_adversary"
	case "protected_by_compiler", "protected_at_runtime", "protected_at_perimeter", "protected_by_mitigating_control":
		return status, "inline_mitigations_already_exist"
	}
	return status, ""
}
