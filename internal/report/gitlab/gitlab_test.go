package gitlab

import (
	"bytes"
	"encoding/json"
	"flag"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/ci"
	"github.com/thingsec/thingsec/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// schemas are GitLab's official report schemas, release 15.0.7
// (testdata/README.md).
var schemas = map[Kind]string{
	SAST:               "testdata/sast-report-format-15.0.7.json",
	SecretDetection:    "testdata/secret-detection-report-format-15.0.7.json",
	DependencyScanning: "testdata/dependency-scanning-report-format-15.0.7.json",
}

func encode(t *testing.T, k Kind, rep *model.Report, opt Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, k, rep, opt); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	for k, schema := range schemas {
		t.Run(string(k), func(t *testing.T) {
			got := encode(t, k, reporttest.Rich(), Options{})
			reporttest.ValidateAgainst(t, schema, got)
			reporttest.Golden(t, "testdata/rich."+string(k)+".json", got, *update)
		})
	}
}

// TestSchemaRejects: each vendored schema rejects a report of another
// type, a zoned time and a vulnerability without identifiers, so the
// validation above can fail.
func TestSchemaRejects(t *testing.T) {
	for k, schema := range schemas {
		good := encode(t, k, reporttest.Rich(), Options{})
		for name, edit := range map[string]func(r map[string]any){
			"other type":      func(r map[string]any) { r["scan"].(map[string]any)["type"] = "dast" },
			"zoned time":      func(r map[string]any) { r["scan"].(map[string]any)["start_time"] = "2026-03-10T08:30:15Z" },
			"no identifiers":  func(r map[string]any) { r["vulnerabilities"].([]any)[0].(map[string]any)["identifiers"] = []any{} },
			"bad severity":    func(r map[string]any) { r["vulnerabilities"].([]any)[0].(map[string]any)["severity"] = "high" },
			"no version":      func(r map[string]any) { delete(r, "version") },
			"no scanner name": func(r map[string]any) { delete(r["scan"].(map[string]any)["scanner"].(map[string]any), "name") },
		} {
			var r map[string]any
			if err := json.Unmarshal(good, &r); err != nil {
				t.Fatal(err)
			}
			edit(r)
			bad, _ := json.Marshal(r)
			if err := reporttest.CheckAgainst(schema, bad); err == nil {
				t.Errorf("%s, %s: accepted", k, name)
			}
		}
	}
}

// TestSplit: every finding is in exactly one of secret detection and
// SAST, every vulnerability in dependency scanning, with the fields GitLab
// identifies them by.
func TestSplit(t *testing.T) {
	rep := reporttest.Rich()
	reports := map[Kind]*Report{}
	for k := range schemas {
		var r Report
		if err := json.Unmarshal(encode(t, k, rep, Options{SchemaVersion: "15.2.1", Commit: "abc123"}), &r); err != nil {
			t.Fatal(err)
		}
		if r.Version != "15.2.1" || !strings.HasSuffix(r.Schema, "/v15.2.1/dist/"+k.schemaFile()) {
			t.Errorf("%s: version %s, schema %s", k, r.Version, r.Schema)
		}
		if r.Scan.StartTime != "2026-03-10T08:30:15" || r.Scan.EndTime != "2026-03-10T08:30:19" {
			t.Errorf("%s: times %s..%s", k, r.Scan.StartTime, r.Scan.EndTime)
		}
		reports[k] = &r
	}
	ids := map[string]Kind{}
	for k, r := range reports {
		for _, v := range r.Vulnerabilities {
			if o, dup := ids[v.ID]; dup {
				t.Errorf("id %s in %s and %s", v.ID, o, k)
			}
			ids[v.ID] = k
		}
	}
	secrets := 0
	for i := range rep.Findings {
		f := &rep.Findings[i]
		want := SAST
		if ci.IsSecret(f) {
			want, secrets = SecretDetection, secrets+1
		}
		if got := ids[uuid(f.Fingerprint)]; got != want {
			t.Errorf("%s at %s is in %q, want %s", f.RuleID, f.Location.Path, got, want)
		}
	}
	if secrets != 6 || len(reports[SecretDetection].Vulnerabilities) != 6 || len(reports[SAST].Vulnerabilities) != len(rep.Findings)-6 {
		t.Errorf("%d secrets; reports have %d secrets and %d SAST", secrets, len(reports[SecretDetection].Vulnerabilities), len(reports[SAST].Vulnerabilities))
	}
	sd := reports[SecretDetection].Vulnerabilities
	for _, v := range sd {
		if v.Location.Commit == nil || v.Location.Commit.SHA != "abc123" {
			t.Errorf("secret %s: commit %+v", v.Name, v.Location.Commit)
		}
		if v.Identifiers[0].Type != "thingsec_rule_id" {
			t.Errorf("secret %s: primary identifier %+v", v.Name, v.Identifiers[0])
		}
	}
	// the in-image path makes the file name, so two files of the image are
	// two locations
	if sd[0].Location.File != "acme-cam.bin!/etc/shadow" || sd[0].Location.StartLine != 1 {
		t.Errorf("first secret location %+v", sd[0].Location)
	}
	ds := reports[DependencyScanning]
	if len(ds.Vulnerabilities) != len(rep.Vulnerabilities) {
		t.Fatalf("%d dependency vulnerabilities", len(ds.Vulnerabilities))
	}
	v := ds.Vulnerabilities[0]
	if v.Identifiers[0].Value != "CVE-2022-48174" || len(v.CVSSVectors) != 2 || v.Location.Dependency.Package.Name != "busybox" ||
		v.Location.File != "acme-cam.bin!/usr/lib/opkg/status" || v.Details["kev"].Value != "added 2024-05-01, due 2024-05-22, ransomware use: Unknown" {
		t.Errorf("vulnerability %+v", v)
	}
	if dfs := *ds.DependencyFiles; len(dfs) != 2 || dfs[0].Path != "acme-cam.bin!/usr/lib/opkg/status" || len(dfs[0].Dependencies) != 2 || dfs[0].PackageManager != "opkg" {
		t.Errorf("dependency files %+v", dfs)
	}
}

func TestEmptyAndVersion(t *testing.T) {
	rep := &model.Report{Target: model.Target{Name: "src", Kind: "directory"}}
	for k, schema := range schemas {
		out := encode(t, k, rep, Options{})
		reporttest.ValidateAgainst(t, schema, out)
		if !bytes.Contains(out, []byte(`"vulnerabilities": []`)) {
			t.Errorf("%s: no empty vulnerabilities array:\n%s", k, out)
		}
	}
	for _, bad := range []string{"15", "15.2", "v15.2.1", "15.2.1-rc1", ""} {
		if err := CheckVersion(bad); err == nil {
			t.Errorf("version %q accepted", bad)
		}
	}
	if err := Encode(&bytes.Buffer{}, SAST, rep, Options{SchemaVersion: "latest"}); err == nil {
		t.Error("a bad schema version was written")
	}
}
