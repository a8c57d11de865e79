// Package model is the report every thingsec command reads or writes. It is
// versioned (SchemaVersion) and described by schema/report.schema.json,
// generated from these types and their doc comments. A change that only
// adds fields bumps the minor version; any other change (a field removed,
// renamed, retyped or given another meaning, a new enum value) bumps the
// major version, and ReadReport learns to upgrade the old major.
package model

import "time"

// SchemaVersion is the version of the report format.
const SchemaVersion = "2.2.0"

// Report is the result of one scan. Readers must ignore fields they do
// not know: a later minor version of the same major may add some.
type Report struct {
	Schema        string          `json:"$schema"`            // URL of the JSON Schema of the report's major version
	SchemaVersion string          `json:"schema_version"`     // version of the report format (MAJOR.MINOR.PATCH); see the README for the rule
	Tool          Tool            `json:"tool"`               // the program that made the report
	Target        Target          `json:"target"`             // what was scanned
	StartedAt     time.Time       `json:"started_at"`         // UTC, to the second
	Durations     []StageDuration `json:"durations"`          // wall time of each pipeline stage
	Layers        []Layer         `json:"layers"`             // every format found, from the target (L0) down
	Files         []File          `json:"files"`              // the file inventory of every layer
	Components    []Component     `json:"components"`         // the software identified in the target
	Services      []Service       `json:"services,omitempty"` // services the target starts; absent when none was found
	Findings      []Finding       `json:"findings"`           // the problems found, each with its rule, location and evidence
	// Binaries holds the hardening record of every ELF file and kernel.
	Binaries        []Binary        `json:"binaries,omitempty"`
	Vulnerabilities []Vulnerability `json:"vulnerabilities"` // known vulnerabilities matched to the components
	Problems        []Problem       `json:"problems"`        // what could not be fully read or analysed; the rest was
	// Skipped lists the content analyzers did not fully analyse.
	Skipped []Skip `json:"skipped"`
	// VersionUnknown lists the refs of components that could not be matched
	// against vulnerability data because their version is unknown.
	VersionUnknown []string `json:"version_unknown,omitempty"`
	// Notes say how the report was made where it matters to read it (e.g.
	// "vulnerabilities matched against the embedded sample database").
	Notes []string `json:"notes,omitempty"`
	// Database is the vulnerability data the components were matched
	// against (absent only in reports that match nothing, like secrets).
	Database *Database `json:"database,omitempty"`
	Summary  Summary   `json:"summary"` // counts over the whole report
}

// Tool names the program that made the report.
type Tool struct {
	Name    string `json:"name"`    // "thingsec"
	Version string `json:"version"` // the release, or the module pseudo-version of a build from a checkout
}

// Target is what was scanned.
type Target struct {
	Name   string `json:"name"`             // the file or directory name of the target
	Kind   string `json:"kind"`             // "file", "directory" or "git" (secrets --git and --staged)
	Size   int64  `json:"size"`             // bytes of a file target, or of all files of a directory
	SHA256 string `json:"sha256,omitempty"` // SHA-256 of a file target
}

// StageDuration is the wall time of one pipeline stage.
type StageDuration struct {
	Stage   string  `json:"stage"`   // unpack+analyze, components, detect, enrich
	Seconds float64 `json:"seconds"` // wall time of the stage
}

// Layer is one level of unpacking: the target itself (ID "L0"), or a format
// found inside a file of a parent layer at some offset.
type Layer struct {
	ID     string `json:"id"`               // "L0" for the target, "L1"... in a stable order
	Parent string `json:"parent,omitempty"` // ID of the layer the layer was found in
	// Source is the path, inside the parent layer, of the file the layer was
	// found in.
	Source      string `json:"source,omitempty"`
	Format      string `json:"format"`                // squashfs, uimage, ...; file or directory for the target
	Offset      int64  `json:"offset"`                // where the layer starts in its source file
	Size        int64  `json:"size"`                  // bytes the layer spans (a directory target: its files' total)
	Description string `json:"description,omitempty"` // what the format's header says
	// Chain is the human-readable location of the layer, e.g.
	// "fw.bin > trx@0x0:/part1 > squashfs@0x0".
	Chain string `json:"chain"`
	// ChainSteps is Chain as data: one step per layer from the target
	// down to this one.
	ChainSteps []ChainStep `json:"chain_steps"`
	// Extracted is false for identified-but-not-unpacked layers.
	Extracted bool  `json:"extracted"`
	Depth     int   `json:"depth"` // 0 for the target
	Files     int   `json:"files"` // entries of the layer
	Bytes     int64 `json:"bytes"` // bytes extracted
}

// File is one entry of the file inventory.
type File struct {
	Layer      string `json:"layer"`                 // ID of the layer the file is in
	Path       string `json:"path"`                  // path inside the layer, starting with /
	Size       int64  `json:"size"`                  // bytes
	Mode       string `json:"mode"`                  // ls-style, e.g. "-rwsr-xr-x"
	UID        int    `json:"uid"`                   // owner user ID
	GID        int    `json:"gid"`                   // owner group ID
	SHA256     string `json:"sha256,omitempty"`      // SHA-256 of the content (regular files)
	Type       string `json:"type"`                  // content type, e.g. elf, script, text, pem, directory, symlink
	Arch       string `json:"arch,omitempty"`        // ELF architecture, e.g. "mips-le-32"
	LinkTarget string `json:"link_target,omitempty"` // where a symbolic link points
	// Device holds a device node's numbers, where the format stores them.
	Device *Device `json:"device,omitempty"`
	// Complete is false, with IncompleteReason, when the content listed
	// is not the whole file (a bad block, an encrypted or unsupported
	// part); it is absent when the file was extracted whole.
	Complete         *bool  `json:"complete,omitempty"`
	IncompleteReason string `json:"incomplete_reason,omitempty"` // why the file could not be extracted whole
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

// ChainStep is one layer on the way from the target to a location.
type ChainStep struct {
	// Format is the layer's format ("file" or "directory" for the
	// target itself).
	Format string `json:"format"`
	// Offset is where the layer starts in the file it was found in.
	Offset int64 `json:"offset"`
	// Path is the path of that file in the layer of the step before; in
	// the first step, the target's name.
	Path string `json:"path"`
}

// Location says where something was found.
type Location struct {
	// Layer is the ID of the layer the path is in.
	Layer string `json:"layer"`
	// Chain is the layer's human-readable location chain.
	Chain string `json:"chain,omitempty"`
	// ChainSteps is the layer's chain as data (Layer.ChainSteps);
	// absent when the location is not in a layer of the report (a git
	// commit).
	ChainSteps []ChainStep `json:"chain_steps,omitempty"`
	Path       string      `json:"path"`             // path inside the layer, starting with /
	Line       int         `json:"line,omitempty"`   // 1-based line of a text file; absent when not known
	Offset     int64       `json:"offset,omitempty"` // byte offset in the file; absent when not known
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
	Ref          string     `json:"ref"`                    // unique ID of the component in this report (its purl when it has one)
	Name         string     `json:"name"`                   // the product or package name
	Version      string     `json:"version,omitempty"`      // the installed version, equal to the purl version
	Type         string     `json:"type"`                   // application, library, operating-system, firmware, ...
	PURL         string     `json:"purl,omitempty"`         // package URL
	CPEs         []string   `json:"cpes,omitempty"`         // NVD CPE 2.3 names used to match vulnerabilities
	Locations    []Location `json:"locations"`              // where the component is installed
	Evidence     []Evidence `json:"evidence,omitempty"`     // what identified the component
	Dependencies []string   `json:"dependencies,omitempty"` // refs of the components it depends on
	// License is what the component's own metadata says of its licence,
	// or NOASSERTION with the reason none could be said.
	License *License `json:"license,omitempty"`
	// Supplier is who ships the component: the package maintainer
	// ("Name <email>"), the OS vendor or the product's vendor.
	Supplier string `json:"supplier,omitempty"`
	// Hashes are the digests of the files that identified the component.
	Hashes []Hash `json:"hashes,omitempty"`
	// Exposure says whether a network-facing service runs or loads the
	// component; absent when the target has no service information.
	Exposure *Exposure `json:"exposure,omitempty"`
}

// NoAssertion is the License expression of a component whose licence is
// not known; License.Reason says why.
const NoAssertion = "NOASSERTION"

// License is a component's licence as an SPDX licence expression.
type License struct {
	// Expression is a valid SPDX licence expression (names that are not
	// on the SPDX list become LicenseRef-...), or NOASSERTION.
	Expression string `json:"expression"`
	// Declared is the licence as the source states it, before
	// normalisation.
	Declared string `json:"declared,omitempty"`
	// Source is the path of the file the licence was read from.
	Source string `json:"source,omitempty"`
	// Reason says why the expression is NOASSERTION.
	Reason string `json:"reason,omitempty"`
}

// Hash is the digest of one file that identified a component.
type Hash struct {
	Algorithm string `json:"algorithm"` // "SHA-256"
	Value     string `json:"value"`     // hexadecimal digest
	Path      string `json:"path"`      // the file hashed
}

// Evidence tells how a component was identified.
type Evidence struct {
	Kind  string `json:"kind"`            // package-db, binary-fingerprint, buildinfo, manifest, ...
	Path  string `json:"path"`            // the file the evidence is in
	Match string `json:"match,omitempty"` // the text that matched
	// Confidence (0..1) is how surely the evidence identifies the
	// component, set where it is weaker than its kind usually is: a
	// file name alone, module paths recovered without versions.
	// Absent, the kind's usual strength applies.
	Confidence float64 `json:"confidence,omitempty"`
}

// Service is a program the target starts at boot, on demand (inetd,
// systemd sockets) or on a schedule (cron), as its init system says.
type Service struct {
	Name string `json:"name"` // short name: the program's base name ("dnsmasq", "telnetd")
	// Protocol and Port are the first listener's, so that a reader that
	// wants one address needs no loop; Listen has them all.
	Protocol string `json:"protocol,omitempty"`
	Port     int    `json:"port,omitempty"`
	// Binary is the program's path in the target, resolved through
	// PATH, symlinks and BusyBox applets where the target has the file.
	Binary string   `json:"binary,omitempty"`
	Args   []string `json:"args,omitempty"` // its arguments as the init system passes them, program name excluded
	// User is the account it runs as; empty when not known (init
	// systems start daemons as root unless told otherwise).
	User string `json:"user,omitempty"`
	// StartedBy is the mechanism that starts it: inittab, rcS, rc.local,
	// init.d, procd, systemd, inetd, xinetd or cron.
	StartedBy string `json:"started_by,omitempty"`
	// Component is components[].ref of the program's component; absent
	// when none was identified.
	Component string `json:"component,omitempty"`
	// Listen are the addresses it accepts connections on, where they
	// can be derived (arguments, its configuration, the daemon's
	// defaults); absent for a program that does not listen or when not
	// known.
	Listen []Listen `json:"listen,omitempty"`
	// Auth is how clients authenticate: none, password, key or
	// password+key; empty when not known.
	Auth string `json:"auth,omitempty" schema:"enum=none|password|key|password+key"`
	// TLS says whether connections are encrypted: yes or no; empty when
	// not known or when it does not listen.
	TLS string `json:"tls,omitempty" schema:"enum=yes|no"`
	// Console is the serial or virtual terminal a console entry runs on
	// ("ttyS0"); absent for other services.
	Console string `json:"console,omitempty"`
	// Location is the file and line that starts it.
	Location Location `json:"location"`
}

// Listen is one address a service accepts connections on.
type Listen struct {
	Protocol string `json:"protocol"` // tcp, udp or unix
	// Address is the address bound: 0.0.0.0 or :: for every interface,
	// 127.0.0.1 for loopback only, an interface name ("br-lan"), or a
	// socket path for unix; empty when it binds every interface.
	Address string `json:"address,omitempty"`
	Port    int    `json:"port,omitempty"`
	// Source says where the address was derived from: the argument, the
	// configuration file and line, or "default" for the daemon's
	// built-in default.
	Source string `json:"source,omitempty"`
}

// Exposure says how a component can be reached from the network.
type Exposure struct {
	// Level is network (a service that listens on a non-loopback
	// address runs the component or loads it), local (only local
	// services or none use it) or unknown.
	Level string `json:"level" schema:"enum=network|local|unknown"`
	// Reason spells it out: "listens on udp/53 (started by
	// /etc/init.d/dnsmasq:12)".
	Reason string `json:"reason,omitempty"`
	// Services are the names of the network-facing services that run or
	// load the component.
	Services []string `json:"services,omitempty"`
}

// Priority orders vulnerabilities and findings by how urgently they
// should be fixed on this device: the CVSS severity combined with
// exposure, CISA KEV and EPSS.
type Priority struct {
	Level Severity `json:"level" schema:"exclude=unknown"` // critical, high, medium, low or info
	// Reasons say what raised or lowered it ("in CISA KEV", "reachable:
	// listens on udp/53 (started by /etc/init.d/dnsmasq:12)").
	Reasons []string `json:"reasons,omitempty"`
}

// Finding is one problem found by a rule.
type Finding struct {
	RuleID      string   `json:"rule_id"`               // the rule that found it (thingsec rules lists them)
	Title       string   `json:"title"`                 // one line for a person
	Severity    Severity `json:"severity"`              // critical, high, medium, low or info
	Category    string   `json:"category"`              // credential, secret, key, hardening, ...
	CWE         []string `json:"cwe,omitempty"`         // weaknesses, e.g. CWE-798
	Standards   []string `json:"standards,omitempty"`   // provisions of standards the rule maps to (ETSI EN 303 645, OWASP IoT Top 10, ...)
	Location    Location `json:"location"`              // where it was found
	Evidence    string   `json:"evidence,omitempty"`    // what was found, secrets redacted unless --show-secrets
	Description string   `json:"description,omitempty"` // what the problem is and why it matters
	Remediation string   `json:"remediation,omitempty"` // how to fix it
	// Fingerprint is stable across releases: it depends on the rule, the
	// in-filesystem path and a stable key, never on offsets or lines.
	Fingerprint string `json:"fingerprint"`
	// Priority is the severity adjusted for exposure; absent when
	// nothing changes it.
	Priority *Priority `json:"priority,omitempty"`
	// Suppressed is the accepted-risk entry that keeps the finding out
	// of the gate; absent when none applies.
	Suppressed *Suppression `json:"suppressed,omitempty"`
	// Verified is the answer of the provider's API when the secret was
	// checked live (secrets --verify): true when it is valid, false when
	// refused; absent when it was not checked or the answer was unclear.
	Verified *bool `json:"verified,omitempty"`
}

// Vulnerability is a known vulnerability matched to a component.
type Vulnerability struct {
	ID      string   `json:"id"`                // CVE, GHSA, GO-, ... as the source names it
	Aliases []string `json:"aliases,omitempty"` // other IDs of the advisory (its CVE)
	Summary string   `json:"summary,omitempty"` // the advisory's description
	// URL is the advisory's primary page: NVD's detail page for a CVE,
	// GitHub's for a GHSA, osv.dev's for any other ID.
	URL string `json:"url"`
	// Severity is the advisory's (or its CVE alias's) CVSS severity;
	// unknown when no source scores it, never info.
	Severity Severity `json:"severity" schema:"exclude=info"`
	CVSS     []CVSS   `json:"cvss,omitempty"` // the scores the sources give
	CWE      []string `json:"cwe,omitempty"`  // weaknesses, e.g. CWE-787
	// Published is when the advisory was published (UTC, to the
	// second); absent when the source does not say.
	Published time.Time `json:"published,omitzero"`
	// Fixed lists the versions above the installed one at which a
	// vulnerable range of the advisory ends (NVD versionEndExcluding,
	// OSV fixed events), lowest first; absent when no fix is known.
	Fixed            []string `json:"fixed,omitempty"`
	KEV              *KEV     `json:"kev,omitempty"`     // present when CISA lists the advisory as exploited
	EPSS             *EPSS    `json:"epss,omitempty"`    // present when FIRST scores it
	Component        string   `json:"component"`         // components[].ref of the matched component
	ComponentName    string   `json:"component_name"`    // its name, so that a reader needs no join
	InstalledVersion string   `json:"installed_version"` // its version
	// MatchedBy says which criterion of the advisory the component met.
	MatchedBy Match `json:"matched_by"`
	// Priority combines the severity with the component's exposure,
	// CISA KEV and EPSS; absent when no exposure or exploitation data
	// was available.
	Priority   *Priority `json:"priority,omitempty"`
	References []string  `json:"references,omitempty"` // URLs the advisory cites
	// Analysis is the VEX statement about the vulnerability in this
	// product; absent when no VEX document was given or none matched.
	Analysis *Analysis `json:"analysis,omitempty"`
	// Suppressed is the accepted-risk entry that keeps the
	// vulnerability out of the gate; absent when none applies.
	Suppressed *Suppression `json:"suppressed,omitempty"`
}

// Match says how a vulnerability was matched to its component.
type Match struct {
	// Method is what was compared with the advisory: cpe (the
	// component's CPE against an NVD configuration) or purl (its package
	// URL against an OSV affected package). Readers should expect other
	// methods in later versions.
	Method string `json:"method"`
	// Criterion is what the component matched: the NVD CPE criterion
	// ("cpe:2.3:a:thekelleys:dnsmasq:*:*:*:*:*:*:*:*"), or the OSV
	// package as a package URL without version
	// ("pkg:golang/golang.org/x/text").
	Criterion string `json:"criterion"`
	// Ecosystem is the OSV ecosystem of a purl match ("Go",
	// "Debian:12").
	Ecosystem string `json:"ecosystem,omitempty"`
	// Constraint is the range of affected versions the installed version
	// is in: ">=2.0.0, <2.90", "<=1.36.1", "=1.33.1", or "*" for every
	// version.
	Constraint string `json:"constraint"`
	// AndConfiguration is true when the NVD configuration requires this
	// criterion together with others (an application on a given
	// platform) and the scan met all of them.
	AndConfiguration bool `json:"and_configuration,omitempty"`
}

// CVSS is one CVSS score.
type CVSS struct {
	Version string  `json:"version"`          // CVSS version: 2.0, 3.0, 3.1, 4.0
	Score   float64 `json:"score"`            // base score, 0 to 10
	Vector  string  `json:"vector"`           // the vector string
	Source  string  `json:"source,omitempty"` // who scored it (nvd@nist.gov, a CNA's ID)
}

// KEV is the CISA Known Exploited Vulnerabilities entry.
type KEV struct {
	// DateAdded is the day CISA added the CVE (midnight UTC).
	DateAdded time.Time `json:"date_added"`
	// DueDate is the remediation deadline CISA set for US federal
	// agencies (midnight UTC).
	DueDate time.Time `json:"due_date,omitzero"`
	// Ransomware is CISA's "Known" or "Unknown" use in ransomware
	// campaigns.
	Ransomware string `json:"ransomware,omitempty"`
}

// EPSS is the FIRST exploit prediction score.
type EPSS struct {
	Score      float64 `json:"score"`      // probability of exploitation in the next 30 days, 0 to 1
	Percentile float64 `json:"percentile"` // share of scored CVEs with a lower score, 0 to 1
	// Date is the day of the score (midnight UTC).
	Date time.Time `json:"date,omitzero"`
}

// Problem is something that could not be read or analysed, and why. The
// rest of the scan goes on.
type Problem struct {
	Layer   string `json:"layer,omitempty"` // ID of the layer it concerns
	Path    string `json:"path,omitempty"`  // path inside that layer
	Stage   string `json:"stage"`           // unpack, walk, analyze, enrich
	Kind    string `json:"kind"`            // corrupt, limit, unsupported, unsafe, io, ...
	Message string `json:"message"`         // what went wrong, for a person
}

// Skip is content an analyzer did not fully analyse, and why: a file over
// its size limit, a line over its length limit, a region it could not
// decode. Nothing an analyzer leaves out goes unsaid.
type Skip struct {
	Analyzer string `json:"analyzer"` // the analyzer that skipped the content
	Layer    string `json:"layer"`    // ID of the layer
	Path     string `json:"path"`     // path inside the layer
	// Offset and Size are the bytes left out (Offset 0 and the file's
	// size when it is the whole file).
	Offset int64  `json:"offset,omitempty"`
	Size   int64  `json:"size"`   // bytes skipped
	Reason string `json:"reason"` // why, e.g. a size or memory limit
}

// Summary holds counts for quick reading and gating.
type Summary struct {
	Layers          int            `json:"layers"`          // number of layers
	Files           int            `json:"files"`           // number of files
	Bytes           int64          `json:"bytes"`           // bytes of all files
	FileTypes       map[string]int `json:"file_types"`      // files per content type
	Components      int            `json:"components"`      // number of components
	Findings        map[string]int `json:"findings"`        // by severity
	Vulnerabilities int            `json:"vulnerabilities"` // number of vulnerabilities
	Problems        int            `json:"problems"`        // number of problems
	// SkippedFiles counts, per analyzer, the files it did not fully
	// analyse (Report.Skipped says what and why).
	SkippedFiles map[string]int `json:"skipped_files"`
	// Hardening summarises Binaries; absent when there is none.
	Hardening *HardeningSummary `json:"hardening,omitempty"`
	// VulnerabilitiesBySeverity counts the vulnerabilities per severity;
	// every severity but info is a key.
	VulnerabilitiesBySeverity map[string]int `json:"vulnerabilities_by_severity"`
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
