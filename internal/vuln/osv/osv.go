// Package osv reads OSV advisories (https://ossf.github.io/osv-schema/):
// one JSON record per file, as in the Go vulnerability database and the
// per-ecosystem all.zip exports.
package osv

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/vuln/limit"
	"github.com/thingsec/thingsec/internal/vuln/record"
)

// Record is one advisory as the database stores it.
type Record struct {
	Vuln     record.Vuln
	Affected []record.Affected
}

type osvJSON struct {
	ID        string   `json:"id"`
	Modified  string   `json:"modified"`
	Published string   `json:"published"`
	Withdrawn string   `json:"withdrawn"`
	Aliases   []string `json:"aliases"`
	Related   []string `json:"related"`
	Summary   string   `json:"summary"`
	Details   string   `json:"details"`
	Affected  []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		} `json:"package"`
		Ranges   []record.Range `json:"ranges"`
		Versions []string       `json:"versions"`
	} `json:"affected"`
	References []struct {
		URL string `json:"url"`
	} `json:"references"`
	DatabaseSpecific struct {
		CWEIDs   []string `json:"cwe_ids"`
		Severity string   `json:"severity"`
	} `json:"database_specific"`
}

// Decode reads one OSV record.
func Decode(r io.Reader) (Record, error) {
	var o osvJSON
	lr := limit.NewReader(r)
	lr.Allow(0, limit.MaxRecord)
	dec := json.NewDecoder(lr)
	if err := dec.Decode(&o); err != nil {
		return Record{}, fmt.Errorf("byte offset %d: %w", dec.InputOffset(), err)
	}
	if o.ID == "" {
		return Record{}, fmt.Errorf(`not an OSV record: no "id"`)
	}
	v := record.Vuln{ID: o.ID, Source: record.SourceOSV, Published: o.Published, Modified: o.Modified, Summary: o.Summary}
	if v.Summary == "" {
		v.Summary, _, _ = strings.Cut(strings.TrimSpace(o.Details), "\n")
	}
	v.Detail.Aliases = o.Aliases
	v.Detail.CWE = o.DatabaseSpecific.CWEIDs
	if s, ok := model.ParseSeverity(strings.ReplaceAll(o.DatabaseSpecific.Severity, "MODERATE", "medium")); ok && s != model.Unknown {
		v.Severity = s
	}
	for _, ref := range o.References {
		if !slices.Contains(v.Detail.References, ref.URL) {
			v.Detail.References = append(v.Detail.References, ref.URL)
		}
	}
	rec := Record{Vuln: v}
	if o.Withdrawn != "" { // kept for its ID, never matched
		return rec, nil
	}
	for _, a := range o.Affected {
		if a.Package.Name == "" || a.Package.Ecosystem == "" {
			continue
		}
		rec.Affected = append(rec.Affected, record.Affected{Ecosystem: a.Package.Ecosystem, Name: a.Package.Name, Ranges: a.Ranges, Versions: a.Versions})
	}
	return rec, nil
}
