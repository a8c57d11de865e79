// Package sarif writes a report as SARIF 2.1.0, the format GitHub code
// scanning (and most code-review tools) import.
//
// One run; tool.driver lists the catalog entry of every rule that has a
// result (help as text and markdown, remediation, tags with the category,
// the family and the CWEs in GitHub's "external/cwe/cwe-N" form, and
// properties.security-severity, the CVSS-like number GitHub ranks alerts
// by). Each known vulnerability is a rule of its own (its id, e.g. a CVE),
// scored by its highest CVSS score. Results carry our finding fingerprint
// as partialFingerprints, so an alert keeps its identity across builds.
//
// Where GitHub shows a result: GitHub resolves a result's physical
// location against the repository, and requires a region with a start
// line. A finding in a directory target is at its relative path and line.
// A finding inside a firmware image is shown on the image file, the
// artifact the repository or the build has (uriBaseId %SRCROOT%, the
// image's name), at line 1, which only anchors the alert to the file (an
// image has no lines; GitHub shows "preview unavailable" for a binary):
// the in-image path and the chain of layers are in the message, in a
// logical location (kind "resource", fully qualified name
// "fw.bin > squashfs@0x0:/etc/shadow line 3"), and in a code flow whose
// steps are the unpacking steps from the image to the file, which GitHub
// shows as the alert's path. A line inside an unpacked file is not a line
// of the image, so it stays in those texts; an offset in the target's own
// bytes is a logical location too.
package sarif

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/ci"
)

// SchemaURI is the $schema every log names.
const SchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

// FingerprintKey is the partialFingerprints key of our fingerprints.
const FingerprintKey = "thingsec/v1"

// maxRelated is the number of related locations GitHub keeps per result;
// a component found in more places lists the first ones.
const maxRelated = 100

// InformationURI is the tool's home.
const InformationURI = "https://github.com/thingsec/thingsec"

// Encode writes rep as a SARIF log, compact: a log is read by tools, and
// code flows make it large (indentation would double a log of thousands
// of results). rules are the catalog entries the command ran (nil: the
// embedded catalog).
func Encode(w io.Writer, rep *model.Report, rules []*catalog.Rule) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(Build(rep, rules))
}

// Build makes the SARIF log of rep.
func Build(rep *model.Report, rules []*catalog.Rule) *Log {
	return build(rep, rules, nil)
}

func build(rep *model.Report, rules []*catalog.Rule, st *states) *Log {
	b := &builder{rep: rep, rules: ci.NewRules(rules), index: map[string]int{}}
	run := Run{
		Tool: Tool{Driver: Driver{Name: "thingsec", Version: rep.Tool.Version, InformationURI: InformationURI}},
		OriginalURIBaseIDs: map[string]ArtifactLocation{
			"%SRCROOT%": {Description: &Message{Text: "The directory thingsec ran in; paths are relative to it."}},
		},
		Results: []Result{},
	}
	if v := strings.TrimPrefix(rep.Tool.Version, "v"); isSemver(v) {
		run.Tool.Driver.SemanticVersion = v
	}
	for i := range rep.Findings {
		res := b.finding(&rep.Findings[i])
		res.BaselineState = st.finding(&rep.Findings[i])
		run.Results = append(run.Results, res)
	}
	for i := range rep.Vulnerabilities {
		res := b.vuln(&rep.Vulnerabilities[i])
		res.BaselineState = st.vuln(rep, &rep.Vulnerabilities[i])
		run.Results = append(run.Results, res)
	}
	if st != nil && st.old != nil {
		run.Results = append(run.Results, b.absent(st)...)
	}
	run.Tool.Driver.Rules = b.descriptors
	if run.Tool.Driver.Rules == nil {
		run.Tool.Driver.Rules = []ReportingDescriptor{}
	}
	run.Invocations = []Invocation{b.invocation()}
	run.Properties = map[string]any{"target": rep.Target, "schema_version": rep.SchemaVersion}
	return &Log{Schema: SchemaURI, Version: "2.1.0", Runs: []Run{run}}
}

type builder struct {
	rep         *model.Report
	rules       *ci.Rules
	index       map[string]int // rule id -> index in descriptors
	descriptors []ReportingDescriptor
}

// Level maps a severity to a SARIF level: critical and high are errors,
// medium a warning, low and info notes.
func Level(s model.Severity) string {
	switch s {
	case model.Critical, model.High:
		return "error"
	case model.Medium:
		return "warning"
	}
	return "note"
}

func score(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// ruleIndex is the index of rule id in the driver's rules, described by
// describe the first time it is used.
func (b *builder) ruleIndex(id string, describe func() ReportingDescriptor) int {
	if i, ok := b.index[id]; ok {
		return i
	}
	b.index[id] = len(b.descriptors)
	b.descriptors = append(b.descriptors, describe())
	return b.index[id]
}

func cweTags(cwes []string) []string {
	var tags []string
	for _, c := range cwes {
		if n, ok := strings.CutPrefix(c, "CWE-"); ok {
			tags = append(tags, "external/cwe/cwe-"+n)
		}
	}
	return tags
}

func ruleDescriptor(r *catalog.Rule) ReportingDescriptor {
	tags := []string{"security", r.Category}
	if r.Family != "" && r.Family != r.Category {
		tags = append(tags, r.Family)
	}
	tags = append(tags, cweTags(r.CWE)...)
	tags = append(tags, r.Tags...)
	props := map[string]any{
		"tags":              dedupe(tags),
		"security-severity": score(ci.SeverityScore(r.Severity)),
		"precision":         "high",
		"problem.severity":  problemSeverity(r.Severity),
	}
	if len(r.CWE) > 0 {
		props["cwe"] = r.CWE
	}
	if len(r.Standards) > 0 {
		props["standards"] = r.Standards
	}
	md := strings.TrimSpace(r.Help)
	if r.Remediation != "" {
		md += "\n\n**Remediation:** " + strings.TrimSpace(r.Remediation)
	}
	if len(r.CWE) > 0 {
		md += "\n\n**CWE:** " + strings.Join(r.CWE, ", ")
	}
	if len(r.Standards) > 0 {
		md += "\n\n**Standards:** " + strings.Join(r.Standards, ", ")
	}
	text := strings.TrimSpace(r.Help)
	if r.Remediation != "" {
		text += "\n\nRemediation: " + strings.TrimSpace(r.Remediation)
	}
	return ReportingDescriptor{
		ID:                   r.ID,
		Name:                 camel(r.Title),
		ShortDescription:     &MultiformatMessage{Text: r.Title},
		FullDescription:      &MultiformatMessage{Text: cmp.Or(r.Summary, r.Title)},
		Help:                 &MultiformatMessage{Text: text, Markdown: md},
		DefaultConfiguration: &Configuration{Level: Level(r.Severity)},
		Properties:           props,
	}
}

// problemSeverity is the CodeQL-style severity GitHub shows for rules
// without security-severity.
func problemSeverity(s model.Severity) string {
	switch Level(s) {
	case "error":
		return "error"
	case "warning":
		return "warning"
	}
	return "recommendation"
}

func (b *builder) finding(f *model.Finding) Result {
	r := b.rules.For(f)
	idx := b.ruleIndex(r.ID, func() ReportingDescriptor { return ruleDescriptor(r) })
	msg := f.Title
	if f.Evidence != "" {
		msg += ": " + f.Evidence
	}
	res := Result{
		RuleID:    r.ID,
		RuleIndex: idx,
		Level:     Level(f.Severity),
		Message:   Message{Text: msg + " (" + ci.Display(f.Location) + ")"},
		Locations: []Location{b.location(f.Location, f.Title)},
		Properties: map[string]any{
			"severity": f.Severity,
			"category": f.Category,
		},
	}
	if f.Fingerprint != "" {
		res.PartialFingerprints = map[string]string{FingerprintKey: f.Fingerprint}
	}
	if f.Remediation != "" {
		res.Properties["remediation"] = f.Remediation
	}
	if f.Priority != nil {
		res.Properties["priority"] = f.Priority
	}
	if flow := b.codeFlow(f.Location); flow != nil {
		res.CodeFlows = []CodeFlow{*flow}
	}
	return res
}

func (b *builder) vuln(v *model.Vulnerability) Result {
	c := ci.Component(b.rep, v.Component)
	idx := b.ruleIndex(v.ID, func() ReportingDescriptor { return vulnDescriptor(v) })
	name, version := v.Component, ""
	if c != nil {
		name, version = c.Name, c.Version
	}
	msg := fmt.Sprintf("%s %s is affected by %s", name, version, v.ID)
	if v.Summary != "" {
		msg += ": " + v.Summary
	}
	if len(v.Fixed) > 0 {
		msg += " Fixed in " + strings.Join(v.Fixed, ", ") + "."
	}
	if v.KEV != nil {
		msg += " Known to be exploited (CISA KEV, added " + v.KEV.DateAdded.Format(time.DateOnly) + ")."
	}
	if v.Priority != nil {
		msg += " Priority " + string(v.Priority.Level) + ": " + strings.Join(v.Priority.Reasons, "; ") + "."
	}
	props := map[string]any{"severity": v.Severity, "component": v.Component, "matched_by": v.MatchedBy}
	if v.Priority != nil {
		props["priority"] = v.Priority
	}
	if len(v.CVSS) > 0 {
		props["cvss"] = v.CVSS
	}
	if v.KEV != nil {
		props["kev"] = v.KEV
	}
	if v.EPSS != nil {
		props["epss"] = v.EPSS
	}
	if len(v.Fixed) > 0 {
		props["fixed"] = v.Fixed
	}
	res := Result{
		RuleID:              v.ID,
		RuleIndex:           idx,
		Level:               Level(v.Severity),
		Message:             Message{Text: strings.TrimSpace(msg)},
		PartialFingerprints: map[string]string{FingerprintKey: ci.VulnFingerprint(v, c)},
		Properties:          props,
	}
	loc := model.Location{Layer: "L0", Path: "/" + b.rep.Target.Name}
	if c != nil && len(c.Locations) > 0 {
		loc = c.Locations[0]
		for _, l := range c.Locations[1:] {
			if len(res.RelatedLocations) == maxRelated {
				break
			}
			res.RelatedLocations = append(res.RelatedLocations, b.related(len(res.RelatedLocations)+1, l))
		}
	}
	res.Locations = []Location{b.location(loc, name)}
	if flow := b.codeFlow(loc); flow != nil {
		res.CodeFlows = []CodeFlow{*flow}
	}
	return res
}

func vulnDescriptor(v *model.Vulnerability) ReportingDescriptor {
	sev := ci.SeverityScore(v.Severity)
	best, ok := ci.CVSS(v)
	if ok {
		sev = best.Score
	}
	tags := append([]string{"security", "vulnerability"}, cweTags(v.CWE)...)
	if v.KEV != nil {
		tags = append(tags, "kev")
	}
	title := v.ID
	if v.Summary != "" {
		title = v.ID + ": " + ci.FirstSentence(v.Summary)
	}
	var md strings.Builder
	fmt.Fprintf(&md, "**%s**", v.ID)
	if len(v.Aliases) > 0 {
		fmt.Fprintf(&md, " (%s)", strings.Join(v.Aliases, ", "))
	}
	if v.Summary != "" {
		md.WriteString("\n\n" + v.Summary)
	}
	if len(v.CVSS) > 0 {
		md.WriteString("\n\n| CVSS | Score | Vector | Source |\n|---|---|---|---|\n")
		for _, c := range v.CVSS {
			fmt.Fprintf(&md, "| %s | %s | `%s` | %s |\n", c.Version, score(c.Score), c.Vector, c.Source)
		}
	}
	if v.KEV != nil {
		fmt.Fprintf(&md, "\n**Known exploited** (CISA KEV): added %s", v.KEV.DateAdded.Format(time.DateOnly))
		if !v.KEV.DueDate.IsZero() {
			fmt.Fprintf(&md, ", due %s", v.KEV.DueDate.Format(time.DateOnly))
		}
		if v.KEV.Ransomware != "" {
			fmt.Fprintf(&md, ", ransomware use: %s", v.KEV.Ransomware)
		}
		md.WriteString(".\n")
	}
	if v.EPSS != nil {
		fmt.Fprintf(&md, "\n**EPSS:** %.2f%% (percentile %.1f)\n", 100*v.EPSS.Score, 100*v.EPSS.Percentile)
	}
	if len(v.Fixed) > 0 {
		fmt.Fprintf(&md, "\n**Remediation:** upgrade to %s.\n", strings.Join(v.Fixed, " or "))
	}
	if len(v.References) > 0 {
		md.WriteString("\n**References:**\n\n")
		for _, r := range v.References {
			fmt.Fprintf(&md, "- %s\n", r)
		}
	}
	text := cmp.Or(v.Summary, v.ID)
	if len(v.Fixed) > 0 {
		text += "\n\nRemediation: upgrade to " + strings.Join(v.Fixed, " or ") + "."
	}
	d := ReportingDescriptor{
		ID:                   v.ID,
		Name:                 strings.NewReplacer("-", "", ".", "", "_", "").Replace(v.ID),
		ShortDescription:     &MultiformatMessage{Text: title},
		FullDescription:      &MultiformatMessage{Text: cmp.Or(v.Summary, v.ID)},
		Help:                 &MultiformatMessage{Text: text, Markdown: strings.TrimSpace(md.String())},
		HelpURI:              helpURI(v),
		DefaultConfiguration: &Configuration{Level: Level(v.Severity)},
		Properties: map[string]any{
			"tags":              dedupe(tags),
			"security-severity": score(sev),
			"precision":         "very-high",
		},
	}
	if len(v.CWE) > 0 {
		d.Properties["cwe"] = v.CWE
	}
	return d
}

// helpURI is the vulnerability's public record: NVD for a CVE, OSV for
// the other ids OSV assigns, else its first reference that is an
// absolute http(s) URL (database text is not trusted to be one).
func helpURI(v *model.Vulnerability) string {
	id := url.PathEscape(v.ID)
	switch {
	case strings.HasPrefix(v.ID, "CVE-"):
		return "https://nvd.nist.gov/vuln/detail/" + id
	case strings.HasPrefix(v.ID, "GHSA-"), strings.HasPrefix(v.ID, "GO-"), strings.HasPrefix(v.ID, "OSV-"), strings.HasPrefix(v.ID, "PYSEC-"):
		return "https://osv.dev/vulnerability/" + id
	}
	for _, r := range v.References {
		if u, err := url.Parse(r); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
			return r
		}
	}
	return ""
}

// location is where GitHub shows a result (see the package comment).
func (b *builder) location(loc model.Location, what string) Location {
	t := b.rep.Target
	// GitHub requires a non-empty relative URI
	uri := uriPath(cmp.Or(ci.Artifact(t, loc), t.Name, "."))
	l := Location{PhysicalLocation: &PhysicalLocation{ArtifactLocation: ArtifactLocation{URI: uri, URIBaseID: "%SRCROOT%"}}}
	nested := ci.Nested(t, loc)
	// GitHub requires region.startLine: a line of a repository file where
	// there is one, else line 1 of the artifact, which only anchors the
	// alert to the file (see the package comment)
	l.PhysicalLocation.Region = &Region{StartLine: 1}
	if (!nested || loc.Layer == "L0") && loc.Line > 0 {
		l.PhysicalLocation.Region.StartLine = loc.Line
	}
	switch {
	case nested && loc.Layer != "L0":
		name := loc.Path
		if loc.Line > 0 {
			name += ":" + strconv.Itoa(loc.Line)
		}
		l.LogicalLocations = []LogicalLocation{{Name: name, FullyQualifiedName: ci.Display(loc), Kind: "resource"}}
		l.Message = &Message{Text: what + " in " + ci.Display(loc)}
	case loc.Offset > 0 && loc.Line == 0:
		// a position in the target's bytes: no line to show, so the
		// offset is a logical location and in the message
		at := fmt.Sprintf("offset %#x", loc.Offset)
		l.LogicalLocations = []LogicalLocation{{Name: at, FullyQualifiedName: ci.Display(loc), Kind: "resource"}}
		l.Message = &Message{Text: what + " at " + at + " of " + ci.Artifact(t, loc)}
	}
	return l
}

func (b *builder) related(id int, loc model.Location) Location {
	l := b.location(loc, "also found")
	l.ID = id
	if l.Message == nil {
		l.Message = &Message{Text: "also found at " + ci.Display(loc)}
	}
	return l
}

// codeFlow lists the unpacking steps from the target to a nested
// location, then the location itself; nil for a location that needs no
// unpacking.
func (b *builder) codeFlow(loc model.Location) *CodeFlow {
	if !ci.Nested(b.rep.Target, loc) || loc.Layer == "L0" {
		return nil
	}
	steps := ci.Steps(b.rep.Layers, loc)
	if len(steps) < 2 {
		return nil
	}
	uri := uriPath(cmp.Or(b.rep.Target.Name, "."))
	var tfl []ThreadFlowLocation
	for i, s := range steps {
		var text string
		if i == 0 {
			text = fmt.Sprintf("%s: the scanned %s", s.Chain, cmp.Or(b.rep.Target.Kind, "file"))
		} else {
			text = fmt.Sprintf("%s found at offset %#x of %s in layer %s, unpacked as layer %s", s.Format, s.Offset, s.Source, steps[i-1].Layer, s.Layer)
		}
		tfl = append(tfl, ThreadFlowLocation{Location: Location{
			PhysicalLocation: &PhysicalLocation{ArtifactLocation: ArtifactLocation{URI: uri, URIBaseID: "%SRCROOT%"}},
			LogicalLocations: []LogicalLocation{{Name: s.Layer, FullyQualifiedName: s.Chain, Kind: "module"}},
			Message:          &Message{Text: text},
		}, NestingLevel: i})
	}
	last := b.location(loc, "the file")
	last.Message = &Message{Text: ci.Display(loc)}
	tfl = append(tfl, ThreadFlowLocation{Location: last, NestingLevel: len(steps)})
	return &CodeFlow{
		Message:     &Message{Text: "unpacking path from " + b.rep.Target.Name + " to " + loc.Path},
		ThreadFlows: []ThreadFlow{{Locations: tfl}},
	}
}

func (b *builder) invocation() Invocation {
	inv := Invocation{ExecutionSuccessful: true}
	if !b.rep.StartedAt.IsZero() {
		inv.StartTimeUTC = b.rep.StartedAt.UTC().Format(time.RFC3339)
		var d float64
		for _, s := range b.rep.Durations {
			d += s.Seconds
		}
		inv.EndTimeUTC = b.rep.StartedAt.Add(time.Duration(d * float64(time.Second))).UTC().Format(time.RFC3339)
	}
	for _, p := range b.rep.Problems {
		n := Notification{Level: "warning", Message: Message{Text: fmt.Sprintf("%s (%s, %s)", p.Message, p.Stage, p.Kind)},
			Descriptor: &ReportingDescriptorReference{ID: "problem/" + p.Kind}}
		if p.Path != "" {
			n.Locations = []Location{b.location(model.Location{Layer: p.Layer, Chain: chainOf(b.rep, p.Layer), Path: p.Path}, "problem")}
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}
	for _, s := range b.rep.Skipped {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, Notification{
			Level:      "note",
			Message:    Message{Text: fmt.Sprintf("%s did not fully analyse %s: %s", s.Analyzer, s.Path, s.Reason)},
			Descriptor: &ReportingDescriptorReference{ID: "skipped/" + s.Analyzer},
			Locations:  []Location{b.location(model.Location{Layer: s.Layer, Chain: chainOf(b.rep, s.Layer), Path: s.Path}, "skipped")},
		})
	}
	return inv
}

func chainOf(rep *model.Report, layer string) string {
	for _, l := range rep.Layers {
		if l.ID == layer {
			return l.Chain
		}
	}
	return ""
}

// uriPath escapes a path as a relative URI reference.
func uriPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = escapeSegment(s)
	}
	u := strings.Join(segs, "/")
	if i := strings.IndexByte(u, ':'); i >= 0 && !strings.Contains(u[:i], "/") {
		u = "./" + u // a colon in the first segment would read as a scheme
	}
	return u
}

func escapeSegment(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~!$&'()*+,;=:@", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func camel(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			if up {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			up = false
		case r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	return b.String()
}

func dedupe(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func isSemver(v string) bool {
	core, _, _ := strings.Cut(v, "-")
	core, _, _ = strings.Cut(core, "+")
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if _, err := strconv.ParseUint(p, 10, 64); err != nil || (len(p) > 1 && p[0] == '0') {
			return false
		}
	}
	return true
}
