package cyclonedx

import (
	"bytes"
	"flag"
	"github.com/thingsec/thingsec/internal/report/reporttest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/thingsec/thingsec/internal/model"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// sample is a small report with the features the encoder maps: package,
// fingerprint and buildinfo components, several locations, dependencies,
// an operating system, a second CPE.
func sample() *model.Report {
	loc := func(p string) model.Location {
		return model.Location{Layer: "L2", Chain: "fw.bin > trx@0x0:/part1 > squashfs@0x0", Path: p}
	}
	return &model.Report{
		SchemaVersion: model.SchemaVersion,
		Tool:          model.Tool{Name: "thingsec", Version: "v0.1.0"},
		Target:        model.Target{Name: "fw.bin", Kind: "file", Size: 1024, SHA256: strings.Repeat("ab", 32)},
		StartedAt:     time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC),
		Components: []model.Component{
			{Ref: "pkg:opkg/busybox@1.35.0-1?arch=mipsel_24kc", Name: "busybox", Version: "1.35.0-1", Type: "application",
				License:  &model.License{Expression: "GPL-2.0-or-later", Declared: "GPLv2+", Source: "/usr/lib/opkg/status"},
				Supplier: "Felix Fietkau <nbd@nbd.name>",
				Hashes:   []model.Hash{{Algorithm: "SHA-256", Value: strings.Repeat("01", 32), Path: "/usr/lib/opkg/status"}, {Algorithm: "SHA-256", Value: strings.Repeat("02", 32), Path: "/bin/busybox"}},
				PURL:     "pkg:opkg/busybox@1.35.0-1?arch=mipsel_24kc", CPEs: []string{"cpe:2.3:a:busybox:busybox:1.35.0:*:*:*:*:*:*:*"},
				Locations:    []model.Location{loc("/usr/lib/opkg/status"), loc("/bin/busybox")},
				Evidence:     []model.Evidence{{Kind: "package-db", Path: "/usr/lib/opkg/status", Match: "Package: busybox Version: 1.35.0-1"}, {Kind: "binary-fingerprint", Path: "/bin/busybox", Match: "BusyBox v1.35.0"}},
				Dependencies: []string{"pkg:opkg/libc@2.36-1?arch=mipsel_24kc"}},
			{Ref: "pkg:opkg/libc@2.36-1?arch=mipsel_24kc", Name: "libc", Version: "2.36-1", Type: "library",
				License: &model.License{Expression: "LGPL-2.1-or-later AND LicenseRef-Acme-Proprietary", Declared: "LGPLv2.1+ & Acme Proprietary", Source: "/usr/lib/opkg/status"},
				PURL:    "pkg:opkg/libc@2.36-1?arch=mipsel_24kc", CPEs: []string{"cpe:2.3:a:gnu:glibc:2.36:*:*:*:*:*:*:*", "cpe:2.3:a:gnu:libc:2.36:*:*:*:*:*:*:*"},
				Locations: []model.Location{loc("/usr/lib/opkg/status")},
				Evidence:  []model.Evidence{{Kind: "package-db", Path: "/usr/lib/opkg/status", Match: "Package: libc Version: 2.36-1"}}},
			{Ref: "pkg:generic/acmeos@1.0.0", Name: "AcmeOS", Version: "1.0.0", Type: "operating-system", PURL: "pkg:generic/acmeos@1.0.0",
				Supplier: "Acme Home Networks", License: &model.License{Expression: model.NoAssertion, Reason: "an OS release file (/etc/os-release) names no licence"},
				Locations: []model.Location{loc("/etc/os-release")},
				Evidence:  []model.Evidence{{Kind: "os-release", Path: "/etc/os-release", Match: "NAME=AcmeOS VERSION_ID=1.0.0"}}},
			{Ref: "pkg:golang/golang.org/x/crypto@v0.0.0-20210921155107-089bfa567519", Name: "golang.org/x/crypto", Version: "v0.0.0-20210921155107-089bfa567519", Type: "library",
				PURL:      "pkg:golang/golang.org/x/crypto@v0.0.0-20210921155107-089bfa567519",
				Locations: []model.Location{loc("/usr/sbin/acme-rsupport")},
				Evidence:  []model.Evidence{{Kind: "buildinfo", Path: "/usr/sbin/acme-rsupport", Match: "dep golang.org/x/crypto v0.0.0-20210921155107-089bfa567519"}}},
			{Ref: "component:lua-script@1", Name: "lua-script", Version: "1", Type: "file",
				Locations: []model.Location{{Layer: "L0", Path: "/www/a.lua", Line: 3}}},
		},
	}
}

func TestGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	reporttest.Golden(t, filepath.Join("testdata", "sample.cdx.json"), buf.Bytes(), *update)
	reporttest.ValidateCycloneDX(t, buf.Bytes())
	// the official library reads it back
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(buf.Bytes()), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatal(err)
	}
	if bom.SpecVersion != cdx.SpecVersion1_6 || len(*bom.Components) != 5 {
		t.Errorf("decoded spec %v, %d components", bom.SpecVersion, len(*bom.Components))
	}
}

func TestEmptyReport(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(&buf, &model.Report{Target: model.Target{Name: "rootfs", Kind: "directory"}}); err != nil {
		t.Fatal(err)
	}
	reporttest.ValidateCycloneDX(t, buf.Bytes())
}

// TestIdentityMethods: each piece of evidence is one method of the
// component's identity, with its technique and confidence; an analyzer's
// own (weaker) confidence wins over its kind's, and the identity is as
// sure as its surest method.
func TestIdentityMethods(t *testing.T) {
	rep := &model.Report{
		SchemaVersion: model.SchemaVersion,
		Target:        model.Target{Name: "rootfs", Kind: "directory"},
		Components: []model.Component{
			{Ref: "pkg:generic/python@3.11.2", Name: "python", Version: "3.11.2", PURL: "pkg:generic/python@3.11.2", Type: "application",
				Locations: []model.Location{{Path: "/usr/bin/python3.11"}},
				Evidence: []model.Evidence{
					{Kind: "binary-fingerprint", Path: "/usr/bin/python3.11", Match: "3.11.2"},
					{Kind: "file-name", Path: "/usr/lib/python3.11/os.py", Match: "python3.11", Confidence: 0.25},
				}},
			{Ref: "pkg:golang/github.com/a/b", Name: "github.com/a/b", PURL: "pkg:golang/github.com/a/b", Type: "library",
				Locations: []model.Location{{Path: "/usr/bin/agent"}},
				Evidence:  []model.Evidence{{Kind: "go-pclntab", Path: "/usr/bin/agent", Match: "function names", Confidence: 0.3}}},
			// a fingerprint rule that read the version from the file name
			{Ref: "pkg:generic/libxml2@2.9.14", Name: "libxml2", Version: "2.9.14", PURL: "pkg:generic/libxml2@2.9.14", Type: "library",
				Locations: []model.Location{{Path: "/usr/lib/libxml2.so.2.9.14"}},
				Evidence:  []model.Evidence{{Kind: "binary-fingerprint", Path: "/usr/lib/libxml2.so.2.9.14", Match: "/usr/lib/libxml2.so.2.9.14", Confidence: 0.5}}},
		},
	}
	var buf bytes.Buffer
	if err := Encode(&buf, rep); err != nil {
		t.Fatal(err)
	}
	reporttest.ValidateCycloneDX(t, buf.Bytes())
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(buf.Bytes()), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatal(err)
	}
	type method struct {
		tech cdx.EvidenceIdentityTechnique
		conf float32
	}
	want := map[string]struct {
		conf    float32
		methods []method
	}{
		"python":         {0.7, []method{{cdx.EvidenceIdentityTechniqueBinaryAnalysis, 0.7}, {cdx.EvidenceIdentityTechniqueFilename, 0.25}}},
		"github.com/a/b": {0.3, []method{{cdx.EvidenceIdentityTechniqueBinaryAnalysis, 0.3}}},
		"libxml2":        {0.5, []method{{cdx.EvidenceIdentityTechniqueFilename, 0.5}}},
	}
	if len(*bom.Components) != len(want) {
		t.Fatalf("%d components", len(*bom.Components))
	}
	for _, c := range *bom.Components {
		w := want[c.Name]
		if c.Evidence == nil || c.Evidence.Identity == nil || c.Evidence.Identity.Identities == nil || len(*c.Evidence.Identity.Identities) != 1 {
			t.Fatalf("%s: evidence %+v", c.Name, c.Evidence)
		}
		id := (*c.Evidence.Identity.Identities)[0]
		if id.Field != cdx.EvidenceIdentityFieldTypePURL || id.Confidence == nil || *id.Confidence != w.conf || id.Methods == nil || len(*id.Methods) != len(w.methods) {
			t.Errorf("%s: identity %+v", c.Name, id)
			continue
		}
		for i, m := range *id.Methods {
			if m.Technique != w.methods[i].tech || m.Confidence == nil || *m.Confidence != w.methods[i].conf || m.Value == "" {
				t.Errorf("%s: method %d %+v, want %+v", c.Name, i, m, w.methods[i])
			}
		}
	}
}
