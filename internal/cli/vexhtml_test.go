package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/thingsec/thingsec/internal/model"
)

// demoScan scans the demo image in format and returns the output.
func demoScan(t *testing.T, format string) []byte {
	t.Helper()
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	var stdout, errb bytes.Buffer
	args := []string{"thingsec", "scan", "-q", "--format", format, "-o", out, "--db-path", filepath.Join(dir, "absent.db"), "../../testdata/demo/acme-cam.bin"}
	if code := Main(context.Background(), args, &stdout, &errb); code != 0 {
		t.Fatalf("scan --format %s: exit %d: %s", format, code, errb.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDemoOpenVEXAndHTML: scan --format openvex on the demo image writes a
// document valid against the official OpenVEX schema with one affected
// statement per matched vulnerability, and --format html a page with
// every finding and vulnerability of the JSON report.
func TestDemoOpenVEXAndHTML(t *testing.T) {
	rep, err := model.DecodeReport(demoScan(t, "json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Vulnerabilities) == 0 || len(rep.Findings) == 0 {
		t.Fatalf("the demo scan found %d vulnerabilities and %d findings", len(rep.Vulnerabilities), len(rep.Findings))
	}

	vex := demoScan(t, "openvex")
	raw, err := os.ReadFile("../report/openvex/testdata/openvex_json_schema_0.2.0.json")
	if err != nil {
		t.Fatal(err)
	}
	sch, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("file:///openvex.json", sch); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("file:///openvex.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(vex))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(inst); err != nil {
		t.Errorf("scan --format openvex is not valid OpenVEX 0.2.0: %v", err)
	}
	var doc struct {
		Statements []struct {
			Vulnerability struct{ Name string }
			Status        string
		}
	}
	if err := json.Unmarshal(vex, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Statements) != len(rep.Vulnerabilities) {
		t.Errorf("%d statements for %d vulnerabilities", len(doc.Statements), len(rep.Vulnerabilities))
	}
	for i, st := range doc.Statements {
		if st.Status != "affected" || st.Vulnerability.Name != rep.Vulnerabilities[i].ID {
			t.Errorf("statement %d: %s %s", i, st.Vulnerability.Name, st.Status)
		}
	}

	page := string(demoScan(t, "html"))
	if n := strings.Count(page, `<article class="finding `); n != len(rep.Findings) {
		t.Errorf("html: %d findings of %d", n, len(rep.Findings))
	}
	for _, v := range rep.Vulnerabilities {
		if !strings.Contains(page, `">`+v.ID+`</a>`) {
			t.Errorf("html lacks %s", v.ID)
		}
	}
	if !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.Contains(page, `http-equiv="Content-Security-Policy"`) {
		t.Error("html: no doctype or CSP")
	}
}

// TestDemoCycloneDXVulnerabilities: scan --format cyclonedx carries the
// scan's vulnerabilities, each affecting a component of the BOM; the
// sbom command's BOM has none.
func TestDemoCycloneDXVulnerabilities(t *testing.T) {
	var bom struct {
		Components []struct {
			BOMRef string `json:"bom-ref"`
		}
		Vulnerabilities []struct {
			ID      string
			Affects []struct{ Ref string }
		}
	}
	if err := json.Unmarshal(demoScan(t, "cyclonedx"), &bom); err != nil {
		t.Fatal(err)
	}
	refs := map[string]bool{}
	for _, c := range bom.Components {
		refs[c.BOMRef] = true
	}
	if len(bom.Vulnerabilities) == 0 {
		t.Fatal("scan --format cyclonedx has no vulnerabilities")
	}
	for _, v := range bom.Vulnerabilities {
		if len(v.Affects) != 1 || !refs[v.Affects[0].Ref] {
			t.Errorf("%s affects %v, not a component of the BOM", v.ID, v.Affects)
		}
	}

	dir := t.TempDir()
	out := filepath.Join(dir, "sbom.cdx.json")
	var stdout, errb bytes.Buffer
	if code := Main(context.Background(), []string{"thingsec", "sbom", "-q", "-o", out, "../../testdata/demo/acme-cam.bin"}, &stdout, &errb); code != 0 {
		t.Fatalf("sbom: exit %d: %s", code, errb.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(`"vulnerabilities"`)) {
		t.Error("the sbom command's BOM lists vulnerabilities")
	}
}
