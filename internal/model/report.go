// Package model is the report every thingsec command reads or writes. It is
// versioned (SchemaVersion) and described by schema/report.schema.json; a
// change here that is not backwards compatible bumps the major version.
package model

import "time"

// SchemaVersion is the version of the report format.
const SchemaVersion = "1.0.0"

// Report is the result of one scan.
type Report struct {
	SchemaVersion string          `json:"schema_version"`
	Tool          Tool            `json:"tool"`
	Target        Target          `json:"target"`
	StartedAt     time.Time       `json:"started_at"`
	Durations     []StageDuration `json:"durations"`
	Layers        []Layer         `json:"layers"`
	Files         []File          `json:"files"`
	Components    []Component     `json:"components"`
	Services      []Service       `json:"services"`
	Findings      []Finding       `json:"findings"`
	// Binaries holds the hardening record of every ELF file and kernel.
	Binaries        []Binary        `json:"binaries,omitempty"`
	Vulnerabilities []Vulnerability `json:"vulnerabilities"`
	Problems        []Problem       `json:"problems"`
	// Skipped lists the content analyzers did not fully analyse.
	Skipped []Skip `json:"skipped"`
	// VersionUnknown lists the refs of components that could not be matched
	// against vulnerability data because their version is unknown.
	VersionUnknown []string `json:"version_unknown,omitempty"`
	// Notes say how the report was made where it matters to read it (e.g.
	// "vulnerabilities matched against the embedded sample database").
	Notes   []string `json:"notes,omitempty"`
	Summary Summary  `json:"summary"`
}

// Tool names the program that made the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Target is what was scanned.
type Target struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"` // "file", "directory" or "git" (secrets --git and --staged)
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"`
}

// StageDuration is the wall time of one pipeline stage.
type StageDuration struct {
	Stage   string  `json:"stage"`
	Seconds float64 `json:"seconds"`
}

// Layer is one level of unpacking: the target itself (ID "L0"), or a format
// found inside a file of a parent layer at some offset.
type Layer struct {
	ID     string `json:"id"`
	Parent string `json:"parent,omitempty"`
	// Source is the path, inside the parent layer, of the file the layer was
	// found in.
	Source      string `json:"source,omitempty"`
	Format      string `json:"format"`
	Offset      int64  `json:"offset"`
	Size        int64  `json:"size"`
	Description string `json:"description,omitempty"`
	// Chain is the human-readable location of the layer, e.g.
	// "fw.bin > trx@0x0:/part1 > squashfs@0x0".
	Chain string `json:"chain"`
	// Extracted is false for identified-but-not-unpacked layers.
	Extracted bool  `json:"extracted"`
	Depth     int   `json:"depth"`
	Files     int   `json:"files"`
	Bytes     int64 `json:"bytes"`
}

// File is one entry of the file inventory.
type File struct {
	Layer      string `json:"layer"`
	Path       string `json:"path"`
	Size       int64  `json:"size"`
	Mode       string `json:"mode"` // ls-style, e.g. "-rwsr-xr-x"
	UID        int    `json:"uid"`
	GID        int    `json:"gid"`
	SHA256     string `json:"sha256,omitempty"`
	Type       string `json:"type"`
	Arch       string `json:"arch,omitempty"`
	LinkTarget string `json:"link_target,omitempty"`
	// Device holds a device node's numbers, where the format stores them.
	Device *Device `json:"device,omitempty"`
	// Complete is false, with IncompleteReason, when the content listed
	// is not the whole file (a bad block, an encrypted or unsupported
	// part); it is absent when the file was extracted whole.
	Complete         *bool  `json:"complete,omitempty"`
	IncompleteReason string `json:"incomplete_reason,omitempty"`
	// Unpacked names the child layer that this file was unpacked into.
	Unpacked []string `json:"unpacked,omitempty"`
	// Unclaimed lists the regions of a carved file no format claimed.
	Unclaimed []Region `json:"unclaimed,omitempty"`
}

// Device is the major and minor number of a character or block device.
type Device struct {
	Major int64 `json:"major"`
	Minor int64 `json:"minor"`
}

// Location says where something was found.
type Location struct {
	Layer  string `json:"layer"`
	Chain  string `json:"chain,omitempty"`
	Path   string `json:"path"`
	Line   int    `json:"line,omitempty"`
	Offset int64  `json:"offset,omitempty"`
	// Commit is where in a repository's history the finding is (thingsec
	// secrets --git); Path and Line are then those of that commit's file.
	Commit *Commit `json:"commit,omitempty"`
}

// Commit is the git commit that introduced a finding.
type Commit struct {
	ID     string `json:"id"`
	Author string `json:"author"`
	Email  string `json:"email,omitempty"`
	Date   string `json:"date"` // the author date, RFC 3339
	// HistoryOnly says that no scanned branch holds it any more: a later
	// commit removed it, but every clone of the history still does.
	HistoryOnly bool `json:"history_only,omitempty"`
}

// Component is a piece of software identified in the target.
type Component struct {
	Ref          string     `json:"ref"`
	Name         string     `json:"name"`
	Version      string     `json:"version,omitempty"`
	Type         string     `json:"type"` // application, library, operating-system, firmware, ...
	PURL         string     `json:"purl,omitempty"`
	CPEs         []string   `json:"cpes,omitempty"`
	Locations    []Location `json:"locations"`
	Evidence     []Evidence `json:"evidence,omitempty"`
	Dependencies []string   `json:"dependencies,omitempty"`
}

// Evidence tells how a component was identified.
type Evidence struct {
	Kind  string `json:"kind"` // package-db, binary-fingerprint, buildinfo, manifest, ...
	Path  string `json:"path"`
	Match string `json:"match,omitempty"`
}

// Service is a network or local service the target starts.
type Service struct {
	Name      string   `json:"name"`
	Protocol  string   `json:"protocol,omitempty"`
	Port      int      `json:"port,omitempty"`
	Binary    string   `json:"binary,omitempty"`
	StartedBy string   `json:"started_by,omitempty"`
	Location  Location `json:"location"`
}

// Finding is one problem found by a rule.
type Finding struct {
	RuleID      string   `json:"rule_id"`
	Title       string   `json:"title"`
	Severity    Severity `json:"severity"`
	Category    string   `json:"category"`
	CWE         []string `json:"cwe,omitempty"`
	Standards   []string `json:"standards,omitempty"`
	Location    Location `json:"location"`
	Evidence    string   `json:"evidence,omitempty"`
	Description string   `json:"description,omitempty"`
	Remediation string   `json:"remediation,omitempty"`
	// Fingerprint is stable across releases: it depends on the rule, the
	// in-filesystem path and a stable key, never on offsets or lines.
	Fingerprint string `json:"fingerprint"`
}

// Vulnerability is a known vulnerability matched to a component.
type Vulnerability struct {
	ID         string   `json:"id"`
	Aliases    []string `json:"aliases,omitempty"`
	Summary    string   `json:"summary,omitempty"`
	Severity   Severity `json:"severity"`
	CVSS       []CVSS   `json:"cvss,omitempty"`
	CWE        []string `json:"cwe,omitempty"`
	Published  string   `json:"published,omitempty"`
	Fixed      []string `json:"fixed,omitempty"`
	KEV        *KEV     `json:"kev,omitempty"`
	EPSS       *EPSS    `json:"epss,omitempty"`
	Component  string   `json:"component"` // Component.Ref
	MatchedBy  string   `json:"matched_by"`
	References []string `json:"references,omitempty"`
}

// CVSS is one CVSS score.
type CVSS struct {
	Version string  `json:"version"`
	Score   float64 `json:"score"`
	Vector  string  `json:"vector"`
	Source  string  `json:"source,omitempty"`
}

// KEV is the CISA Known Exploited Vulnerabilities entry.
type KEV struct {
	DateAdded  string `json:"date_added"`
	DueDate    string `json:"due_date,omitempty"`
	Ransomware string `json:"ransomware,omitempty"`
}

// EPSS is the FIRST exploit prediction score.
type EPSS struct {
	Score      float64 `json:"score"`
	Percentile float64 `json:"percentile"`
	Date       string  `json:"date,omitempty"`
}

// Problem is something that could not be read or analysed, and why. The
// rest of the scan goes on.
type Problem struct {
	Layer   string `json:"layer,omitempty"`
	Path    string `json:"path,omitempty"`
	Stage   string `json:"stage"` // unpack, walk, analyze, enrich
	Kind    string `json:"kind"`  // corrupt, limit, unsupported, unsafe, io, ...
	Message string `json:"message"`
}

// Skip is content an analyzer did not fully analyse, and why: a file over
// its size limit, a line over its length limit, a region it could not
// decode. Nothing an analyzer leaves out goes unsaid.
type Skip struct {
	Analyzer string `json:"analyzer"`
	Layer    string `json:"layer"`
	Path     string `json:"path"`
	// Offset and Size are the bytes left out (Offset 0 and the file's
	// size when it is the whole file).
	Offset int64  `json:"offset,omitempty"`
	Size   int64  `json:"size"`
	Reason string `json:"reason"`
}

// Summary holds counts for quick reading and gating.
type Summary struct {
	Layers          int            `json:"layers"`
	Files           int            `json:"files"`
	Bytes           int64          `json:"bytes"`
	FileTypes       map[string]int `json:"file_types"`
	Components      int            `json:"components"`
	Findings        map[string]int `json:"findings"` // by severity
	Vulnerabilities int            `json:"vulnerabilities"`
	Problems        int            `json:"problems"`
	// SkippedFiles counts, per analyzer, the files it did not fully
	// analyse (Report.Skipped says what and why).
	SkippedFiles map[string]int `json:"skipped_files"`
	// Hardening summarises Binaries; absent when there is none.
	Hardening *HardeningSummary `json:"hardening,omitempty"`
}

// Region is a byte range of a carved file that no format claimed, with its
// Shannon entropy in bits per byte (near 8: compressed or encrypted; near 0:
// padding).
type Region struct {
	Offset  int64   `json:"offset"`
	Size    int64   `json:"size"`
	Entropy float64 `json:"entropy"`
	Kind    string  `json:"kind"` // padding, data, high-entropy
}
