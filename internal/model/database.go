package model

// Kinds of vulnerability data (Database.Kind).
const (
	// DatabaseFull is a vulnerability database file (thingsec db update,
	// import or import-bundle).
	DatabaseFull = "full"
	// DatabaseSample is the small sample embedded in thingsec, used when
	// there is no database: most vulnerabilities are not in it.
	DatabaseSample = "sample"
	// DatabaseNone: components were not matched (--no-vuln).
	DatabaseNone = "none"
)

// Database says which vulnerability data the report's vulnerabilities were
// matched against, so that a report with none found can be told apart
// from a report made without data.
type Database struct {
	Kind string `json:"kind"` // full, sample or none
	// Path of the database file (full only).
	Path          string `json:"path,omitempty"`
	SchemaVersion int    `json:"schema_version,omitempty"`
	// UpdatedAt is the newest update of any source (RFC 3339); absent when
	// nothing was ever imported.
	UpdatedAt string `json:"updated_at,omitempty"`
	// AgeSeconds is the age of UpdatedAt when the report was made.
	AgeSeconds *int64 `json:"age_seconds,omitempty"`
	// MaxAgeSeconds is the age past which the data counts as stale
	// (--db-max-age); Stale says whether it is, or was never updated.
	MaxAgeSeconds int64           `json:"max_age_seconds,omitempty"`
	Stale         bool            `json:"stale,omitempty"`
	Records       *DatabaseCounts `json:"records,omitempty"`
	// Sources lists every source's last update and record count.
	Sources []DatabaseSource `json:"sources,omitempty"`
}

// DatabaseCounts are the records the database holds, per source kind.
type DatabaseCounts struct {
	NVD  int `json:"nvd"`
	OSV  int `json:"osv"`
	KEV  int `json:"kev"`
	EPSS int `json:"epss"`
}

// DatabaseSource is one source of the database.
type DatabaseSource struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"`     // nvd, osv, kev, epss
	Location  string `json:"location"` // URL or file
	UpdatedAt string `json:"updated_at"`
	Records   int    `json:"records"`
}
