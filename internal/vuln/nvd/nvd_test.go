package nvd

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
)

const sampleRecord = "../sample/nvd/CVE-2022-0778.json"

func TestDecodeSingleAndPage(t *testing.T) {
	raw, err := os.ReadFile(sampleRecord)
	if err != nil {
		t.Fatal(err)
	}
	page := []byte(`{"resultsPerPage":2,"startIndex":4,"totalResults":6,"format":"NVD_CVE","version":"2.0","timestamp":"2026-11-24T00:00:00.000","vulnerabilities":[{"cve":` + string(raw) + `},{"cve":` + string(raw) + `}]}`)
	for _, tc := range []struct {
		name string
		in   []byte
		n    int
	}{{"single", raw, 1}, {"page", page, 2}} {
		var recs []Record
		p, n, err := Decode(bytes.NewReader(tc.in), func(r Record) error { recs = append(recs, r); return nil })
		if err != nil || n != tc.n || len(recs) != tc.n {
			t.Fatalf("%s: n=%d err=%v", tc.name, n, err)
		}
		v := recs[0].Vuln
		if v.ID != "CVE-2022-0778" || v.Severity != model.High || !strings.HasPrefix(v.Summary, "The BN_mod_sqrt() function") {
			t.Errorf("%s: %+v", tc.name, v)
		}
		if len(v.Detail.CVSS) == 0 || v.Detail.CVSS[0].Version != "3.1" || v.Detail.CVSS[0].Score != 7.5 || v.Detail.CVSS[0].Vector != "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H" {
			t.Errorf("%s: CVSS %+v", tc.name, v.Detail.CVSS)
		}
		if len(v.Detail.CWE) != 1 || v.Detail.CWE[0] != "CWE-835" {
			t.Errorf("%s: CWE %v", tc.name, v.Detail.CWE)
		}
		if len(recs[0].Configs) == 0 || recs[0].Configs[0].Nodes[0].Matches[0].Criteria == "" {
			t.Errorf("%s: configurations %+v", tc.name, recs[0].Configs)
		}
		if tc.name == "page" && (p.TotalResults != 6 || p.StartIndex != 4 || p.ResultsPerPage != 2) {
			t.Errorf("page header %+v", p)
		}
	}
	hp, err := ReadPage(bytes.NewReader(page))
	if err != nil || hp.TotalResults != 6 || hp.ResultsPerPage != 2 {
		t.Errorf("ReadPage = %+v, %v", hp, err)
	}
}

func TestDecodeErrorsHavePositions(t *testing.T) {
	raw, _ := os.ReadFile(sampleRecord)
	feed := `{"vulnerabilities":[{"cve":` + string(raw) + `},{"cve":` + string(raw)
	_, n, err := Decode(strings.NewReader(feed), func(Record) error { return nil })
	pe, ok := err.(*PosError)
	if !ok || n != 1 || pe.Record != 1 || pe.Offset != int64(len(`{"vulnerabilities":[{"cve":`+string(raw)+`}`)) {
		t.Fatalf("truncated feed: n=%d err=%#v", n, err)
	}
	for _, bad := range []string{"", "[]", `{"vulnerabilities":{}}`, `{"foo":1}`, `{"vulnerabilities":[{"x":1}]}`} {
		if _, _, err := Decode(strings.NewReader(bad), func(Record) error { return nil }); err == nil {
			t.Errorf("Decode(%q) accepted", bad)
		}
	}
}

func FuzzDecode(f *testing.F) {
	raw, _ := os.ReadFile(sampleRecord)
	f.Add(raw)
	f.Add([]byte(`{"vulnerabilities":[{"cve":{"id":"CVE-1","configurations":[{"nodes":[{"cpeMatch":[{"criteria":"cpe:2.3:a:x:y:*"}]}]}]}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		Decode(bytes.NewReader(b), func(Record) error { return nil })
		ReadPage(bytes.NewReader(b))
	})
}
