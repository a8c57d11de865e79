// Package nvd reads NVD CVE API 2.0 JSON: a single "cve" object, a yearly
// feed or an API result page ({"vulnerabilities":[{"cve":{...}}], ...}),
// streaming one record at a time.
package nvd

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

// Record is one CVE as the database stores it.
type Record struct {
	Vuln    record.Vuln
	Configs []record.Config
}

// PosError says where in a feed a record could not be read.
type PosError struct {
	Record int   // 0-based index of the record in the feed
	Offset int64 // byte offset in the (decompressed) stream
	Err    error
}

func (e *PosError) Error() string {
	return fmt.Sprintf("record %d at byte offset %d: %v", e.Record, e.Offset, e.Err)
}
func (e *PosError) Unwrap() error { return e.Err }

// Page is what an API result page says about itself besides its records.
type Page struct {
	ResultsPerPage int    `json:"resultsPerPage"`
	StartIndex     int    `json:"startIndex"`
	TotalResults   int    `json:"totalResults"`
	Timestamp      string `json:"timestamp"`
}

// Decode streams the records of r to put and returns the page header (zero
// for a single record or a feed without one) and the record count.
func Decode(r io.Reader, put func(Record) error) (Page, int, error) {
	var page Page
	lr := limit.NewReader(r)
	dec := json.NewDecoder(lr)
	lr.Allow(0, limit.MaxRecord)
	tok, err := dec.Token()
	if err != nil {
		return page, 0, &PosError{0, dec.InputOffset(), fmt.Errorf("not JSON: %w", err)}
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return page, 0, &PosError{0, dec.InputOffset(), fmt.Errorf("want a JSON object, got %v", tok)}
	}
	// Top-level keys other than "vulnerabilities" are small: keep them to
	// rebuild a lone cve object when the file is one.
	rest := map[string]json.RawMessage{}
	restSize := 0
	n := 0
	sawFeed := false
	for dec.More() {
		off := dec.InputOffset()
		lr.Allow(off, limit.MaxRecord)
		tok, err := dec.Token()
		if err != nil {
			return page, n, &PosError{n, off, err}
		}
		key, _ := tok.(string)
		if key != "vulnerabilities" {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return page, n, &PosError{n, off, fmt.Errorf("field %q: %w", key, err)}
			}
			if restSize += len(raw); restSize > limit.MaxRecord {
				return page, n, &PosError{n, off, fmt.Errorf("field %q: %w: the fields besides \"vulnerabilities\" take more than %d bytes", key, limit.ErrTooLarge, limit.MaxRecord)}
			}
			rest[key] = raw
			continue
		}
		sawFeed = true
		if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
			return page, n, &PosError{n, dec.InputOffset(), fmt.Errorf(`"vulnerabilities" is not an array (%v)`, err)}
		}
		for dec.More() {
			off := dec.InputOffset()
			lr.Allow(off, limit.MaxRecord)
			var item struct {
				CVE *cveJSON `json:"cve"`
			}
			if err := dec.Decode(&item); err != nil {
				return page, n, &PosError{n, off, err}
			}
			if item.CVE == nil || item.CVE.ID == "" {
				return page, n, &PosError{n, off, fmt.Errorf(`item without "cve.id"`)}
			}
			if err := put(item.CVE.record()); err != nil {
				return page, n, &PosError{n, off, err}
			}
			n++
		}
		lr.Allow(dec.InputOffset(), limit.MaxRecord)
		if _, err := dec.Token(); err != nil {
			return page, n, &PosError{n, dec.InputOffset(), err}
		}
	}
	lr.Allow(dec.InputOffset(), limit.MaxRecord)
	if _, err := dec.Token(); err != nil {
		return page, n, &PosError{n, dec.InputOffset(), fmt.Errorf("truncated: %w", err)}
	}
	if !sawFeed {
		whole, err := json.Marshal(rest)
		if err != nil {
			return page, 0, err
		}
		var c cveJSON
		if err := json.Unmarshal(whole, &c); err != nil || c.ID == "" {
			return page, 0, &PosError{0, 0, fmt.Errorf(`neither an NVD feed ("vulnerabilities") nor a cve record ("id"): %v`, err)}
		}
		if err := put(c.record()); err != nil {
			return page, 0, &PosError{0, 0, err}
		}
		return page, 1, nil
	}
	for k, dst := range map[string]any{"resultsPerPage": &page.ResultsPerPage, "startIndex": &page.StartIndex, "totalResults": &page.TotalResults, "timestamp": &page.Timestamp} {
		if raw, ok := rest[k]; ok {
			json.Unmarshal(raw, dst) //nolint:errcheck // informational
		}
	}
	return page, n, nil
}

type cveJSON struct {
	ID           string `json:"id"`
	Published    string `json:"published"`
	LastModified string `json:"lastModified"`
	VulnStatus   string `json:"vulnStatus"`
	Descriptions []text `json:"descriptions"`
	Metrics      struct {
		V40 []metric `json:"cvssMetricV40"`
		V31 []metric `json:"cvssMetricV31"`
		V30 []metric `json:"cvssMetricV30"`
		V2  []metric `json:"cvssMetricV2"`
	} `json:"metrics"`
	Weaknesses []struct {
		Description []text `json:"description"`
	} `json:"weaknesses"`
	Configurations []struct {
		Operator string `json:"operator"`
		Negate   bool   `json:"negate"`
		Nodes    []struct {
			Operator string `json:"operator"`
			Negate   bool   `json:"negate"`
			CPEMatch []struct {
				Vulnerable            bool   `json:"vulnerable"`
				Criteria              string `json:"criteria"`
				VersionStartIncluding string `json:"versionStartIncluding"`
				VersionStartExcluding string `json:"versionStartExcluding"`
				VersionEndIncluding   string `json:"versionEndIncluding"`
				VersionEndExcluding   string `json:"versionEndExcluding"`
			} `json:"cpeMatch"`
		} `json:"nodes"`
	} `json:"configurations"`
	References []struct {
		URL string `json:"url"`
	} `json:"references"`
	CisaExploitAdd string `json:"cisaExploitAdd"`
	CisaActionDue  string `json:"cisaActionDue"`
}

type text struct {
	Lang  string `json:"lang"`
	Value string `json:"value"`
}

type metric struct {
	Source   string `json:"source"`
	Type     string `json:"type"`
	CVSSData struct {
		Version      string  `json:"version"`
		VectorString string  `json:"vectorString"`
		BaseScore    float64 `json:"baseScore"`
		BaseSeverity string  `json:"baseSeverity"`
	} `json:"cvssData"`
	BaseSeverity string `json:"baseSeverity"` // v2 keeps it here
}

func (c *cveJSON) record() Record {
	v := record.Vuln{ID: c.ID, Source: record.SourceNVD, Published: c.Published, Modified: c.LastModified}
	for _, d := range c.Descriptions {
		if d.Lang == "en" {
			v.Summary = d.Value
			break
		}
	}
	v.Detail.KEVAdded, v.Detail.KEVDue = c.CisaExploitAdd, c.CisaActionDue
	v.Detail.CVSS, v.Severity = scores(c)
	for _, w := range c.Weaknesses {
		for _, d := range w.Description {
			if strings.HasPrefix(d.Value, "CWE-") && !slices.Contains(v.Detail.CWE, d.Value) {
				v.Detail.CWE = append(v.Detail.CWE, d.Value)
			}
		}
	}
	for _, r := range c.References {
		if !slices.Contains(v.Detail.References, r.URL) {
			v.Detail.References = append(v.Detail.References, r.URL)
		}
	}
	var cfgs []record.Config
	for _, cf := range c.Configurations {
		out := record.Config{Operator: cf.Operator, Negate: cf.Negate}
		for _, n := range cf.Nodes {
			node := record.Node{Operator: n.Operator, Negate: n.Negate}
			for _, m := range n.CPEMatch {
				node.Matches = append(node.Matches, record.CPEMatch{
					Vulnerable: m.Vulnerable, Criteria: m.Criteria,
					StartIncl: m.VersionStartIncluding, StartExcl: m.VersionStartExcluding,
					EndIncl: m.VersionEndIncluding, EndExcl: m.VersionEndExcluding,
				})
			}
			out.Nodes = append(out.Nodes, node)
		}
		cfgs = append(cfgs, out)
	}
	return Record{Vuln: v, Configs: cfgs}
}

// scores lists the CVSS metrics (v4.0, v3.1, v3.0, v2; primary first) and
// picks the severity: the primary v3.x, else any v3.x, else v4.0, else v2.
func scores(c *cveJSON) ([]model.CVSS, model.Severity) {
	var out []model.CVSS
	var sev model.Severity
	pick := func(ms []metric, setSev bool) {
		sorted := slices.Clone(ms)
		slices.SortStableFunc(sorted, func(a, b metric) int {
			return boolRank(b.Type == "Primary") - boolRank(a.Type == "Primary")
		})
		for _, m := range sorted {
			out = append(out, model.CVSS{Version: m.CVSSData.Version, Score: m.CVSSData.BaseScore, Vector: m.CVSSData.VectorString, Source: m.Source})
			s := m.CVSSData.BaseSeverity
			if s == "" {
				s = m.BaseSeverity
			}
			if ps, ok := model.ParseSeverity(s); ok && ps != model.Unknown && sev == "" && setSev {
				sev = ps
			}
		}
	}
	pick(c.Metrics.V31, true)
	pick(c.Metrics.V30, true)
	pick(c.Metrics.V40, true)
	pick(c.Metrics.V2, true)
	return out, sev
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ReadPage reads only an API result page's header fields, stopping at its
// "vulnerabilities" (the NVD API writes the header first).
func ReadPage(r io.Reader) (Page, error) {
	var p Page
	dec := json.NewDecoder(r)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return p, fmt.Errorf("not an NVD API page (want a JSON object): %v", err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return p, err
		}
		var dst any
		switch tok {
		case "vulnerabilities":
			return p, nil
		case "resultsPerPage":
			dst = &p.ResultsPerPage
		case "startIndex":
			dst = &p.StartIndex
		case "totalResults":
			dst = &p.TotalResults
		case "timestamp":
			dst = &p.Timestamp
		default:
			dst = new(json.RawMessage)
		}
		if err := dec.Decode(dst); err != nil {
			return p, fmt.Errorf("field %v: %w", tok, err)
		}
	}
	return p, nil
}
