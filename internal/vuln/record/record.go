// Package record holds the vulnerability records as importers produce them
// and the database stores them, apart from the database so that parsers
// stay light.
package record

import "github.com/thingsec/thingsec/internal/model"

// Sources of advisories in the vulns table.
const (
	SourceNVD = "nvd"
	SourceOSV = "osv"
)

// Vuln is an advisory as stored: what the report shows about it.
type Vuln struct {
	ID        string
	Source    string
	Summary   string
	Published string
	Modified  string
	Severity  model.Severity // "" when the record has no score
	Detail    Detail
}

// Detail holds the list-valued fields of a Vuln, stored as JSON.
type Detail struct {
	CVSS       []model.CVSS `json:"cvss,omitempty"`
	CWE        []string     `json:"cwe,omitempty"`
	Aliases    []string     `json:"aliases,omitempty"`
	References []string     `json:"refs,omitempty"`
	// KEVAdded and KEVDue are NVD's own copy of the CISA KEV marks
	// (cisaExploitAdd, cisaActionDue), used when the KEV table lacks them.
	KEVAdded string `json:"kev_added,omitempty"`
	KEVDue   string `json:"kev_due,omitempty"`
}

// Config is one NVD configuration: nodes joined by Operator (OR when
// empty), each node a set of CPE match criteria joined by its operator.
type Config struct {
	Operator string `json:"op,omitempty"`
	Negate   bool   `json:"neg,omitempty"`
	Nodes    []Node `json:"nodes"`
}

// Node is one node of a configuration.
type Node struct {
	Operator string     `json:"op,omitempty"`
	Negate   bool       `json:"neg,omitempty"`
	Matches  []CPEMatch `json:"m"`
}

// CPEMatch is one NVD cpeMatch criterion with its version bounds.
type CPEMatch struct {
	Vulnerable bool   `json:"v,omitempty"`
	Criteria   string `json:"c"`
	StartIncl  string `json:"si,omitempty"`
	StartExcl  string `json:"se,omitempty"`
	EndIncl    string `json:"ei,omitempty"`
	EndExcl    string `json:"ee,omitempty"`
}

// Affected is one OSV "affected" entry.
type Affected struct {
	Ecosystem string   `json:"eco"`
	Name      string   `json:"name"`
	Ranges    []Range  `json:"ranges,omitempty"`
	Versions  []string `json:"versions,omitempty"`
}

// Range is an OSV range: events in order of the range's type.
type Range struct {
	Type   string  `json:"type"`
	Events []Event `json:"events"`
}

// Event is one OSV range event; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// KEV is a CISA Known Exploited Vulnerabilities catalog entry.
type KEV struct {
	CVE        string
	DateAdded  string
	DueDate    string
	Ransomware string
	Name       string
}

// EPSS is a FIRST EPSS score.
type EPSS struct {
	CVE        string
	Score      float64
	Percentile float64
	Date       string
}

// Source is the import state of one source.
type Source struct {
	Name         string `json:"name"`
	Kind         string `json:"kind"`     // nvd, osv, kev, epss
	Location     string `json:"location"` // URL or file
	UpdatedAt    string `json:"updated_at"`
	Records      int    `json:"records"` // in the last import that changed it
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	Cursor       string `json:"cursor,omitempty"` // NVD: lastModStartDate of the next update
}
