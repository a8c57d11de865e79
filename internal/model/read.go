package model

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ReadReport reads a JSON report of the current major version, or of an
// earlier one, which it upgrades to the current model (see upgrade1). A
// report of a later minor version of the current major reads fine: fields
// this version does not know are ignored. A later major version is an
// error, since its fields may mean something else.
func ReadReport(r io.Reader) (*Report, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return DecodeReport(raw)
}

// DecodeReport is ReadReport of a report in memory.
func DecodeReport(raw []byte) (*Report, error) {
	var head struct {
		SchemaVersion *string `json:"schema_version"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("not a thingsec report: %w", err)
	}
	if head.SchemaVersion == nil {
		return nil, fmt.Errorf("not a thingsec report: no schema_version")
	}
	major, err := majorVersion(*head.SchemaVersion)
	if err != nil {
		return nil, err
	}
	current, _ := majorVersion(SchemaVersion)
	switch {
	case major == 1:
		return upgrade1(raw, *head.SchemaVersion)
	case major == current:
		var rep Report
		if err := json.Unmarshal(raw, &rep); err != nil {
			return nil, fmt.Errorf("report schema %s: %w", *head.SchemaVersion, err)
		}
		return &rep, nil
	}
	return nil, fmt.Errorf("report schema %s is not readable by this thingsec (it reads 1.x to %s)", *head.SchemaVersion, SchemaVersion)
}

func majorVersion(v string) (int, error) {
	m, _, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(m)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("report schema version %q is not MAJOR.MINOR.PATCH", v)
	}
	return n, nil
}

// v1Report is a 1.x report: what differs from the current model is in
// its vulnerabilities.
type v1Report struct {
	Report
	Vulnerabilities []v1Vulnerability `json:"vulnerabilities"`
}

type v1Vulnerability struct {
	Vulnerability
	Published string `json:"published"`
	MatchedBy string `json:"matched_by"`
	KEV       *struct {
		DateAdded  string `json:"date_added"`
		DueDate    string `json:"due_date"`
		Ransomware string `json:"ransomware"`
	} `json:"kev"`
	EPSS *struct {
		Score      float64 `json:"score"`
		Percentile float64 `json:"percentile"`
		Date       string  `json:"date"`
	} `json:"epss"`
}

// upgrade1 reads a 1.x report into the current model. Version 2 changed:
// matched_by from prose to a Match (parsed back from the prose 1.x
// wrote), severity info of a vulnerability to unknown (1.x gave unscored
// advisories info), dates (NVD's zone-less times, KEV and EPSS bare dates)
// to RFC 3339 UTC, and added fields that are derived here: $schema, each
// vulnerability's url, component_name and installed_version, the chain
// steps of layers and locations, and summary.vulnerabilities_by_severity.
// A note says that the report was upgraded.
func upgrade1(raw []byte, version string) (*Report, error) {
	var old v1Report
	if err := json.Unmarshal(raw, &old); err != nil {
		return nil, fmt.Errorf("report schema %s: %w", version, err)
	}
	rep := old.Report
	rep.Schema = SchemaID
	rep.SchemaVersion = SchemaVersion
	comps := map[string]*Component{}
	for i := range rep.Components {
		comps[rep.Components[i].Ref] = &rep.Components[i]
	}
	rep.Vulnerabilities = make([]Vulnerability, 0, len(old.Vulnerabilities))
	for _, ov := range old.Vulnerabilities {
		v := ov.Vulnerability
		v.Published, _ = ParseTime(ov.Published)
		if ov.KEV != nil {
			v.KEV = &KEV{Ransomware: ov.KEV.Ransomware}
			v.KEV.DateAdded, _ = ParseTime(ov.KEV.DateAdded)
			v.KEV.DueDate, _ = ParseTime(ov.KEV.DueDate)
		}
		if ov.EPSS != nil {
			v.EPSS = &EPSS{Score: ov.EPSS.Score, Percentile: ov.EPSS.Percentile}
			v.EPSS.Date, _ = ParseTime(ov.EPSS.Date)
		}
		if v.Severity == Info || v.Severity == "" {
			v.Severity = Unknown
		}
		v.URL = AdvisoryURL(v.ID)
		purl := ""
		if c := comps[v.Component]; c != nil {
			v.ComponentName, v.InstalledVersion, purl = c.Name, c.Version, c.PURL
		}
		v.MatchedBy = ParseMatchedBy1(ov.MatchedBy, purl)
		rep.Vulnerabilities = append(rep.Vulnerabilities, v)
	}
	rep.StartedAt = ReportTime(rep.StartedAt)
	rep.LinkChains()
	rep.Summary.VulnerabilitiesBySeverity = CountVulnerabilities(rep.Vulnerabilities)
	rep.Notes = append(rep.Notes, fmt.Sprintf("read from a report of schema %s and upgraded to %s: matched_by, dates and severity unknown were converted, url, component_name, installed_version and chain_steps derived", version, SchemaVersion))
	return &rep, nil
}

// CountVulnerabilities counts vulnerabilities per severity, with a key for
// every severity but info.
func CountVulnerabilities(vs []Vulnerability) map[string]int {
	by := map[string]int{}
	for _, s := range Severities {
		if s != Info {
			by[string(s)] = 0
		}
	}
	for _, v := range vs {
		by[string(v.Severity)]++
	}
	return by
}

// ParseMatchedBy1 turns the matched_by prose of a 1.x report back into a
// Match. 1.x wrote, for an NVD match, the CPE criterion and its bounds
// ("cpe:2.3:a:busybox:busybox:*:... versionStartIncluding 1.16.0
// versionEndExcluding 1.34.0", with " (AND configuration)" when the
// configuration was an AND), and for an OSV match "osv ECOSYSTEM NAME" and
// the range (">=0 <0.3.7", ">=1.2 <=1.4", ">=1.2") or "version V"; several
// matches of one advisory were joined by "; ", of which the first is
// kept. purl is the component's package URL; anything else is kept
// whole as the criterion of method "unknown".
func ParseMatchedBy1(s, purl string) Match {
	first, _, _ := strings.Cut(s, "; ")
	f := strings.Fields(first)
	switch {
	case len(f) > 0 && strings.HasPrefix(f[0], "cpe:2.3:"):
		m := Match{Method: "cpe", Criterion: f[0]}
		var b Bounds
		for i := 1; i+1 < len(f); i += 2 {
			switch f[i] {
			case "versionStartIncluding":
				b.StartIncl = f[i+1]
			case "versionStartExcluding":
				b.StartExcl = f[i+1]
			case "versionEndIncluding":
				b.EndIncl = f[i+1]
			case "versionEndExcluding":
				b.EndExcl = f[i+1]
			}
		}
		m.AndConfiguration = strings.HasSuffix(first, " (AND configuration)")
		m.Constraint = b.Constraint(cpeVersion(f[0]))
		return m
	case len(f) >= 4 && f[0] == "osv":
		m := Match{Method: "purl", Ecosystem: f[1], Criterion: PURLBase(purl)}
		if m.Criterion == "" {
			m.Criterion = f[2]
		}
		if f[3] == "version" && len(f) > 4 {
			m.Constraint = "=" + f[4]
			return m
		}
		var parts []string
		for _, p := range f[3:] {
			if p != ">=0" {
				parts = append(parts, p)
			}
		}
		m.Constraint = strings.Join(parts, ", ")
		if m.Constraint == "" {
			m.Constraint = "*"
		}
		return m
	}
	return Match{Method: "unknown", Criterion: s}
}

// cpeVersion is the version and update of a CPE 2.3 formatted string as
// an exact constraint needs them ("1.33.1", "2022.07:rc1"); "*" for ANY.
func cpeVersion(c string) string {
	parts := strings.Split(c, ":") // escaped colons do not occur in versions NVD lists
	if len(parts) < 7 {
		return "*"
	}
	v, u := parts[5], parts[6]
	if v == "*" || v == "" {
		return "*"
	}
	if u != "*" && u != "-" && u != "" {
		return v + ":" + u
	}
	return v
}

// Bounds are the version bounds of an NVD CPE match criterion.
type Bounds struct {
	StartIncl, StartExcl, EndIncl, EndExcl string
}

// Constraint renders a criterion's version (exact, or "*" for any) and
// bounds as one constraint: ">=2.0.0, <2.90", "<=1.36.1", "=1.33.1", "*".
func (b Bounds) Constraint(version string) string {
	if version != "*" && version != "-" && version != "" {
		return "=" + version
	}
	if version == "-" {
		return "-" // NA: versions do not apply (a hardware platform)
	}
	var parts []string
	for _, p := range [][2]string{{">=", b.StartIncl}, {">", b.StartExcl}, {"<=", b.EndIncl}, {"<", b.EndExcl}} {
		if p[1] != "" {
			parts = append(parts, p[0]+p[1])
		}
	}
	if len(parts) == 0 {
		return "*"
	}
	return strings.Join(parts, ", ")
}

// PURLBase is a package URL without version, qualifiers and subpath:
// the package the OSV advisory names ("pkg:golang/golang.org/x/text").
func PURLBase(p string) string {
	p, _, _ = strings.Cut(p, "#")
	p, _, _ = strings.Cut(p, "?")
	if i := strings.LastIndexByte(p, '@'); i > strings.LastIndexByte(p, '/') {
		p = p[:i]
	}
	return p
}
