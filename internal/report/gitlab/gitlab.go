// Package gitlab writes a report as GitLab security reports, the JSON
// artifacts (artifacts:reports:sast, secret_detection,
// dependency_scanning) GitLab shows in merge requests, pipelines and the
// vulnerability report:
//
//   - secret detection: findings that are secrets, credentials or private
//     keys (ci.IsSecret);
//   - SAST: every other finding (binary hardening, certificates, backdoor
//     keys, ...);
//   - dependency scanning: the known vulnerabilities of the components,
//     and every component in dependency_files (GitLab's dependency list).
//
// The schema version is the caller's (Options.SchemaVersion, default
// DefaultSchemaVersion); what is written is valid against the 15.0.x
// schemas. Scan times are in GitLab's format, UTC without a zone. A
// vulnerability's id is its thingsec fingerprint as a UUID, so GitLab
// tracks it across pipelines. Locations inside a firmware image are named
// "image!/in/image/path" (ci.File): GitLab identifies a vulnerability by
// its location, so each in-image file must have a name of its own.
package gitlab

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/lazyre"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/ci"
)

// DefaultSchemaVersion is the schema version reports declare by default:
// the one every GitLab release since 15.x ingests. GitLab validates a
// report against the schema of the version it declares and refuses
// versions it does not vendor: 15.1.x came with GitLab 17.0 and 15.2.x
// later still (GitLab 17.2 refuses 15.2.1), while 15.0.7 is accepted
// from GitLab 15 to today's releases, whose supported range starts at
// 15.0.0. It is also the version this package's schema files are.
const DefaultSchemaVersion = "15.0.7"

// DefaultCommit is the commit a secret is reported in when the caller
// knows none (GitLab's secret detection requires one).
const DefaultCommit = "0000000"

// Kind is one of GitLab's report types.
type Kind string

// The report types.
const (
	SAST               Kind = "sast"
	SecretDetection    Kind = "secret_detection"
	DependencyScanning Kind = "dependency_scanning"
)

// schemaFile is the file name of a report type's schema in GitLab's
// schema repository.
func (k Kind) schemaFile() string {
	return strings.ReplaceAll(string(k), "_", "-") + "-report-format.json"
}

// Options are the settings of a report.
type Options struct {
	// SchemaVersion is the report schema version, MAJOR.MINOR.PATCH
	// (default DefaultSchemaVersion).
	SchemaVersion string
	// Commit is the commit secrets are reported in (default DefaultCommit;
	// the CLI passes $CI_COMMIT_SHA).
	Commit string
	// Rules are the catalog entries the command ran (nil: the embedded
	// catalog).
	Rules []*catalog.Rule
}

var versionRe = lazyre.New(`^[0-9]+\.[0-9]+\.[0-9]+$`)

// CheckVersion says whether v is a schema version GitLab can read
// (MAJOR.MINOR.PATCH); the CLI checks --gitlab-schema-version with it
// before any work.
func CheckVersion(v string) error {
	if !versionRe.MatchString(v) {
		return fmt.Errorf("GitLab schema version %q is not MAJOR.MINOR.PATCH (e.g. %s)", v, DefaultSchemaVersion)
	}
	return nil
}

// Report is a GitLab security report.
type Report struct {
	Version         string            `json:"version"`
	Schema          string            `json:"schema"`
	Scan            Scan              `json:"scan"`
	Vulnerabilities []Vulnerability   `json:"vulnerabilities"`
	DependencyFiles *[]DependencyFile `json:"dependency_files,omitempty"` // dependency scanning only
}

// Scan says what ran and when.
type Scan struct {
	Analyzer  Tool      `json:"analyzer"`
	Scanner   Tool      `json:"scanner"`
	Type      Kind      `json:"type"`
	StartTime string    `json:"start_time"`
	EndTime   string    `json:"end_time"`
	Status    string    `json:"status"`
	Messages  []Message `json:"messages,omitempty"`
}

// Tool is the analyzer or the scanner.
type Tool struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	URL     string `json:"url,omitempty"`
	Version string `json:"version"`
	Vendor  Vendor `json:"vendor"`
}

// Vendor names who makes a tool.
type Vendor struct {
	Name string `json:"name"`
}

// Message is a note for whoever started the scan.
type Message struct {
	Level string `json:"level"` // info, warn, fatal
	Value string `json:"value"`
}

// Vulnerability is one finding or known vulnerability.
type Vulnerability struct {
	ID          string            `json:"id"`
	Name        string            `json:"name,omitempty"`
	Description string            `json:"description,omitempty"`
	Severity    string            `json:"severity"`
	Solution    string            `json:"solution,omitempty"`
	Identifiers []Identifier      `json:"identifiers"`
	CVSSVectors []CVSSVector      `json:"cvss_vectors,omitempty"`
	Links       []Link            `json:"links,omitempty"`
	Details     map[string]Detail `json:"details,omitempty"`
	Location    Location          `json:"location"`
}

// Identifier names a vulnerability in some catalog; the first is primary.
type Identifier struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
	URL   string `json:"url,omitempty"`
}

// CVSSVector is a vendor's CVSS v2 or v3 vector.
type CVSSVector struct {
	Vendor string `json:"vendor"`
	Vector string `json:"vector"`
}

// Link is a reference.
type Link struct {
	Name string `json:"name,omitempty"`
	URL  string `json:"url"`
}

// Detail is one named field of a vulnerability's details (GitLab's
// "named-list" items): a text or a value.
type Detail struct {
	Name  string `json:"name"`
	Type  string `json:"type"` // text, value, url
	Value any    `json:"value,omitempty"`
	Href  string `json:"href,omitempty"`
}

// Location is where a vulnerability is; which fields apply depends on the
// report type.
type Location struct {
	File       string      `json:"file,omitempty"`
	StartLine  int         `json:"start_line,omitempty"`
	Commit     *Commit     `json:"commit,omitempty"`
	Dependency *Dependency `json:"dependency,omitempty"`
}

// Commit is the commit a secret was found in.
type Commit struct {
	SHA string `json:"sha"`
}

// Dependency is a component.
type Dependency struct {
	Package Package `json:"package"`
	Version string  `json:"version"`
}

// Package names a component.
type Package struct {
	Name string `json:"name"`
}

// DependencyFile lists the components found in one file.
type DependencyFile struct {
	Path           string       `json:"path"`
	PackageManager string       `json:"package_manager"`
	Dependencies   []Dependency `json:"dependencies"`
}

// Encode writes the report of type k for rep.
func Encode(w io.Writer, k Kind, rep *model.Report, opt Options) error {
	r, err := Build(k, rep, opt)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// Build makes the report of type k for rep.
func Build(k Kind, rep *model.Report, opt Options) (*Report, error) {
	if opt.SchemaVersion == "" {
		opt.SchemaVersion = DefaultSchemaVersion
	}
	if err := CheckVersion(opt.SchemaVersion); err != nil {
		return nil, err
	}
	if opt.Commit == "" {
		opt.Commit = DefaultCommit
	}
	tool := Tool{ID: "thingsec", Name: "thingsec", URL: "https://github.com/thingsec/thingsec", Version: cmp.Or(rep.Tool.Version, "unknown"), Vendor: Vendor{Name: "thingsec"}}
	start, end := Times(rep)
	r := &Report{
		Version: opt.SchemaVersion,
		Schema:  "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v" + opt.SchemaVersion + "/dist/" + k.schemaFile(),
		Scan: Scan{Analyzer: tool, Scanner: tool, Type: k, StartTime: start, EndTime: end, Status: "success",
			Messages: messages(rep)},
		Vulnerabilities: []Vulnerability{},
	}
	rules := ci.NewRules(opt.Rules)
	switch k {
	case SAST, SecretDetection:
		for i := range rep.Findings {
			f := &rep.Findings[i]
			if ci.IsSecret(f) != (k == SecretDetection) {
				continue
			}
			r.Vulnerabilities = append(r.Vulnerabilities, finding(rep, f, rules.For(f), k, opt.Commit))
		}
	case DependencyScanning:
		for i := range rep.Vulnerabilities {
			r.Vulnerabilities = append(r.Vulnerabilities, vuln(rep, &rep.Vulnerabilities[i]))
		}
		files := dependencyFiles(rep)
		r.DependencyFiles = &files
	default:
		return nil, fmt.Errorf("unknown GitLab report type %q", k)
	}
	return r, nil
}

// timeFormat is GitLab's scan time format: UTC, seconds, no zone.
const timeFormat = "2006-01-02T15:04:05"

// Times are the scan's start and end in GitLab's format: the report's
// start and the start plus the stage durations.
func Times(rep *model.Report) (start, end string) {
	t := rep.StartedAt.UTC()
	var d float64
	for _, s := range rep.Durations {
		d += s.Seconds
	}
	return t.Format(timeFormat), t.Add(time.Duration(d * float64(time.Second))).Format(timeFormat)
}

// messages are the report's problems and notes, which GitLab shows on
// the scan.
func messages(rep *model.Report) []Message {
	var ms []Message
	for _, n := range rep.Notes {
		ms = append(ms, Message{Level: "info", Value: n})
	}
	for _, p := range rep.Problems {
		where := p.Path
		if where == "" {
			where = p.Layer
		}
		ms = append(ms, Message{Level: "warn", Value: fmt.Sprintf("%s: %s (%s, %s)", where, p.Message, p.Stage, p.Kind)})
	}
	if n := len(rep.Skipped); n > 0 {
		ms = append(ms, Message{Level: "warn", Value: fmt.Sprintf("%d files or regions were not fully analysed (the thingsec report's skipped[] says which and why)", n)})
	}
	return ms
}

// Severity is GitLab's name of a severity.
func Severity(s model.Severity) string {
	switch s {
	case model.Critical:
		return "Critical"
	case model.High:
		return "High"
	case model.Medium:
		return "Medium"
	case model.Low:
		return "Low"
	case model.Info:
		return "Info"
	}
	return "Unknown"
}

// uuid formats a 32-hex-digit fingerprint as a UUID.
func uuid(fp string) string {
	if len(fp) != 32 {
		fp = model.Fingerprint("uuid", fp, "")
	}
	return fp[:8] + "-" + fp[8:12] + "-" + fp[12:16] + "-" + fp[16:20] + "-" + fp[20:]
}

func cweIdentifiers(cwes []string) []Identifier {
	var ids []Identifier
	for _, c := range cwes {
		if n, ok := strings.CutPrefix(c, "CWE-"); ok && n != "" && strings.Trim(n, "0123456789") == "" {
			ids = append(ids, Identifier{Type: "cwe", Name: c, Value: n, URL: "https://cwe.mitre.org/data/definitions/" + n + ".html"})
		}
	}
	return ids
}

func finding(rep *model.Report, f *model.Finding, r *catalog.Rule, k Kind, commit string) Vulnerability {
	desc := cmp.Or(f.Description, r.Help)
	if f.Evidence != "" {
		desc += "\n\n**Evidence:** `" + strings.ReplaceAll(f.Evidence, "`", "'") + "`"
	}
	desc += "\n\n**Location:** " + ci.Display(f.Location)
	v := Vulnerability{
		ID:          uuid(cmp.Or(f.Fingerprint, model.Fingerprint(f.RuleID, f.Location.Path, f.Evidence))),
		Name:        clip(cmp.Or(r.Title, f.Title), 255),
		Description: clip(desc, 1<<20),
		Severity:    Severity(f.Severity),
		Solution:    clip(cmp.Or(f.Remediation, r.Remediation), 7000),
		Identifiers: append([]Identifier{{Type: "thingsec_rule_id", Name: "thingsec " + cmp.Or(f.RuleID, "unknown"), Value: cmp.Or(f.RuleID, "unknown")}}, cweIdentifiers(first2(f.CWE, r.CWE))...),
		Details: map[string]Detail{
			"location": {Name: "Location", Type: "text", Value: ci.Display(f.Location)},
			"category": {Name: "Category", Type: "text", Value: f.Category},
		},
		Location: Location{File: ci.File(rep.Target, f.Location), StartLine: f.Location.Line},
	}
	if f.Fingerprint != "" {
		v.Details["fingerprint"] = Detail{Name: "thingsec fingerprint", Type: "text", Value: f.Fingerprint}
	}
	if f.Evidence != "" {
		v.Details["evidence"] = Detail{Name: "Evidence (redacted unless --show-secrets)", Type: "text", Value: f.Evidence}
	}
	if len(f.Standards) > 0 {
		v.Details["standards"] = Detail{Name: "Standards", Type: "text", Value: strings.Join(f.Standards, ", ")}
	}
	if k == SecretDetection {
		if sha, ok := ci.Commit(f.Location); ok {
			commit = sha // a secret of the history: the commit that added it
		}
		v.Location.Commit = &Commit{SHA: commit}
	}
	return v
}

func vuln(rep *model.Report, v *model.Vulnerability) Vulnerability {
	c := ci.Component(rep, v.Component)
	name, version, file := v.Component, "", rep.Target.Name
	if c != nil {
		name, version = c.Name, c.Version
		if len(c.Locations) > 0 {
			file = ci.File(rep.Target, c.Locations[0])
		}
	}
	ids := []Identifier{identifier(cmp.Or(v.ID, "unknown"))}
	for _, a := range v.Aliases {
		if a != "" {
			ids = append(ids, identifier(a))
		}
	}
	ids = append(ids, cweIdentifiers(v.CWE)...)
	out := Vulnerability{
		ID:          uuid(ci.VulnFingerprint(v, c)),
		Name:        clip(cmp.Or(ci.FirstSentence(v.Summary), v.ID), 255),
		Description: clip(cmp.Or(v.Summary, v.ID), 1<<20),
		Severity:    Severity(v.Severity),
		Identifiers: ids,
		Details: map[string]Detail{
			"component":  {Name: "Component", Type: "text", Value: v.Component},
			"matched_by": {Name: "Matched by", Type: "text", Value: v.MatchedBy.String()},
		},
		Location: Location{File: file, Dependency: &Dependency{Package: Package{Name: name}, Version: cmp.Or(version, "unknown")}},
	}
	if len(v.Fixed) > 0 {
		out.Solution = "Upgrade " + name + " to " + strings.Join(v.Fixed, " or ") + "."
	}
	for _, c := range v.CVSS {
		if vec, ok := gitlabVector(c); ok && len(out.CVSSVectors) < 10 {
			out.CVSSVectors = append(out.CVSSVectors, CVSSVector{Vendor: cvssVendor(c.Source), Vector: vec})
		}
		out.Details["cvss_"+c.Version] = Detail{Name: "CVSS " + c.Version, Type: "text", Value: fmt.Sprintf("%.1f %s", c.Score, c.Vector)}
	}
	if v.KEV != nil {
		kev := []string{"added " + v.KEV.DateAdded.Format(time.DateOnly)}
		if !v.KEV.DueDate.IsZero() {
			kev = append(kev, "due "+v.KEV.DueDate.Format(time.DateOnly))
		}
		if v.KEV.Ransomware != "" {
			kev = append(kev, "ransomware use: "+v.KEV.Ransomware)
		}
		out.Details["kev"] = Detail{Name: "CISA Known Exploited Vulnerability", Type: "text", Value: strings.Join(kev, ", ")}
	}
	if v.EPSS != nil {
		out.Details["epss"] = Detail{Name: "EPSS (probability of exploitation in 30 days)", Type: "value", Value: v.EPSS.Score}
		out.Details["epss_percentile"] = Detail{Name: "EPSS percentile", Type: "value", Value: v.EPSS.Percentile}
	}
	if len(v.Fixed) > 0 {
		out.Details["fixed"] = Detail{Name: "Fixed in", Type: "text", Value: strings.Join(v.Fixed, ", ")}
	}
	for _, ref := range v.References {
		if linkRe.MatchString(ref) {
			out.Links = append(out.Links, Link{URL: ref})
		}
	}
	return out
}

var linkRe = lazyre.New(`^(https?|ftp)://.+`)

// identifier names a vulnerability id by its kind (cve, ghsa, osv).
func identifier(id string) Identifier {
	esc := url.PathEscape(id)
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return Identifier{Type: "cve", Name: id, Value: id, URL: "https://nvd.nist.gov/vuln/detail/" + esc}
	case strings.HasPrefix(id, "GHSA-"):
		return Identifier{Type: "ghsa", Name: id, Value: id, URL: "https://github.com/advisories/" + esc}
	}
	return Identifier{Type: "osv", Name: id, Value: id, URL: "https://osv.dev/vulnerability/" + esc}
}

// CVSS vector syntax (the metrics and values of CVSS v2 and v3.x), as
// GitLab's schema checks it.
var (
	v2Metric = `(?:AV:[NAL]|AC:[LMH]|Au:[MSN]|[CIA]:[NPC]|E:(?:U|POC|F|H|ND)|RL:(?:OF|TF|W|U|ND)|RC:(?:UC|UR|C|ND)|CDP:(?:N|L|LM|MH|H|ND)|TD:(?:N|L|M|H|ND)|[CIA]R:(?:L|M|H|ND))`
	v3Metric = `(?:AV:[NALP]|AC:[LH]|PR:[NLH]|UI:[NR]|S:[UC]|[CIA]:[NLH]|E:[XUPFH]|RL:[XOTWU]|RC:[XURC]|[CIA]R:[XLMH]|MAV:[XNALP]|MAC:[XLH]|MPR:[XNLH]|MUI:[XNR]|MS:[XUC]|M[CIA]:[XNLH])`
	v2Re     = lazyre.New(`^(?:` + v2Metric + `/)*` + v2Metric + `$`)
	v3Re     = lazyre.New(`^CVSS:3[.][01]/(?:` + v3Metric + `/)*` + v3Metric + `$`)
)

// gitlabVector returns the vectors GitLab's schema accepts: well-formed
// CVSS v2 (without prefix) and v3.0/v3.1 vectors; v4 and malformed
// vectors stay in the details only.
func gitlabVector(c model.CVSS) (string, bool) {
	v := c.Vector
	switch {
	case len(v) > 128:
		return "", false
	case v3Re.MatchString(v):
		return v, len(v) >= 32
	case v2Re.MatchString(v):
		return v, len(v) >= 16
	}
	return "", false
}

func cvssVendor(source string) string {
	if source == "" || source == "nvd@nist.gov" {
		return "NVD"
	}
	return source
}

// dependencyFiles groups the components by the file they were first
// found in.
func dependencyFiles(rep *model.Report) []DependencyFile {
	byPath := map[string]*DependencyFile{}
	var order []string
	for _, c := range rep.Components {
		path := rep.Target.Name
		if len(c.Locations) > 0 {
			path = ci.File(rep.Target, c.Locations[0])
		}
		df, ok := byPath[path]
		if !ok {
			df = &DependencyFile{Path: path, PackageManager: packageManager(c.PURL), Dependencies: []Dependency{}}
			byPath[path] = df
			order = append(order, path)
		}
		df.Dependencies = append(df.Dependencies, Dependency{Package: Package{Name: c.Name}, Version: cmp.Or(c.Version, "unknown")})
	}
	sort.Strings(order)
	out := []DependencyFile{}
	for _, p := range order {
		out = append(out, *byPath[p])
	}
	return out
}

// packageManager is the purl type ("opkg", "deb", "golang"), or "generic".
func packageManager(purl string) string {
	t, ok := strings.CutPrefix(purl, "pkg:")
	if !ok {
		return "generic"
	}
	if i := strings.IndexByte(t, '/'); i > 0 {
		return t[:i]
	}
	return "generic"
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n-3]
	for len(s) > 0 && s[len(s)-1]&0xc0 == 0x80 {
		s = s[:len(s)-1]
	}
	if len(s) > 0 && s[len(s)-1] >= 0xc0 {
		s = s[:len(s)-1]
	}
	return s + "..."
}

func first2(ls ...[]string) []string {
	for _, l := range ls {
		if len(l) > 0 {
			return l
		}
	}
	return nil
}
