package spdx

import (
	"bytes"
	"flag"
	"github.com/thingsec/thingsec/internal/report/reporttest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/thingsec/thingsec/internal/model"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func sample() *model.Report {
	loc := func(p string) model.Location {
		return model.Location{Layer: "L2", Chain: "fw.bin > squashfs@0x0", Path: p}
	}
	return &model.Report{
		Tool:      model.Tool{Name: "thingsec", Version: "v0.1.0"},
		Target:    model.Target{Name: "fw.bin", Kind: "file", SHA256: strings.Repeat("cd", 32)},
		StartedAt: time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC),
		Components: []model.Component{
			{Ref: "pkg:opkg/busybox@1.35.0-1", Name: "busybox", Version: "1.35.0", Type: "application", PURL: "pkg:opkg/busybox@1.35.0-1",
				CPEs: []string{"cpe:2.3:a:busybox:busybox:1.35.0:*:*:*:*:*:*:*"}, Locations: []model.Location{loc("/usr/lib/opkg/status"), loc("/bin/busybox")},
				Evidence:     []model.Evidence{{Kind: "package-db", Path: "/usr/lib/opkg/status", Match: "Package: busybox Version: 1.35.0-1"}},
				Dependencies: []string{"pkg:opkg/libc@2.36-1"}},
			{Ref: "pkg:opkg/libc@2.36-1", Name: "libc", Version: "2.36", Type: "library", PURL: "pkg:opkg/libc@2.36-1",
				CPEs: []string{"cpe:2.3:a:gnu:glibc:2.36:*:*:*:*:*:*:*"}, Locations: []model.Location{loc("/usr/lib/opkg/status")}},
			{Ref: "pkg:generic/libc@2.36", Name: "libc", Version: "2.36", Type: "library", PURL: "pkg:generic/libc@2.36"},
			{Ref: "pkg:generic/acmeos@1.0.0", Name: "AcmeOS", Version: "1.0.0", Type: "operating-system", PURL: "pkg:generic/acmeos@1.0.0"},
		},
	}
}

func TestGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	reporttest.Golden(t, filepath.Join("testdata", "sample.spdx.json"), buf.Bytes(), *update)
	// the official library reads it back with every package and relationship
	doc, err := spdxjson.Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if doc.SPDXVersion != "SPDX-2.3" || len(doc.Packages) != 5 {
		t.Fatalf("read back %s with %d packages", doc.SPDXVersion, len(doc.Packages))
	}
	ids := map[string]bool{}
	for _, p := range doc.Packages {
		if ids[string(p.PackageSPDXIdentifier)] {
			t.Errorf("duplicate SPDXID %s", p.PackageSPDXIdentifier)
		}
		ids[string(p.PackageSPDXIdentifier)] = true
	}
	var dependsOn int
	for _, r := range doc.Relationships {
		if r.Relationship == "DEPENDS_ON" {
			dependsOn++
		}
	}
	if dependsOn != 1 {
		t.Errorf("%d DEPENDS_ON relationships, want 1", dependsOn)
	}
	validateOptional(t, buf.Bytes())
}

// validateOptional validates against the official SPDX 2.3 JSON schema
// when THINGSEC_SPDX_SCHEMA names a copy of it (spdx-spec
// schemas/spdx-schema.json): tools-golang does not ship the schema, so it
// is not in the module cache.
func validateOptional(t *testing.T, doc []byte) {
	p := os.Getenv("THINGSEC_SPDX_SCHEMA")
	if p == "" {
		t.Log("THINGSEC_SPDX_SCHEMA not set: schema validation skipped, round trip through tools-golang only")
		return
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("spdx-schema.json", s); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("spdx-schema.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("not valid SPDX 2.3: %v", err)
	}
}
