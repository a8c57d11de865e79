package reporttest

import (
	"bytes"
	"os"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// ValidateAgainst fails t unless doc is valid against the JSON schema in
// the file schemaPath (an official schema vendored in testdata). Formats
// (uri, date-time, ...) are asserted too.
func ValidateAgainst(t testing.TB, schemaPath string, doc []byte) {
	t.Helper()
	if err := CheckAgainst(schemaPath, doc); err != nil {
		t.Fatalf("%s: %v", schemaPath, err)
	}
}

// CheckAgainst is ValidateAgainst returning the error, for tests that
// expect a document to be rejected.
func CheckAgainst(schemaPath string, doc []byte) error {
	s, err := compiled(schemaPath)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return s.Validate(inst)
}

var schemas sync.Map // path -> *jsonschema.Schema

// compiled compiles the schema file once per test binary (fuzz targets
// validate thousands of documents).
func compiled(schemaPath string) (*jsonschema.Schema, error) {
	if s, ok := schemas.Load(schemaPath); ok {
		return s.(*jsonschema.Schema), nil
	}
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return nil, err
	}
	sch, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const id = "file:///vendored-schema.json"
	if err := c.AddResource(id, sch); err != nil {
		return nil, err
	}
	s, err := c.Compile(id)
	if err != nil {
		return nil, err
	}
	schemas.Store(schemaPath, s)
	return s, nil
}
