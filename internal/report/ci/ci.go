// Package ci holds what the encoders for CI systems (SARIF, GitLab, JUnit)
// decide alike: where a finding is, in terms a code-hosting system can
// show; which catalog rule a finding belongs to; which findings are
// secrets; and the unpacking steps that lead to a file of a firmware
// image.
//
// Locations. A CI system shows results against the files of the
// repository it ran on. A file of a directory target is such a file: its
// path relative to the target. A file inside a firmware image is not: the
// image is the file the repository (or the build) has, and the in-image
// path is only meaningful after unpacking. So the artifact of a layered
// location is the image itself, and the in-image path, with the chain of
// layers that leads to it, travels in the text and in fields made for it
// (SARIF logical locations and code flows, GitLab's "image!/path" file
// names).
package ci

import (
	"fmt"
	"strings"

	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/model"
)

// GitLayer is the layer of findings in a repository's history (secrets
// --git): their path is a repository path, their chain "git:<commit>".
const GitLayer = "git"

// Nested says whether loc is inside an unpacked layer of a file target,
// i.e. not a file of the repository itself.
func Nested(t model.Target, loc model.Location) bool {
	if loc.Layer == GitLayer {
		return false
	}
	return !(t.Kind == "directory" && (loc.Layer == "L0" || loc.Layer == ""))
}

// Commit is the commit a finding of a repository's history was added in.
func Commit(loc model.Location) (string, bool) {
	sha, ok := strings.CutPrefix(loc.Chain, "git:")
	return sha, ok && loc.Layer == GitLayer && sha != ""
}

// Artifact is the repository-relative file loc belongs to: the path of a
// file of a directory target, the target itself otherwise.
func Artifact(t model.Target, loc model.Location) string {
	if !Nested(t, loc) {
		return strings.TrimPrefix(loc.Path, "/")
	}
	return t.Name
}

// File names loc as one string that is unique per in-image path, for
// systems that have only a file name: the repository-relative path of a
// file of a directory target; "image!/in/image/path" for a file of a
// firmware image (the notation of a path inside an archive); the image
// name for a location of the image itself.
func File(t model.Target, loc model.Location) string {
	if !Nested(t, loc) {
		return strings.TrimPrefix(loc.Path, "/")
	}
	if loc.Layer == "L0" || loc.Path == "" || loc.Path == "/"+t.Name {
		return t.Name
	}
	return t.Name + "!" + loc.Path
}

// Display is the full layered location, "fw.bin > squashfs@0x0:/etc/shadow",
// with the line or the offset when known.
func Display(loc model.Location) string {
	s := loc.Path
	if loc.Chain != "" && loc.Layer != "L0" && loc.Layer != "" {
		s = loc.Chain + ":" + loc.Path
	}
	switch {
	case loc.Line > 0:
		s += fmt.Sprintf(" line %d", loc.Line)
	case loc.Offset > 0:
		s += fmt.Sprintf(" at offset %#x", loc.Offset)
	}
	return s
}

// Step is one layer on the way from the target to a location: the
// layer's format, the file of the parent layer it was found in and the
// offset there.
type Step struct {
	Layer  string
	Format string
	Source string // path in the parent layer; empty for the target
	Offset int64
	Chain  string
}

// Steps lists the layers from the target down to loc's layer, outermost
// first; nil when the layer is not in the report's layer tree.
func Steps(layers []model.Layer, loc model.Location) []Step {
	byID := make(map[string]*model.Layer, len(layers))
	for i := range layers {
		byID[layers[i].ID] = &layers[i]
	}
	var out []Step
	for id := loc.Layer; id != ""; {
		l, ok := byID[id]
		if !ok || len(out) > len(layers) {
			return nil
		}
		out = append(out, Step{Layer: l.ID, Format: l.Format, Source: l.Source, Offset: l.Offset, Chain: l.Chain})
		id = l.Parent
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// secretCategories are the categories of findings that are secrets in
// the sense of secret-detection reports: tokens, passwords and private
// keys that must be revoked, not only fixed.
var secretCategories = map[string]bool{"secret-token": true, "credential": true, "private-key": true}

// IsSecret says whether f is a secret, credential or private key.
func IsSecret(f *model.Finding) bool { return secretCategories[f.Category] }

// Rules finds the catalog entry of a finding's rule: among the rules the
// command ran, then in the embedded catalog; a rule of a user pack that
// neither has is made from the finding itself.
type Rules struct {
	byID map[string]*catalog.Rule
	cat  *catalog.Catalog
}

// NewRules indexes rs (may be nil).
func NewRules(rs []*catalog.Rule) *Rules {
	r := &Rules{byID: map[string]*catalog.Rule{}}
	for _, x := range rs {
		r.byID[x.ID] = x
	}
	r.cat, _ = catalog.Default()
	return r
}

// For returns the rule of f.
func (r *Rules) For(f *model.Finding) *catalog.Rule {
	if x, ok := r.byID[f.RuleID]; ok {
		return x
	}
	if r.cat != nil {
		if x, ok := r.cat.Lookup(f.RuleID); ok {
			return x
		}
	}
	x := &catalog.Rule{ID: f.RuleID, Title: f.Title, Summary: f.Title, Help: f.Description, Remediation: f.Remediation,
		Severity: f.Severity, Category: f.Category, CWE: f.CWE, Standards: f.Standards, Family: "user"}
	if x.Title == "" {
		x.Title, x.Summary = f.RuleID, f.RuleID
	}
	if x.Help == "" {
		x.Help = x.Title
	}
	r.byID[f.RuleID] = x
	return x
}

// CVSS returns the highest score of v, preferring the newest CVSS
// version; ok is false when v has none.
func CVSS(v *model.Vulnerability) (best model.CVSS, ok bool) {
	for _, c := range v.CVSS {
		if !ok || c.Version > best.Version || (c.Version == best.Version && c.Score > best.Score) {
			best, ok = c, true
		}
	}
	return best, ok
}

// SeverityScore is a CVSS-like number for a severity, in the middle of
// the CVSS v3 band of that name (info is 0).
func SeverityScore(s model.Severity) float64 {
	switch s {
	case model.Critical:
		return 9.5
	case model.High:
		return 8.0
	case model.Medium:
		return 5.5
	case model.Low:
		return 2.0
	}
	return 0
}

// Component returns the component called ref, or nil.
func Component(rep *model.Report, ref string) *model.Component {
	for i := range rep.Components {
		if rep.Components[i].Ref == ref {
			return &rep.Components[i]
		}
	}
	return nil
}

// VulnFingerprint is the stable identity of a vulnerability result: the
// vulnerability, the component and its first location's path.
func VulnFingerprint(v *model.Vulnerability, c *model.Component) string {
	path := ""
	if c != nil && len(c.Locations) > 0 {
		path = c.Locations[0].Path
	}
	return model.Fingerprint(v.ID, path, v.Component)
}

// FirstSentence is the text up to its first full stop followed by a
// space (a short title from an advisory's description), or all of it.
func FirstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i+1]
	}
	return s
}
