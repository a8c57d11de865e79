// Package kev reads the CISA Known Exploited Vulnerabilities catalog
// (JSON), streaming its entries.
package kev

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/thingsec/thingsec/internal/vuln/limit"
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
	lr := limit.NewReader(r)
	dec := json.NewDecoder(lr)
	lr.Allow(0, limit.MaxRecord)
	n := 0
	fail := func(off int64, err error) (int, error) {
		return n, fmt.Errorf("entry %d at byte offset %d: %w", n, off, err)
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fail(dec.InputOffset(), fmt.Errorf("not a KEV catalog (want a JSON object): %v", err))
	}
	seen := false
	for dec.More() {
		lr.Allow(dec.InputOffset(), limit.MaxRecord)
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
			lr.Allow(off, limit.MaxRecord)
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
		lr.Allow(dec.InputOffset(), limit.MaxRecord)
		if _, err := dec.Token(); err != nil {
			return fail(dec.InputOffset(), err)
		}
	}
	lr.Allow(dec.InputOffset(), limit.MaxRecord)
	if _, err := dec.Token(); err != nil {
		return fail(dec.InputOffset(), fmt.Errorf("truncated: %w", err))
	}
	if !seen {
		return fail(0, fmt.Errorf(`not a KEV catalog: no "vulnerabilities"`))
	}
	return n, nil
}
