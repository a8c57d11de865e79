// Package reporttest validates reports against the published JSON schema
// in tests.
package reporttest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/thingsec/thingsec/internal/model"
)

// Validate fails t unless doc (a JSON report) is valid against the
// published schema (schema/report.schema.json of this checkout), with
// formats (date-time) asserted.
func Validate(t testing.TB, doc []byte) {
	t.Helper()
	s := Schema(t)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("report is not JSON: %v", err)
	}
	if err := s.Validate(inst); err != nil {
		t.Fatalf("report does not match the schema: %v", err)
	}
}

// Schema compiles the published report schema.
func Schema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	raw, err := os.ReadFile(SchemaFile(t))
	if err != nil {
		t.Fatal(err)
	}
	sch, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(model.SchemaID, sch); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(model.SchemaID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// SchemaFile is the path of schema/report.schema.json in the module the
// test runs in.
func SchemaFile(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "schema", "report.schema.json")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// Normalize zeroes the fields that legitimately differ between two scans
// of the same input (start time, durations) and re-encodes the report.
func Normalize(t testing.TB, doc []byte) []byte {
	t.Helper()
	var rep model.Report
	if err := json.Unmarshal(doc, &rep); err != nil {
		t.Fatal(err)
	}
	rep.StartedAt = time.Time{}
	for i := range rep.Durations {
		rep.Durations[i].Seconds = 0
	}
	out, err := json.MarshalIndent(&rep, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Golden compares got with the golden file at path, rewriting the file
// first when update is set (the -update flag of the calling test).
func Golden(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update and review the diff)", path)
	}
}
