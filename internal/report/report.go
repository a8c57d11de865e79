// Package report turns a finished report into output. The encoder table
// (Encoders) is the one list of output formats: each entry names a format,
// its content type and file extension, the kinds of document it can write
// and the function that writes them. Commands take their --format list and
// their "unknown format" errors from it, so adding a format is one package
// plus one line in the table.
package report

import (
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/diff"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/codequality"
	"github.com/thingsec/thingsec/internal/report/cyclonedx"
	"github.com/thingsec/thingsec/internal/report/gitlab"
	"github.com/thingsec/thingsec/internal/report/html"
	"github.com/thingsec/thingsec/internal/report/junit"
	"github.com/thingsec/thingsec/internal/report/markdown"
	"github.com/thingsec/thingsec/internal/report/openvex"
	"github.com/thingsec/thingsec/internal/report/sarif"
	"github.com/thingsec/thingsec/internal/report/spdx"
	"github.com/thingsec/thingsec/internal/report/table"
	"github.com/thingsec/thingsec/internal/vuln/db"
)

// Kind is what a command writes; each encoder accepts some kinds.
type Kind string

// The document kinds.
const (
	Scan     Kind = "scan"      // a full scan report (thingsec scan)
	SBOM     Kind = "sbom"      // a report of the component analyzers (thingsec sbom)
	Secrets  Kind = "secrets"   // a report of the secret analyzers (thingsec secrets)
	Layers   Kind = "layers"    // the layer tree of an extraction (thingsec unpack)
	Files    Kind = "files"     // the layer tree and file inventory (thingsec ls)
	DBStatus Kind = "db-status" // the vulnerability database status (thingsec db status)
	Rules    Kind = "rules"     // the rule catalog (thingsec rules)
	Diff     Kind = "diff"      // the delta between two reports (thingsec diff)
)

// Doc is one document to encode.
type Doc struct {
	Kind   Kind
	Report *model.Report   // every kind but DBStatus
	DB     *db.Status      // DBStatus
	Dir    string          // Layers: the directory the layers were extracted into
	Long   bool            // Files: show each file's SHA-256
	Now    time.Time       // DBStatus: the time ages are computed at (zero: now)
	Rules  []*catalog.Rule // Rules; Scan and Secrets: the rules that ran (nil: unknown)
	// Table is how the table format renders for a person: colour, width,
	// verbosity, the gate's result.
	Table table.Options
	// Gates are the outcomes of the command's gates (Scan, Secrets).
	Gates []model.Gate
	// GitLab settings: the report schema version (empty: the default)
	// and the commit secrets are reported in (empty: unknown).
	GitLabSchemaVersion string
	Commit              string
	// Delta is the diff (Diff), or a scan's diff against its --baseline
	// (Scan: SARIF results then carry their baselineState).
	Delta *diff.Diff
	// Baseline is the old report of a Diff whose Report is the new one
	// (SARIF locates what was fixed in it); nil when not known.
	Baseline *model.Report
}

// Encoder is one output format.
type Encoder struct {
	Name        string
	ContentType string
	Ext         string // file name extension, with the dot
	Kinds       []Kind
	Encode      func(w io.Writer, d *Doc) error
}

// Accepts says whether the encoder writes documents of kind k.
func (e *Encoder) Accepts(k Kind) bool { return slices.Contains(e.Kinds, k) }

// Encoders is the encoder table, in the order formats are listed.
var Encoders = []Encoder{
	{Name: "table", ContentType: "text/plain; charset=utf-8", Ext: ".txt", Kinds: []Kind{Scan, Secrets, Layers, Files, DBStatus, Rules, Diff}, Encode: encodeTable},
	{Name: "json", ContentType: "application/json", Ext: ".json", Kinds: []Kind{Scan, SBOM, Secrets, Layers, Files, DBStatus, Rules, Diff}, Encode: encodeJSON},
	{Name: "cyclonedx", ContentType: "application/vnd.cyclonedx+json", Ext: ".cdx.json", Kinds: []Kind{Scan, SBOM}, Encode: reportOnly(cyclonedx.Encode)},
	{Name: "spdx", ContentType: "application/spdx+json", Ext: ".spdx.json", Kinds: []Kind{Scan, SBOM}, Encode: reportOnly(spdx.Encode)},
	{Name: "openvex", ContentType: "application/json", Ext: ".openvex.json", Kinds: []Kind{Scan}, Encode: reportOnly(openvex.Encode)},
	{Name: "html", ContentType: "text/html; charset=utf-8", Ext: ".html", Kinds: []Kind{Scan, Secrets, Diff}, Encode: encodeHTML},
	{Name: "markdown", ContentType: "text/markdown; charset=utf-8", Ext: ".md", Kinds: []Kind{Scan, Secrets, Rules, Diff}, Encode: encodeMarkdown},
	{Name: "sarif", ContentType: "application/sarif+json", Ext: ".sarif", Kinds: []Kind{Scan, Secrets, Diff}, Encode: encodeSARIF},
	{Name: "gitlab-sast", ContentType: "application/json", Ext: ".gl-sast-report.json", Kinds: []Kind{Scan, Secrets}, Encode: encodeGitLab(gitlab.SAST)},
	{Name: "gitlab-secret-detection", ContentType: "application/json", Ext: ".gl-secret-detection-report.json", Kinds: []Kind{Scan, Secrets}, Encode: encodeGitLab(gitlab.SecretDetection)},
	{Name: "gitlab-dependency-scanning", ContentType: "application/json", Ext: ".gl-dependency-scanning-report.json", Kinds: []Kind{Scan, SBOM}, Encode: encodeGitLab(gitlab.DependencyScanning)},
	{Name: "gitlab-codequality", ContentType: "application/json", Ext: ".codequality.json", Kinds: []Kind{Scan, Secrets}, Encode: reportOnly(codequality.Encode)},
	{Name: "junit", ContentType: "application/xml", Ext: ".junit.xml", Kinds: []Kind{Scan, Secrets, Diff}, Encode: encodeJUnit},
}

// Formats lists the names of the encoders that accept kind k, in table
// order.
func Formats(k Kind) []string {
	var names []string
	for i := range Encoders {
		if Encoders[i].Accepts(k) {
			names = append(names, Encoders[i].Name)
		}
	}
	return names
}

// Lookup returns the encoder called name that accepts kind k.
func Lookup(name string, k Kind) (*Encoder, error) {
	for i := range Encoders {
		if e := &Encoders[i]; e.Name == name && e.Accepts(k) {
			return e, nil
		}
	}
	return nil, &FormatError{Format: name, Kind: k}
}

// FormatError is an unknown format, or one that cannot write the kind.
type FormatError struct {
	Format string
	Kind   Kind
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("--format %q: this command writes %v", e.Format, Formats(e.Kind))
}

// Encode writes d in the format called name.
func Encode(w io.Writer, name string, d *Doc) error {
	e, err := Lookup(name, d.Kind)
	if err != nil {
		return err
	}
	return e.Encode(w, d)
}

// reportOnly adapts an encoder of scan reports to the table.
func reportOnly(enc func(io.Writer, *model.Report) error) func(io.Writer, *Doc) error {
	return func(w io.Writer, d *Doc) error { return enc(w, d.Report) }
}

func encodeSARIF(w io.Writer, d *Doc) error {
	switch {
	case d.Kind == Diff:
		if d.Report == nil {
			return fmt.Errorf("sarif: the diff's new report is needed to locate its results")
		}
		return sarif.EncodeDiff(w, d.Baseline, d.Report, d.Rules, d.Delta)
	case d.Delta != nil:
		return sarif.EncodeBaseline(w, d.Report, d.Rules, d.Delta)
	}
	return sarif.Encode(w, d.Report, d.Rules)
}

func encodeJUnit(w io.Writer, d *Doc) error {
	if d.Kind == Diff {
		return junit.EncodeDiff(w, d.Delta, d.Rules)
	}
	return junit.Encode(w, d.Report, junit.Options{Rules: d.Rules, Gates: d.Gates})
}

func encodeGitLab(k gitlab.Kind) func(io.Writer, *Doc) error {
	return func(w io.Writer, d *Doc) error {
		return gitlab.Encode(w, k, d.Report, gitlab.Options{SchemaVersion: d.GitLabSchemaVersion, Commit: d.Commit, Rules: d.Rules})
	}
}

func encodeMarkdown(w io.Writer, d *Doc) error {
	switch d.Kind {
	case Rules:
		return catalog.WriteMarkdown(w, d.Rules)
	case Diff:
		return markdown.EncodeDiff(w, d.Delta)
	}
	return markdown.Encode(w, d.Report)
}

func encodeHTML(w io.Writer, d *Doc) error {
	switch d.Kind {
	case Secrets:
		return html.EncodeSecrets(w, d.Report)
	case Diff:
		return html.EncodeDiff(w, d.Delta)
	}
	return html.Encode(w, d.Report)
}

func encodeJSON(w io.Writer, d *Doc) error {
	switch d.Kind {
	case DBStatus:
		return writeJSON(w, d.DB)
	case Rules:
		return catalog.WriteJSON(w, d.Rules)
	case Diff:
		return writeJSON(w, d.Delta)
	}
	return JSON(w, d.Report)
}

func encodeTable(w io.Writer, d *Doc) error {
	switch d.Kind {
	case Layers:
		return table.Layers(w, d.Report, d.Dir, d.Table)
	case Files:
		return table.Files(w, d.Report, d.Long, d.Table)
	case DBStatus:
		now := d.Now
		if now.IsZero() {
			now = time.Now()
		}
		return table.DBStatus(w, d.DB, now)
	case Rules:
		return catalog.WriteTable(w, d.Rules)
	case Diff:
		return table.Diff(w, d.Delta)
	}
	return table.Report(w, d.Report, d.Table)
}
