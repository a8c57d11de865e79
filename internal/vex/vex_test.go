package vex

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/thingsec/thingsec/internal/model"
)

// demo is the two vulnerabilities the embedded sample data matches in
// testdata/demo/acme-cam.bin, and one of another component.
func demo() *model.Report {
	const bb = "pkg:opkg/busybox@1.35.0-1?arch=mipsel_24kc"
	return &model.Report{Vulnerabilities: []model.Vulnerability{
		{ID: "CVE-2022-28391", Component: bb, ComponentName: "busybox"},
		{ID: "CVE-2022-48174", Component: bb, ComponentName: "busybox"},
		{ID: "CVE-2022-48174", Component: "pkg:opkg/busybox-static@1.35.0-1", ComponentName: "busybox-static"},
	}}
}

func load(t *testing.T, names ...string) []*Doc {
	t.Helper()
	var docs []*Doc
	for _, n := range names {
		d, err := Load(filepath.Join("testdata", n))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
	return docs
}

func states(rep *model.Report) string {
	var s []string
	for _, v := range rep.Vulnerabilities {
		if v.Analysis == nil {
			s = append(s, "-")
			continue
		}
		s = append(s, v.Analysis.State+"/"+v.Analysis.Justification+"/"+filepath.Base(v.Analysis.Source))
	}
	return strings.Join(s, " ")
}

func TestApply(t *testing.T) {
	for _, tc := range []struct {
		docs []string
		want string
	}{
		{[]string{"acme-cam.openvex.json"},
			"under_investigation//acme-cam.openvex.json not_affected/vulnerable_code_not_in_execute_path/acme-cam.openvex.json -"},
		// the later statement wins, whatever the order of the documents
		{[]string{"acme-cam-update.openvex.json", "acme-cam.openvex.json"},
			"not_affected//acme-cam-update.openvex.json not_affected/vulnerable_code_not_in_execute_path/acme-cam.openvex.json -"},
		{[]string{"acme-cam.cdx.json"},
			"not_affected/code_not_present/acme-cam.cdx.json fixed//acme-cam.cdx.json -"},
		{[]string{"acme-cam.openvex.json", "acme-cam.cdx.json"},
			"not_affected/code_not_present/acme-cam.cdx.json fixed//acme-cam.cdx.json -"},
	} {
		rep := demo()
		Apply(rep, load(t, tc.docs...))
		if got := states(rep); got != tc.want {
			t.Errorf("%v:\n got %s\nwant %s", tc.docs, got, tc.want)
		}
	}
	rep := demo()
	Apply(rep, load(t, "acme-cam-update.openvex.json"))
	if d := rep.Vulnerabilities[0].Analysis.Detail; !strings.Contains(d, "without the netstat applet") {
		t.Errorf("impact statement not carried: %q", d)
	}
	rep = demo()
	Apply(rep, load(t, "acme-cam.cdx.json"))
	if d := rep.Vulnerabilities[1].Analysis.Detail; !strings.Contains(d, "upstream fix") {
		t.Errorf("CycloneDX detail not carried: %q", d)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{`{}`, "neither OpenVEX"},
		{`[`, "not a JSON VEX document"},
		{`{"@context":"https://openvex.dev/ns/v0.0.1","statements":[]}`, "only v0.2.0"},
		{`{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-1"},"status":"maybe"}]}`, `status "maybe"`},
		{`{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-1"},"status":"not_affected"}]}`, "needs a justification or an impact_statement"},
		{`{"@context":"https://openvex.dev/ns/v0.2.0","timestamp":"yesterday","statements":[]}`, "want RFC 3339"},
		{`{"bomFormat":"CycloneDX","vulnerabilities":[{"id":"CVE-1"}]}`, "not a VEX document"},
		{`{"bomFormat":"CycloneDX","vulnerabilities":[{"id":"CVE-1","analysis":{"state":"fine"}}]}`, `analysis.state "fine"`},
	} {
		_, err := Parse("x.json", []byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "x.json: ") {
			t.Errorf("%s: error %v, want %q", tc.doc, err, tc.want)
		}
	}
}

// TestOpenVEXSchema checks the OpenVEX test documents against the
// project's published JSON schema.
func TestOpenVEXSchema(t *testing.T) {
	sch := compile(t, "https://github.com/openvex/spec/openvex_json_schema_0.2.0.json", map[string]string{
		"https://github.com/openvex/spec/openvex_json_schema_0.2.0.json": "testdata/openvex_json_schema_0.2.0.json",
	})
	for _, n := range []string{"acme-cam.openvex.json", "acme-cam-update.openvex.json"} {
		validate(t, sch, filepath.Join("testdata", n))
	}
}

// TestCycloneDXSchema checks the CycloneDX VEX test document against the
// CycloneDX 1.6 schema the cyclonedx-go module ships.
func TestCycloneDXSchema(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/CycloneDX/cyclonedx-go").Output()
	if err != nil {
		t.Fatalf("locating the cyclonedx-go module: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "schema")
	sch := compile(t, "http://cyclonedx.org/schema/bom-1.6.schema.json", map[string]string{
		"http://cyclonedx.org/schema/bom-1.6.schema.json":  filepath.Join(dir, "bom-1.6.schema.json"),
		"http://cyclonedx.org/schema/spdx.schema.json":     filepath.Join(dir, "spdx.schema.json"),
		"http://cyclonedx.org/schema/jsf-0.82.schema.json": filepath.Join(dir, "jsf-0.82.schemax.json"),
	})
	validate(t, sch, "testdata/acme-cam.cdx.json")
}

func compile(t *testing.T, id string, files map[string]string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for url, path := range files {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		s, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource(url, s); err != nil {
			t.Fatal(err)
		}
	}
	sch, err := c.Compile(id)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func validate(t *testing.T, sch *jsonschema.Schema, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("%s: %v", path, err)
	}
}
