package model_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
)

// readTestdata reads a report written by an earlier thingsec.
func readTestdata(t *testing.T, name string) *model.Report {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := model.ReadReport(f)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestReadReport1 reads real 1.0.0 reports (testdata/README.md says how
// they were made): the upgraded report is valid against the current
// schema, and every field 2.0.0 changed or added says what 1.0.0 said.
func TestReadReport1(t *testing.T) {
	for _, name := range []string{"report-1.0.0-demo.json", "report-1.0.0-vulns.json"} {
		t.Run(name, func(t *testing.T) {
			rep := readTestdata(t, name)
			if rep.SchemaVersion != model.SchemaVersion || rep.Schema != model.SchemaID {
				t.Errorf("schema %q %q", rep.Schema, rep.SchemaVersion)
			}
			if len(rep.Notes) == 0 || !strings.Contains(rep.Notes[len(rep.Notes)-1], "schema 1.0.0") {
				t.Errorf("no note on the upgrade: %q", rep.Notes)
			}
			for _, l := range rep.Layers {
				if len(l.ChainSteps) != l.Depth+1 {
					t.Errorf("layer %s: depth %d, %d chain steps", l.ID, l.Depth, len(l.ChainSteps))
				}
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			if err := enc.Encode(rep); err != nil {
				t.Fatal(err)
			}
			reporttest.Validate(t, buf.Bytes())
		})
	}
}

func TestReadReport1Vulnerabilities(t *testing.T) {
	rep := readTestdata(t, "report-1.0.0-vulns.json")
	byID := map[string]model.Vulnerability{}
	for _, v := range rep.Vulnerabilities {
		byID[v.ID] = v
		if v.Severity == model.Info || v.Severity.Rank() == 0 {
			t.Errorf("%s: severity %q", v.ID, v.Severity)
		}
		if v.MatchedBy.Method != "cpe" && v.MatchedBy.Method != "purl" {
			t.Errorf("%s: matched_by %+v", v.ID, v.MatchedBy)
		}
	}
	date := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		id        string
		match     model.Match
		severity  model.Severity
		name, ver string
		published time.Time
		kevAdded  time.Time
	}{
		{"CVE-2021-42376", model.Match{Method: "cpe", Criterion: "cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*", Constraint: ">=1.16.0, <1.34.0"},
			model.Medium, "busybox", "1.33.1", time.Date(2021, 11, 15, 21, 15, 7, 0, time.UTC), time.Time{}},
		{"CVE-2021-42373", model.Match{Method: "cpe", Criterion: "cpe:2.3:a:busybox:busybox:1.33.1:*:*:*:*:*:*:*", Constraint: "=1.33.1"},
			model.Medium, "busybox", "1.33.1", time.Date(2021, 11, 15, 21, 15, 7, 0, time.UTC), time.Time{}},
		{"CVE-2022-0847", model.Match{Method: "cpe", Criterion: "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*", Constraint: ">=5.16, <5.16.11"},
			model.High, "kernel", "5.16.10-1-abc", time.Date(2022, 3, 10, 17, 44, 57, 0, time.UTC), date(2022, 4, 25)},
		// 1.0.0 gave unscored advisories info; Go's database writes the
		// zero time for an unknown publication date
		{"GO-2021-0113", model.Match{Method: "purl", Criterion: "pkg:golang/golang.org/x/text", Ecosystem: "Go", Constraint: "<0.3.7"},
			model.Unknown, "golang.org/x/text", "v0.3.5", time.Date(2021, 10, 6, 17, 51, 21, 0, time.UTC), time.Time{}},
		{"GO-2022-1059", model.Match{Method: "purl", Criterion: "pkg:golang/golang.org/x/text", Ecosystem: "Go", Constraint: "<0.3.8"},
			model.Unknown, "golang.org/x/text", "v0.3.5", time.Time{}, time.Time{}},
	}
	for _, tt := range tests {
		v, ok := byID[tt.id]
		if !ok {
			t.Errorf("%s missing", tt.id)
			continue
		}
		if v.MatchedBy != tt.match || v.Severity != tt.severity || v.ComponentName != tt.name || v.InstalledVersion != tt.ver || !v.Published.Equal(tt.published) {
			t.Errorf("%s: %+v %s %q %q %v", tt.id, v.MatchedBy, v.Severity, v.ComponentName, v.InstalledVersion, v.Published)
		}
		if v.URL != model.AdvisoryURL(tt.id) {
			t.Errorf("%s: url %q", tt.id, v.URL)
		}
		if got := v.KEV != nil; got != !tt.kevAdded.IsZero() || got && !v.KEV.DateAdded.Equal(tt.kevAdded) {
			t.Errorf("%s: kev %+v", tt.id, v.KEV)
		}
	}
	by := rep.Summary.VulnerabilitiesBySeverity
	if by["unknown"] != 27 || by["info"] != 0 || len(by) != 5 {
		t.Errorf("vulnerabilities_by_severity %v", by)
	}
}

// TestReadReportVersions: a later minor version of this major reads
// (unknown fields ignored); a later major, a report without version and
// other JSON do not.
func TestReadReportVersions(t *testing.T) {
	later := `{"$schema":"` + model.SchemaID + `","schema_version":"2.7.0","tool":{"name":"thingsec","version":"9","build":"x"},
		"target":{"name":"fw.bin","kind":"file","size":1},"started_at":"2030-01-02T03:04:05Z","new_block":{"a":[1,2]},
		"vulnerabilities":[{"id":"CVE-1","severity":"high","matched_by":{"method":"binary-fingerprint","criterion":"x","constraint":"*","new":1}}]}`
	rep, err := model.DecodeReport([]byte(later))
	if err != nil {
		t.Fatal(err)
	}
	if rep.SchemaVersion != "2.7.0" || rep.Tool.Version != "9" || rep.Vulnerabilities[0].MatchedBy.Method != "binary-fingerprint" ||
		!rep.StartedAt.Equal(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("read %+v", rep)
	}
	for _, bad := range []string{
		`{"schema_version":"3.0.0"}`,
		`{"schema_version":"x"}`,
		`{"tool":{"name":"thingsec"}}`,
		`[1,2]`,
		`{"schema_version":"1.0.0","vulnerabilities":{"not":"a list"}}`,
	} {
		if _, err := model.DecodeReport([]byte(bad)); err == nil {
			t.Errorf("%s: read without error", bad)
		}
	}
}

func TestParseMatchedBy1(t *testing.T) {
	tests := []struct {
		in, purl string
		want     model.Match
	}{
		{"cpe:2.3:a:thekelleys:dnsmasq:*:*:*:*:*:*:*:* versionEndExcluding 2.87", "",
			model.Match{Method: "cpe", Criterion: "cpe:2.3:a:thekelleys:dnsmasq:*:*:*:*:*:*:*:*", Constraint: "<2.87"}},
		{"cpe:2.3:a:nvidia:geforce_experience:*:*:*:*:*:*:*:* versionStartIncluding 3.0 versionEndExcluding 3.10.0.55 (AND configuration)", "",
			model.Match{Method: "cpe", Criterion: "cpe:2.3:a:nvidia:geforce_experience:*:*:*:*:*:*:*:*", Constraint: ">=3.0, <3.10.0.55", AndConfiguration: true}},
		{"cpe:2.3:a:x:y:*:*:*:*:*:*:*:* versionStartExcluding 1 versionEndIncluding 2; cpe:2.3:a:x:y:1.5:*:*:*:*:*:*:*", "",
			model.Match{Method: "cpe", Criterion: "cpe:2.3:a:x:y:*:*:*:*:*:*:*:*", Constraint: ">1, <=2"}},
		{"cpe:2.3:a:denx:u-boot:2022.07:rc1:*:*:*:*:*:*", "",
			model.Match{Method: "cpe", Criterion: "cpe:2.3:a:denx:u-boot:2022.07:rc1:*:*:*:*:*:*", Constraint: "=2022.07:rc1"}},
		{"cpe:2.3:a:x:y:*:*:*:*:*:*:*:*", "", model.Match{Method: "cpe", Criterion: "cpe:2.3:a:x:y:*:*:*:*:*:*:*:*", Constraint: "*"}},
		{"osv Go golang.org/x/text >=0 <0.3.7", "pkg:golang/golang.org/x/text@v0.3.5",
			model.Match{Method: "purl", Criterion: "pkg:golang/golang.org/x/text", Ecosystem: "Go", Constraint: "<0.3.7"}},
		{"osv Debian:12 openssl version 3.0.11-1~deb12u1", "pkg:deb/debian/openssl@3.0.11-1~deb12u1?arch=armhf&distro=debian-12",
			model.Match{Method: "purl", Criterion: "pkg:deb/debian/openssl", Ecosystem: "Debian:12", Constraint: "=3.0.11-1~deb12u1"}},
		{"osv npm lodash >=4.0.0 <=4.17.20", "",
			model.Match{Method: "purl", Criterion: "lodash", Ecosystem: "npm", Constraint: ">=4.0.0, <=4.17.20"}},
		{"osv Go stdlib >=0", "pkg:golang/stdlib@go1.20.1", model.Match{Method: "purl", Criterion: "pkg:golang/stdlib", Ecosystem: "Go", Constraint: "*"}},
		{"something else", "", model.Match{Method: "unknown", Criterion: "something else"}},
	}
	for _, tt := range tests {
		if got := model.ParseMatchedBy1(tt.in, tt.purl); got != tt.want {
			t.Errorf("%q: %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339, "" for not ok
	}{
		{"2022-04-03T21:15:08.207", "2022-04-03T21:15:08Z"}, // NVD: UTC without zone
		{"2021-10-06T17:51:21Z", "2021-10-06T17:51:21Z"},    // OSV
		{"2024-05-01T10:00:00.5+02:00", "2024-05-01T08:00:00Z"},
		{"2022-04-25", "2022-04-25T00:00:00Z"}, // KEV, EPSS
		{"2024-01-01T00:00:00+0000", "2024-01-01T00:00:00Z"},
		{"0001-01-01T00:00:00Z", ""}, // Go vulndb: not known
		{"", ""},
		{"25/04/2022", ""},
	}
	for _, tt := range tests {
		got, ok := model.ParseTime(tt.in)
		if s := got.Format(time.RFC3339); ok != (tt.want != "") || ok && s != tt.want {
			t.Errorf("ParseTime(%q) = %s %v, want %q", tt.in, s, ok, tt.want)
		}
	}
}

func TestAdvisoryURL(t *testing.T) {
	for id, want := range map[string]string{
		"CVE-2022-0847":       "https://nvd.nist.gov/vuln/detail/CVE-2022-0847",
		"GHSA-jfh8-c2jp-5v3q": "https://github.com/advisories/GHSA-jfh8-c2jp-5v3q",
		"GO-2021-0113":        "https://osv.dev/vulnerability/GO-2021-0113",
		"DSA-5139-1":          "https://osv.dev/vulnerability/DSA-5139-1",
	} {
		if got := model.AdvisoryURL(id); got != want {
			t.Errorf("%s: %s, want %s", id, got, want)
		}
	}
}

// TestLinkChains: steps follow the layer tree; a parent cycle in a
// hand-made report ends instead of looping.
func TestLinkChains(t *testing.T) {
	rep := &model.Report{
		Layers: []model.Layer{
			{ID: "L0", Format: "file", Chain: "fw.bin"},
			{ID: "L1", Parent: "L0", Source: "/fw.bin", Format: "trx", Offset: 0},
			{ID: "L2", Parent: "L1", Source: "/part1", Format: "squashfs", Offset: 0x40},
			{ID: "L3", Parent: "L4", Format: "x"},
			{ID: "L4", Parent: "L3", Format: "y"},
		},
		Findings: []model.Finding{{Location: model.Location{Layer: "L2", Path: "/etc/shadow"}}, {Location: model.Location{Layer: "git", Path: "/a"}}},
	}
	rep.LinkChains()
	want := []model.ChainStep{{Format: "file", Path: "fw.bin"}, {Format: "trx", Path: "/fw.bin"}, {Format: "squashfs", Offset: 0x40, Path: "/part1"}}
	if got := rep.Findings[0].Location.ChainSteps; !equalSteps(got, want) {
		t.Errorf("steps %+v, want %+v", got, want)
	}
	if rep.Findings[1].Location.ChainSteps != nil {
		t.Errorf("a location outside the layers got steps")
	}
	if len(rep.Layers[3].ChainSteps) == 0 || len(rep.Layers[3].ChainSteps) > 3 {
		t.Errorf("cycle: %+v", rep.Layers[3].ChainSteps)
	}
}

func equalSteps(a, b []model.ChainStep) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSchemaForwardCompatible: the published schema allows unknown
// properties everywhere, so a report of a later minor version, which may
// add fields anywhere, is valid against it; and it describes the fields
// from the doc comments.
func TestSchemaForwardCompatible(t *testing.T) {
	raw, err := os.ReadFile(reporttest.SchemaFile(t))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(`"additionalProperties": false`)) {
		t.Error("the schema forbids unknown properties")
	}
	var s struct {
		ID    string                                  `json:"$id"`
		Defs  map[string]struct{ Description string } `json:"$defs"`
		Props map[string]struct{ Description string } `json:"properties"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if s.ID != model.SchemaID || !strings.HasSuffix(model.SchemaID, "-"+strings.Split(model.SchemaVersion, ".")[0]+".json") {
		t.Errorf("$id %q for schema version %s", s.ID, model.SchemaVersion)
	}
	if !strings.HasPrefix(s.Defs["Match"].Description, "Match says how") || !strings.HasPrefix(s.Props["$schema"].Description, "URL of the JSON Schema") {
		t.Errorf("descriptions missing: %q %q", s.Defs["Match"].Description, s.Props["$schema"].Description)
	}
	// The 1.0.0 demo report, upgraded, with a field added to every object.
	rep := readTestdata(t, "report-1.0.0-demo.json")
	doc, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	n := addField(v)
	doc, _ = json.Marshal(v)
	reporttest.Validate(t, doc)
	if n < 100 {
		t.Errorf("only %d objects got a new field", n)
	}
}

// addField adds a property to every object in v and counts them.
func addField(v any) int {
	n := 0
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			n += addField(e)
		}
		x["added_in_a_later_minor_version"] = 1 // an integer, so that maps of counts take it too
		n++
	case []any:
		for _, e := range x {
			n += addField(e)
		}
	}
	return n
}

// TestSchemaRejects: what 2.0.0 changed incompatibly is what the schema
// rejects: a 1.0.0 report as written (matched_by text, zone-less dates),
// and a vulnerability of severity info.
func TestSchemaRejects(t *testing.T) {
	sch := reporttest.Schema(t)
	raw, err := os.ReadFile(filepath.Join("testdata", "report-1.0.0-vulns.json"))
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	err = sch.Validate(inst)
	if err == nil || !strings.Contains(err.Error(), "/matched_by") || !strings.Contains(err.Error(), "/published") {
		t.Errorf("1.0.0 report against the 2.0 schema: %v", err)
	}
	rep := readTestdata(t, "report-1.0.0-vulns.json")
	rep.Vulnerabilities[0].Severity = model.Info
	doc, _ := json.Marshal(rep)
	inst, _ = jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err := sch.Validate(inst); err == nil || !strings.Contains(err.Error(), "/vulnerabilities/0/severity") {
		t.Errorf("vulnerability of severity info: %v", err)
	}
}
