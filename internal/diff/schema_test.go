package diff

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/thingsec/thingsec/internal/model"
)

var update = flag.Bool("update", false, "rewrite schema/diff.schema.json")

const schemaFile = "../../schema/diff.schema.json"

// TestSchemaFile: the published schema is the one the types give.
func TestSchemaFile(t *testing.T) {
	got, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(schemaFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of date: run go test ./internal/diff -run TestSchemaFile -update", filepath.Base(schemaFile))
	}
}

// Validate fails t unless doc is a diff document valid against the
// schema.
func Validate(t testing.TB, doc []byte) {
	t.Helper()
	raw, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	sch, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SchemaID, sch); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(inst); err != nil {
		t.Fatalf("diff does not match the schema: %v", err)
	}
}

// TestSchemaValid: a diff with every list filled, and an empty one,
// validate; a document with an unknown field does not.
func TestSchemaValid(t *testing.T) {
	lay := func(f string) []model.Layer {
		return []model.Layer{{ID: "L0", Format: "file"}, {ID: "L1", Parent: "L0", Format: "squashfs"}, {ID: "L2", Parent: "L0", Format: f}}
	}
	old := &model.Report{SchemaVersion: "1.0.0", Layers: lay("jffs2"),
		Components:      []model.Component{comp("pkg:opkg/a@1", "a", "1"), comp("pkg:opkg/b@2", "b", "2"), comp("pkg:opkg/c@1", "c", "1")},
		Findings:        []model.Finding{finding("x", "R", "L1", "/x", 1, model.High, "a"), finding("y", "R", "L1", "/y", 1, model.Low, "a")},
		Vulnerabilities: []model.Vulnerability{{ID: "CVE-1", Component: "pkg:opkg/a@1", Severity: model.High, KEV: &model.KEV{}}},
		Binaries:        []model.Binary{{Layer: "L1", Path: "/bin/x", Kind: "executable", PIE: "yes", RELRO: "full"}},
		Files:           []model.File{{Layer: "L1", Path: "/x", SHA256: "1"}, {Layer: "L1", Path: "/gone"}},
		Services:        []model.Service{{Name: "telnetd", Port: 23}, {Name: "sshd", Port: 22}},
	}
	new := &model.Report{SchemaVersion: "1.0.0", Layers: lay("ubifs"),
		Components:      []model.Component{comp("pkg:opkg/a@2", "a", "2"), comp("pkg:opkg/b@1", "b", "1"), comp("pkg:opkg/d@1", "d", "1")},
		Findings:        []model.Finding{finding("y", "R", "L1", "/y", 1, model.Low, "b"), finding("z", "R", "L1", "/z", 1, model.High, "a")},
		Vulnerabilities: []model.Vulnerability{{ID: "CVE-2", Component: "pkg:opkg/a@2", Severity: model.High}},
		Binaries:        []model.Binary{{Layer: "L1", Path: "/bin/x", Kind: "executable", PIE: "no", RELRO: "full", Canary: true}},
		Files:           []model.File{{Layer: "L1", Path: "/x", SHA256: "2"}, {Layer: "L1", Path: "/new"}},
		Services:        []model.Service{{Name: "sshd", Port: 2222}, {Name: "snmpd", Port: 161}},
	}
	for _, d := range []*Diff{Compare(old, new), Compare(&model.Report{}, &model.Report{})} {
		doc, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		Validate(t, doc)
	}
	d := Compare(old, new)
	if d.Summary.FindingsNew == 0 || d.Summary.ComponentsDowngraded == 0 || d.Summary.LayersAdded == 0 || d.Summary.ServicesChanged == 0 ||
		d.Summary.HardeningRegressions == 0 || d.Summary.VulnerabilitiesIntroduced == 0 || d.Summary.FilesChanged == 0 {
		t.Errorf("the sample misses a kind of change: %+v", d.Summary)
	}
}
