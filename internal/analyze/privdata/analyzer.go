// Package privdata finds personal data and plaintext passwords stored in
// the files of a device: SQLite databases, CSV/TSV, JSON and XML data
// files and logs. It reports the table, column, key path or header and
// how many records hold e-mail addresses, phone numbers, birth dates,
// precise locations (with the names and device identifiers next to
// them), never the data itself.
//
// Passwords in key = value formats (JSON, XML, config files) are the
// secret rules' (TS-CRED-12x); this package reports the columnar stores
// those rules cannot read: SQLite tables and CSV files. Unsalted hashes
// in databases are the accounts analyzer's (TS-CRED-007); here they only
// raise the severity of the personal-data finding of the same table.
package privdata

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/sqlitefile"
)

// Rule IDs; their catalog entries are in rules/findings/data.yaml.
const (
	RulePIIDatabase  = "TS-DATA-001"
	RulePIIFile      = "TS-DATA-002"
	RulePIILog       = "TS-DATA-003"
	RulePlainDB      = "TS-DATA-010"
	RulePlainColumns = "TS-DATA-011"
)

// Size limits: larger files are recorded as skipped.
const (
	maxDB   = 64 << 20
	maxText = 16 << 20
)

// Analyzer is the personal-data FileAnalyzer.
type Analyzer struct {
	cat *catalog.Catalog
}

// New builds the analyzer.
func New() *Analyzer { return &Analyzer{cat: catalog.MustDefault()} }

// Name implements plugin.FileAnalyzer.
func (a *Analyzer) Name() string { return "privdata" }

type format int

const (
	fNone format = iota
	fSQLite
	fCSV
	fJSON
	fXML
	fLog
)

// formatOf decides from the path and the first bytes.
func formatOf(fi *plugin.FileInfo) format {
	if bytes.HasPrefix(fi.Head, []byte(sqlitefile.Magic)) {
		return fSQLite
	}
	if excluded(fi.Path) || bytes.IndexByte(fi.Head, 0) >= 0 {
		return fNone
	}
	p := strings.ToLower(devicePath(fi.Path))
	base := path.Base(p)
	switch path.Ext(base) {
	case ".csv", ".tsv":
		return fCSV
	case ".json", ".jsonl", ".ndjson", ".geojson":
		return fJSON
	case ".xml":
		return fXML
	case ".log":
		return fLog
	}
	if strings.Contains(p, "/var/log/") || strings.HasSuffix(strings.TrimRight(base, ".0123456789"), ".log") {
		return fLog
	}
	return fNone
}

// devicePath drops a backup suffix so that "clients.csv.bak" reads as a
// CSV file.
func devicePath(p string) string {
	if b, ok := backup(p); ok {
		return b
	}
	return p
}

var backupSuffixes = []string{".bak", ".orig", "~", ".old", ".save", "-opkg", ".dpkg-old", ".dpkg-dist"}

// backup reports whether p is a backup copy, and of which file.
func backup(p string) (string, bool) {
	for _, s := range backupSuffixes {
		if strings.HasSuffix(p, s) && len(p) > len(s) {
			return strings.TrimSuffix(p, s), true
		}
	}
	return p, false
}

// excluded are the places where data files are not a device's records of
// people: distribution and library data, documentation, test fixtures,
// locale, time zone and MIME databases, certificate bundles.
func excluded(p string) bool {
	l := strings.ToLower(p)
	for _, pre := range []string{"/usr/share/", "/usr/include/", "/usr/lib/python", "/usr/lib/node_modules/", "/usr/local/share/",
		"/etc/ssl/", "/etc/pki/", "/var/lib/dpkg/", "/var/lib/opkg/", "/usr/lib/opkg/", "/lib/firmware/", "/proc/", "/sys/"} {
		if strings.Contains(l, pre) { // also under a source tree's overlay directory
			return true
		}
	}
	for _, seg := range strings.Split(strings.Trim(l, "/"), "/") {
		switch seg {
		case "test", "tests", "testdata", "testing", "fixtures", "__fixtures__", "spec", "specs", "example", "examples",
			"doc", "docs", "man", "locale", "locales", "i18n", "l10n", "zoneinfo", "mime", "node_modules",
			"site-packages", "dist-packages", "vendor", "third_party", "ca-certificates", ".git", "meta-inf":
			return true
		}
	}
	switch path.Base(l) {
	case "package.json", "package-lock.json", "composer.json", "composer.lock", "bower.json", "manifest.json",
		"tsconfig.json", "yarn.lock", "mimeapps.list", "pom.xml", "build.xml", "ivy.xml", "appdata.xml", "metainfo.xml":
		return true
	}
	return strings.HasSuffix(l, ".schema.json")
}

// excludedChain: a file inside an archive that itself lies in an
// excluded place ("... > zip@0x0:/usr/share/java/x.jar > ...") is
// excluded too.
func excludedChain(chain string) bool {
	for _, step := range strings.Split(chain, " > ") {
		if i := strings.Index(step, ":/"); i >= 0 && excluded(step[i+1:]) {
			return true
		}
	}
	return false
}

// FileRequired implements plugin.FileAnalyzer.
func (a *Analyzer) FileRequired(fi *plugin.FileInfo) bool {
	return fi.Mode.IsRegular() && fi.Size > 0 && formatOf(fi) != fNone
}

// Analyze implements plugin.FileAnalyzer.
func (a *Analyzer) Analyze(ctx context.Context, in *plugin.Input, out *plugin.Results) error {
	if excludedChain(in.Loc.Chain) {
		return nil
	}
	f := formatOf(&in.FileInfo)
	limit := int64(maxText)
	if f == fSQLite {
		limit = maxDB
	}
	if in.Data == nil || in.Size > limit {
		out.SkipLarge(a.Name(), in, limit)
		return nil
	}
	switch f {
	case fSQLite:
		a.sqlite(in, out)
	case fCSV:
		a.csv(in, out)
	case fJSON:
		a.json(in, out)
	case fXML:
		a.xml(in, out)
	case fLog:
		a.log(in, out)
	}
	return nil
}

// report turns a group's verdict into findings: personal data (rule pii)
// and, for columnar stores, plaintext passwords (rule plain, "" for
// none).
func (a *Analyzer) report(in *plugin.Input, out *plugin.Results, g *group, pii, plain, where, unit string) {
	v := g.judge()
	loc := in.Loc
	loc.Line = g.line
	if v.personal {
		title := fmt.Sprintf("Personal data in %s: %s", where, strings.Join(v.kinds(), ", "))
		var sev model.Severity
		switch {
		case v.plain > 0:
			title += ", with plaintext passwords"
			sev = model.High
		case v.unsalted:
			title += ", with unsalted password hashes"
			sev = model.High
		case v.hashed:
			title += ", with password hashes"
			sev = model.High
		}
		a.add(in, out, model.Finding{RuleID: pii, Title: title, Severity: sev, Location: loc,
			Evidence: v.evidence(g.records, unit), Fingerprint: model.Fingerprint(pii, in.Path, g.name)})
	}
	if plain != "" && v.plain > 0 && (pii == RulePIIDatabase || v.plain >= minRecords) && (v.user || v.personal || g.records >= minRecords) {
		var cols []string
		for _, c := range v.cols {
			if c.kind == kPlainPassword {
				cols = append(cols, fmt.Sprintf("%s (%d %s)", c.name, c.rows, plural(c.rows, unit)))
			}
		}
		a.add(in, out, model.Finding{RuleID: plain,
			Title:    fmt.Sprintf("Plaintext passwords in %s", where),
			Location: loc, Evidence: "plaintext in " + strings.Join(cols, ", ") + " (values not shown)",
			Fingerprint: model.Fingerprint(plain, in.Path, g.name)})
	}
}

// add fills f from the catalog and lowers it one step in a backup copy.
func (a *Analyzer) add(in *plugin.Input, out *plugin.Results, f model.Finding) {
	if err := a.cat.Fill(&f); err != nil {
		panic(err) // the rule ids above are the catalog's
	}
	if _, ok := backup(in.Path); ok {
		f.Severity = lower(f.Severity)
		f.Title += " (backup copy)"
	}
	out.Findings = append(out.Findings, f)
}

func lower(s model.Severity) model.Severity {
	switch s {
	case model.Critical:
		return model.High
	case model.High:
		return model.Medium
	case model.Medium:
		return model.Low
	}
	return model.Info
}

// lineOf is the 1-based line of the first occurrence of needle, 0 when
// absent.
func lineOf(data []byte, needle string) int {
	i := bytes.Index(data, []byte(needle))
	if i < 0 {
		return 0
	}
	return bytes.Count(data[:i], []byte{'\n'}) + 1
}
