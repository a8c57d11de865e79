package spdx

import (
	"bytes"
	"flag"
	"github.com/thingsec/thingsec/internal/report/reporttest"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
			{Ref: "pkg:opkg/busybox@1.35.0-1", Name: "busybox", Version: "1.35.0-1", Type: "application", PURL: "pkg:opkg/busybox@1.35.0-1",
				License:  &model.License{Expression: "GPL-2.0-only", Declared: "GPL-2.0-only", Source: "/usr/lib/opkg/status"},
				Supplier: "Felix Fietkau <nbd@nbd.name>",
				Hashes:   []model.Hash{{Algorithm: "SHA-256", Value: strings.Repeat("01", 32), Path: "/usr/lib/opkg/status"}, {Algorithm: "SHA-256", Value: strings.Repeat("02", 32), Path: "/bin/busybox"}},
				CPEs:     []string{"cpe:2.3:a:busybox:busybox:1.35.0:*:*:*:*:*:*:*"}, Locations: []model.Location{loc("/usr/lib/opkg/status"), loc("/bin/busybox")},
				Evidence:     []model.Evidence{{Kind: "package-db", Path: "/usr/lib/opkg/status", Match: "Package: busybox Version: 1.35.0-1"}},
				Dependencies: []string{"pkg:opkg/libc@2.36-1"}},
			{Ref: "pkg:opkg/libc@2.36-1", Name: "libc", Version: "2.36-1", Type: "library", PURL: "pkg:opkg/libc@2.36-1",
				License:  &model.License{Expression: "LGPL-2.1-or-later AND LicenseRef-Acme-Proprietary", Declared: "LGPLv2.1+ & Acme Proprietary", Source: "/usr/lib/opkg/status"},
				Supplier: "Acme Home Networks firmware team",
				CPEs:     []string{"cpe:2.3:a:gnu:glibc:2.36:*:*:*:*:*:*:*"}, Locations: []model.Location{loc("/usr/lib/opkg/status")}},
			{Ref: "pkg:generic/libc@2.36", Name: "libc", Version: "2.36", Type: "library", PURL: "pkg:generic/libc@2.36",
				License: &model.License{Expression: model.NoAssertion, Reason: "identified from a version string in /lib/libc.so.6, which states no licence"}},
			{Ref: "pkg:generic/acmeos@1.0.0", Name: "AcmeOS", Version: "1.0.0", Type: "operating-system", PURL: "pkg:generic/acmeos@1.0.0",
				Supplier: "Acme Home Networks", Evidence: []model.Evidence{{Kind: "os-release", Path: "/etc/os-release", Match: "NAME=AcmeOS VERSION_ID=1.0.0"}},
				License: &model.License{Expression: model.NoAssertion, Reason: "an OS release file (/etc/os-release) names no licence"}},
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
	reporttest.ValidateSPDX(t, buf.Bytes())
}

// TestValidationFails: the validation can fail, on what it must catch.
func TestValidationFails(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ from, to string }{
		{`"OPERATING_SYSTEM"`, `"OPERATING-SYSTEM"`}, // the spec's prose spelling is not the schema's
		{`"relatedSpdxElement": "SPDXRef-Target"`, `"relatedSpdxElement": "SPDXRef-Nowhere"`},
		{`"licenseId": "LicenseRef-`, `"licenseId": "LicenseRef-Other-`},
		{`"licenseDeclared": "GPL-2.0-only"`, `"licenseDeclared": "GPLv2"`},
		{`"relationshipType": "DESCRIBES"`, `"relationshipType": "DESCRIBED"`},
	} {
		bad := bytes.Replace(buf.Bytes(), []byte(tc.from), []byte(tc.to), 1)
		if bytes.Equal(bad, buf.Bytes()) {
			t.Fatalf("%s not in the document", tc.from)
		}
		if err := reporttest.CheckSPDX(bad); err == nil {
			t.Errorf("%s -> %s: still valid", tc.from, tc.to)
		}
	}
}
