// Package kev reads the CISA Known Exploited Vulnerabilities catalog
// (JSON), streaming its entries.
package kev

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/thingsec/thingsec/internal/vuln/record"
)

type entry struct {
	CVEID      string `json:"cveID"`
	Name       string `json:"vulnerabilityName"`
	DateAdded  string `json:"dateAdded"`
	DueDate    string `json:"dueDate"`
	Ransomware string `json:"knownRansomwareCampaignUse"`
}

// Decode streams the catalog's entries to put and returns their count.
func Decode(r io.Reader, put func(record.KEV) error) (int, error) {
	dec := json.NewDecoder(r)
	n := 0
	fail := func(off int64, err error) (int, error) {
		return n, fmt.Errorf("entry %d at byte offset %d: %w", n, off, err)
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fail(dec.InputOffset(), fmt.Errorf("not a KEV catalog (want a JSON object): %v", err))
	}
	seen := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail(dec.InputOffset(), err)
		}
		if tok != "vulnerabilities" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fail(dec.InputOffset(), err)
			}
			continue
		}
		seen = true
		if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
			return fail(dec.InputOffset(), fmt.Errorf(`"vulnerabilities" is not an array`))
		}
		for dec.More() {
			off := dec.InputOffset()
			var e entry
			if err := dec.Decode(&e); err != nil {
				return fail(off, err)
			}
			if e.CVEID == "" || e.DateAdded == "" {
				return fail(off, fmt.Errorf("entry without cveID or dateAdded"))
			}
			if err := put(record.KEV{CVE: e.CVEID, DateAdded: e.DateAdded, DueDate: e.DueDate, Ransomware: e.Ransomware, Name: e.Name}); err != nil {
				return fail(off, err)
			}
			n++
		}
		if _, err := dec.Token(); err != nil {
			return fail(dec.InputOffset(), err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return fail(dec.InputOffset(), fmt.Errorf("truncated: %w", err))
	}
	if !seen {
		return fail(0, fmt.Errorf(`not a KEV catalog: no "vulnerabilities"`))
	}
	return n, nil
}
