package reporttest

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdxlib"
	"github.com/thingsec/thingsec/internal/license"
)

// spdxSchema is the official SPDX 2.3 JSON schema (schema/README.md).
//
//go:embed schema/spdx-schema-2.3.json
var spdxSchema []byte

// ValidateSPDX fails t unless doc is valid against the official SPDX 2.3
// JSON schema and, read back by tools-golang, passes
// spdxlib.ValidateDocument.
func ValidateSPDX(t testing.TB, doc []byte) {
	t.Helper()
	if err := CheckSPDX(doc); err != nil {
		t.Fatal(err)
	}
}

// CheckSPDX is ValidateSPDX as an error.
func CheckSPDX(doc []byte) error {
	s, err := jsonschema.UnmarshalJSON(bytes.NewReader(spdxSchema))
	if err != nil {
		return err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("http://spdx.org/rdf/terms/2.3", s); err != nil {
		return err
	}
	sch, err := c.Compile("http://spdx.org/rdf/terms/2.3")
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("not valid SPDX 2.3: %w", err)
	}
	d, err := spdxjson.Read(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("tools-golang cannot read the document: %w", err)
	}
	if err := spdxlib.ValidateDocument(d); err != nil {
		return fmt.Errorf("spdxlib.ValidateDocument: %w", err)
	}
	// What neither checks and the specification requires: licence
	// fields are valid expressions, and every LicenseRef they use is
	// defined in the document (hasExtractedLicensingInfos).
	defined := map[string]bool{}
	for _, o := range d.OtherLicenses {
		defined[o.LicenseIdentifier] = true
	}
	for _, p := range d.Packages {
		for _, e := range []string{p.PackageLicenseDeclared, p.PackageLicenseConcluded} {
			if e == "" || e == "NONE" {
				continue
			}
			if !license.Valid(e) {
				return fmt.Errorf("package %s: licence %q is not a valid SPDX expression", p.PackageSPDXIdentifier, e)
			}
			for _, r := range licenseRef.FindAllString(e, -1) {
				if !defined[r] {
					return fmt.Errorf("package %s: %s is not defined in hasExtractedLicensingInfos", p.PackageSPDXIdentifier, r)
				}
			}
		}
	}
	return nil
}

var licenseRef = regexp.MustCompile(`LicenseRef-[A-Za-z0-9.-]+`)

// ValidateCycloneDX fails t unless doc is valid against the official
// CycloneDX 1.6 JSON schema that the cyclonedx-go module ships (schema/
// in its module source).
func ValidateCycloneDX(t testing.TB, doc []byte) {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/CycloneDX/cyclonedx-go").Output()
	if err != nil {
		t.Fatalf("locating the cyclonedx-go module: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "schema")
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for name, id := range map[string]string{
		"bom-1.6.schema.json":   "http://cyclonedx.org/schema/bom-1.6.schema.json",
		"spdx.schema.json":      "http://cyclonedx.org/schema/spdx.schema.json",
		"jsf-0.82.schemax.json": "http://cyclonedx.org/schema/jsf-0.82.schema.json",
	} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		s, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource(id, s); err != nil {
			t.Fatal(err)
		}
	}
	sch, err := c.Compile("http://cyclonedx.org/schema/bom-1.6.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("not valid CycloneDX 1.6: %v", err)
	}
}
