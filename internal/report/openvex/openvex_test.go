package openvex

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var schemaFile = filepath.Join("testdata", "openvex_json_schema_0.2.0.json")

// check validates doc against the official OpenVEX 0.2.0 schema, formats
// (date-time, iri, uri) asserted.
func check(doc []byte) error {
	raw, err := os.ReadFile(schemaFile)
	if err != nil {
		return err
	}
	sch, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const id = "https://github.com/openvex/spec/openvex_json_schema_0.2.0.json"
	if err := c.AddResource(id, sch); err != nil {
		return err
	}
	s, err := c.Compile(id)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return s.Validate(inst)
}

func encode(t *testing.T, rep *model.Report, o Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := EncodeWith(&buf, rep, o); err != nil {
		t.Fatal(err)
	}
	if err := check(buf.Bytes()); err != nil {
		t.Fatalf("not valid OpenVEX 0.2.0: %v\n%s", err, buf.Bytes())
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	rep := reporttest.RichVEX()
	got := encode(t, rep, Options{})
	reporttest.Golden(t, filepath.Join("testdata", "rich.openvex.json"), got, *update)

	var d Document
	if err := json.Unmarshal(got, &d); err != nil {
		t.Fatal(err)
	}
	if d.Author != DefaultAuthor || d.Timestamp != "2026-03-10T08:30:15Z" || !strings.HasPrefix(d.ID, "urn:uuid:") || d.Tooling != "thingsec v1.2.3" {
		t.Errorf("document header %+v", d)
	}
	if len(d.Statements) != len(rep.Vulnerabilities) {
		t.Fatalf("%d statements for %d vulnerabilities", len(d.Statements), len(rep.Vulnerabilities))
	}
	for i, s := range d.Statements {
		v := rep.Vulnerabilities[i]
		want := Affected
		if v.Analysis != nil {
			want = v.Analysis.State
		}
		if s.Vulnerability.Name != v.ID || s.Status != want {
			t.Errorf("statement %d: %s %s, want %s %s", i, s.Vulnerability.Name, s.Status, v.ID, want)
		}
		if len(s.Products) != 1 || s.Products[0].Identifiers["purl"] != v.Component {
			t.Errorf("statement %d: products %+v, want the purl %s", i, s.Products, v.Component)
		}
	}
	// the same report gives the same document ID; another target another
	if again := Build(rep, Options{}); again.ID != d.ID {
		t.Errorf("document ID not stable: %s, %s", d.ID, again.ID)
	}
	rep.Target.SHA256 = strings.Repeat("0", 64)
	if other := Build(rep, Options{}); other.ID == d.ID {
		t.Error("two targets share a document ID")
	}
}

func TestOptions(t *testing.T) {
	now := time.Date(2026, 4, 1, 12, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	got := encode(t, reporttest.RichVEX(), Options{Author: "Acme PSIRT <psirt@acme.example>", Role: "Document Creator",
		ID: "https://acme.example/vex/acme-cam-1.2.json", Now: now})
	var d Document
	if err := json.Unmarshal(got, &d); err != nil {
		t.Fatal(err)
	}
	if d.Author != "Acme PSIRT <psirt@acme.example>" || d.Role != "Document Creator" || d.ID != "https://acme.example/vex/acme-cam-1.2.json" || d.Timestamp != "2026-04-01T10:00:00Z" {
		t.Errorf("options not applied: %+v", d)
	}
}

// Every state and justification an analysis can carry gives a valid
// statement: affected always has an action statement, not_affected a
// justification or an impact statement.
func TestStatuses(t *testing.T) {
	tests := []struct {
		a               *model.Analysis
		fixed           []string
		status, just    string
		action, impact  string
		notesContaining string
	}{
		{a: nil, fixed: []string{"2.0"}, status: Affected, action: "Update libfoo to 2.0 or later."},
		{a: nil, status: Affected, action: "No fixed version of libfoo is known: remove it, or limit what can reach it."},
		{a: &model.Analysis{State: "affected", Detail: "Disable the web UI."}, status: Affected, action: "Disable the web UI."},
		{a: &model.Analysis{State: "exploitable"}, fixed: []string{"2.0"}, status: Affected, action: "Update libfoo to 2.0 or later."},
		{a: &model.Analysis{State: "not_affected", Justification: "component_not_present"}, status: NotAffected, just: "component_not_present"},
		{a: &model.Analysis{State: "not_affected", Justification: "code_not_reachable", Detail: "d"}, status: NotAffected, just: "vulnerable_code_not_in_execute_path", impact: "d"},
		{a: &model.Analysis{State: "not_affected", Justification: "protected_at_perimeter"}, status: NotAffected, just: "inline_mitigations_already_exist"},
		{a: &model.Analysis{State: "not_affected", Justification: "requires_configuration"}, status: NotAffected, just: "vulnerable_code_cannot_be_controlled_by_adversary"},
		{a: &model.Analysis{State: "not_affected", Source: "ignore.yaml"}, status: NotAffected, impact: "Declared not affected (ignore.yaml).", notesContaining: "ignore.yaml"},
		{a: &model.Analysis{State: "not_affected", Justification: "we checked", Detail: "d"}, status: NotAffected, impact: "d", notesContaining: "we checked"},
		{a: &model.Analysis{State: "false_positive"}, status: NotAffected, impact: "Declared a false positive."},
		{a: &model.Analysis{State: "fixed", Detail: "backported"}, status: Fixed, notesContaining: "backported"},
		{a: &model.Analysis{State: "resolved", Justification: "component_not_present"}, status: Fixed},
		{a: &model.Analysis{State: "under_investigation"}, status: UnderInvestigation},
		{a: &model.Analysis{State: "in_triage"}, status: UnderInvestigation},
	}
	for _, tt := range tests {
		rep := &model.Report{
			Target:     model.Target{Name: "fw.bin", Kind: "file"},
			Components: []model.Component{{Ref: "pkg:generic/libfoo@1.0", Name: "libfoo", Version: "1.0", PURL: "pkg:generic/libfoo@1.0"}},
			Vulnerabilities: []model.Vulnerability{{ID: "CVE-2024-0001", URL: model.AdvisoryURL("CVE-2024-0001"), Component: "pkg:generic/libfoo@1.0",
				ComponentName: "libfoo", InstalledVersion: "1.0", Fixed: tt.fixed, Analysis: tt.a}},
		}
		var d Document
		if err := json.Unmarshal(encode(t, rep, Options{Now: time.Unix(0, 0)}), &d); err != nil {
			t.Fatal(err)
		}
		s := d.Statements[0]
		if s.Status != tt.status || s.Justification != tt.just || s.ActionStatement != tt.action || s.ImpactStatement != tt.impact ||
			!strings.Contains(s.StatusNotes, tt.notesContaining) {
			t.Errorf("%+v: got %+v", tt.a, s)
		}
	}
}

// A product without a purl is named by its CPE or its ref; a report
// without vulnerabilities states nothing.
func TestProductsAndEmpty(t *testing.T) {
	rep := reporttest.RichVEX()
	rep.Components = append(rep.Components, model.Component{Ref: "component:dnsmasq@2.80", Name: "dnsmasq", Version: "2.80",
		CPEs: []string{"cpe:2.3:a:thekelleys:dnsmasq:2.80:*:*:*:*:*:*:*"}})
	rep.Vulnerabilities = append(rep.Vulnerabilities,
		model.Vulnerability{ID: "CVE-2020-25681", URL: model.AdvisoryURL("CVE-2020-25681"), Component: "component:dnsmasq@2.80", ComponentName: "dnsmasq"},
		model.Vulnerability{ID: "CVE-2020-25681", URL: model.AdvisoryURL("CVE-2020-25681"), Component: "component:dnsmasq@2.80", ComponentName: "dnsmasq"})
	var d Document
	if err := json.Unmarshal(encode(t, rep, Options{}), &d); err != nil {
		t.Fatal(err)
	}
	last := d.Statements[len(d.Statements)-1]
	if len(d.Statements) != len(rep.Vulnerabilities)-1 || last.Products[0].Identifiers["cpe23"] != rep.Components[len(rep.Components)-1].CPEs[0] ||
		last.Products[0].ID != "component:dnsmasq@2.80" {
		t.Errorf("%d statements, last %+v", len(d.Statements), last)
	}

	var buf bytes.Buffer
	if err := Encode(&buf, &model.Report{Target: model.Target{Name: "fw.bin"}}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"statements": []`)) {
		t.Errorf("empty report: %s", buf.Bytes())
	}
	// The schema wants at least one statement; that is the only thing an
	// empty document lacks.
	if err := check(buf.Bytes()); err == nil || !strings.Contains(err.Error(), "minItems") {
		t.Errorf("empty document: %v", err)
	}
}

// The schema is really enforced: a statement OpenVEX forbids is refused.
func TestSchemaRefuses(t *testing.T) {
	for _, bad := range []string{
		`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"urn:x:1","author":"a","timestamp":"2026-01-01T00:00:00Z","version":1,"statements":[{"vulnerability":{"name":"CVE-1"},"status":"affected"}]}`,
		`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"urn:x:1","author":"a","timestamp":"2026-01-01T00:00:00Z","version":1,"statements":[{"vulnerability":{"name":"CVE-1"},"status":"not_affected"}]}`,
		`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"urn:x:1","author":"a","timestamp":"yesterday","version":1,"statements":[{"vulnerability":{"name":"CVE-1"},"status":"fixed"}]}`,
	} {
		if check([]byte(bad)) == nil {
			t.Errorf("schema accepts %s", bad)
		}
	}
}
