package sbomcheck_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/package-url/packageurl-go"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/thingsec/thingsec/internal/cli"
	"github.com/thingsec/thingsec/internal/license"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/cyclonedx"
	"github.com/thingsec/thingsec/internal/report/reporttest"
	"github.com/thingsec/thingsec/internal/report/spdx"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// sbomReport runs `thingsec sbom --format json` on target.
func sbomReport(t *testing.T, target string) *model.Report {
	t.Helper()
	out := filepath.Join(t.TempDir(), "sbom.json")
	var stderr bytes.Buffer
	if rc := cli.Main(context.Background(), []string{"thingsec", "sbom", "--quiet", "--format", "json", "-o", out, target}, io.Discard, &stderr); rc != 0 {
		t.Fatalf("thingsec sbom %s: exit %d: %s", target, rc, stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep model.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	return &rep
}

func purlVersion(t *testing.T, p string) string {
	t.Helper()
	u, err := packageurl.FromString(p)
	if err != nil {
		t.Fatalf("purl %q: %v", p, err)
	}
	return u.Version
}

// checkAll encodes rep both ways, validates both documents against their
// official schemas and checks what every component keeps: a licence or
// NOASSERTION with the reason, version equal to the purl version, the
// hashes of the files that identified it.
func checkAll(t *testing.T, rep *model.Report) {
	if len(rep.Components) == 0 {
		t.Fatal("no components")
	}
	files := map[string]string{}
	for _, f := range rep.Files {
		files[f.Path] = f.SHA256
	}
	for _, c := range rep.Components {
		l := c.License
		switch {
		case l == nil:
			t.Errorf("%s: no licence", c.Ref)
		case l.Expression == model.NoAssertion && l.Reason == "":
			t.Errorf("%s: NOASSERTION without a reason", c.Ref)
		case !license.Valid(l.Expression):
			t.Errorf("%s: licence %q is not a valid SPDX expression", c.Ref, l.Expression)
		}
		if c.PURL != "" && purlVersion(t, c.PURL) != c.Version {
			t.Errorf("%s: version %q, purl version %q", c.Ref, c.Version, purlVersion(t, c.PURL))
		}
		if len(c.Evidence) > 0 && len(c.Hashes) == 0 {
			t.Errorf("%s: no hash of %s", c.Ref, c.Evidence[0].Path)
		}
		for _, h := range c.Hashes {
			if h.Algorithm != "SHA-256" || len(h.Value) != 64 || files[h.Path] == "" {
				t.Errorf("%s: hash %+v of a file not in the inventory", c.Ref, h)
			}
		}
	}

	var sb bytes.Buffer
	if err := spdx.Encode(&sb, rep); err != nil {
		t.Fatal(err)
	}
	reporttest.ValidateSPDX(t, sb.Bytes())
	doc, err := spdxjson.Read(bytes.NewReader(sb.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Packages) != len(rep.Components)+1 {
		t.Errorf("SPDX: %d packages for %d components", len(doc.Packages), len(rep.Components))
	}
	for _, p := range doc.Packages[1:] {
		if p.PackageLicenseDeclared == "" || p.PackageLicenseDeclared == model.NoAssertion && !strings.HasPrefix(p.PackageLicenseComments, "NOASSERTION: ") {
			t.Errorf("SPDX %s: licence %q, comment %q", p.PackageSPDXIdentifier, p.PackageLicenseDeclared, p.PackageLicenseComments)
		}
		for _, r := range p.PackageExternalReferences {
			if r.RefType == "purl" && purlVersion(t, r.Locator) != p.PackageVersion {
				t.Errorf("SPDX %s: versionInfo %q, purl %s", p.PackageSPDXIdentifier, p.PackageVersion, r.Locator)
			}
		}
	}

	var cb bytes.Buffer
	if err := cyclonedx.Encode(&cb, rep); err != nil {
		t.Fatal(err)
	}
	reporttest.ValidateCycloneDX(t, cb.Bytes())
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(cb.Bytes()), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatal(err)
	}
	for _, c := range *bom.Components {
		if c.PackageURL != "" && purlVersion(t, c.PackageURL) != c.Version {
			t.Errorf("CycloneDX %s: version %q, purl %s", c.BOMRef, c.Version, c.PackageURL)
		}
		why := false
		if c.Properties != nil {
			for _, p := range *c.Properties {
				why = why || p.Name == "thingsec:license:noassertion" && p.Value != ""
			}
		}
		if (c.Licenses == nil || len(*c.Licenses) == 0) && !why {
			t.Errorf("CycloneDX %s: no licence and no reason", c.BOMRef)
		}
	}
	t.Logf("%d components: SPDX and CycloneDX valid", len(rep.Components))
	checkIdentity(t, rep, doc.Packages[0].PackageName, doc.Packages[0].PackageVersion, bom.Metadata.Component)
}

// checkIdentity: both documents name the firmware alike.
func checkIdentity(t *testing.T, rep *model.Report, spdxName, spdxVersion string, mc *cdx.Component) {
	t.Helper()
	if mc == nil || mc.Name != spdxName || mc.Version != spdxVersion {
		t.Errorf("SPDX root %s %s, CycloneDX metadata component %+v", spdxName, spdxVersion, mc)
	}
}

func TestDemoImage(t *testing.T) {
	rep := sbomReport(t, filepath.Join("..", "..", "..", "testdata", "demo", "acme-cam.bin"))
	checkAll(t, rep)
	// The image names itself in its uImage header: "AcmeCam C1 rootfs 1.0.0".
	var sb bytes.Buffer
	if err := spdx.Encode(&sb, rep); err != nil {
		t.Fatal(err)
	}
	doc, err := spdxjson.Read(bytes.NewReader(sb.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if r := doc.Packages[0]; r.PackageName != "AcmeCam C1 rootfs" || r.PackageVersion != "1.0.0" || r.PackageFileName != "acme-cam.bin" {
		t.Errorf("root package %q %q (%q)", r.PackageName, r.PackageVersion, r.PackageFileName)
	}
}

func corpus(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("THINGSEC_SHARED")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "shared")
	}
	dir = filepath.Join(dir, "corpus", "firmware")
	if _, err := os.Stat(filepath.Join(dir, "ANSWERS.md")); err != nil {
		t.Skipf("shared firmware corpus not found at %s: %v", dir, err)
	}
	return dir
}

// rootfsSums reads verify/<version>/rootfs.sha256: the SHA-256 of every
// rootfs file as unsquashfs extracts it.
func rootfsSums(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if sum, p, ok := strings.Cut(sc.Text(), "  "); ok {
			sums[p] = sum
		}
	}
	return sums
}

func TestCorpusImages(t *testing.T) {
	dir := corpus(t)
	versions := []string{"1.0.0", "1.1.0"}
	if formattest.Race {
		// Under the race detector one release is enough: the encoders and
		// checks are the same, the scan is what costs.
		versions = versions[:1]
	}
	for _, ver := range versions {
		t.Run(ver, func(t *testing.T) {
			rep := sbomReport(t, filepath.Join(dir, "acme-hg100-"+ver+".bin"))
			checkAll(t, rep)
			// the hashes are those of the files unsquashfs extracts
			sums := rootfsSums(t, filepath.Join(dir, "verify", ver, "rootfs.sha256"))
			checked := 0
			for _, c := range rep.Components {
				for _, h := range c.Hashes {
					if want, ok := sums[h.Path]; ok {
						checked++
						if h.Value != want {
							t.Errorf("%s: %s sha256 %s, unsquashfs %s", c.Ref, h.Path, h.Value, want)
						}
					}
				}
			}
			if checked == 0 {
				t.Error("no component hash checked against rootfs.sha256")
			}
			// The image's os-release names it: AcmeOS <ver>, made by Acme
			// Home Networks; opkg's Maintainer is every package's supplier.
			var cb bytes.Buffer
			if err := cyclonedx.Encode(&cb, rep); err != nil {
				t.Fatal(err)
			}
			var bom cdx.BOM
			if err := cdx.NewBOMDecoder(bytes.NewReader(cb.Bytes()), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
				t.Fatal(err)
			}
			mc := bom.Metadata.Component
			if mc.Name != "AcmeOS" || mc.Version != ver || mc.Manufacturer == nil || mc.Manufacturer.Name != "Acme Home Networks" {
				t.Errorf("metadata component %s %s %+v", mc.Name, mc.Version, mc.Manufacturer)
			}
			for _, c := range rep.Components {
				if strings.HasPrefix(c.PURL, "pkg:opkg/") && c.Supplier != "Acme Home Networks firmware team" {
					t.Errorf("%s: supplier %q", c.Ref, c.Supplier)
				}
			}
		})
	}
}

// TestDebianCopyright scans a tree made of this machine's own dpkg records
// (dpkg-query's status stanzas) and Debian's copyright files of the same
// packages: their licences come from the DEP-5 files, and a package whose
// copyright file is missing says so.
func TestDebianCopyright(t *testing.T) {
	root := t.TempDir()
	var status bytes.Buffer
	for _, pkg := range []string{"squashfs-tools", "cpio", "xz-utils"} {
		out, err := exec.Command("dpkg-query", "-s", pkg).Output()
		if err != nil {
			t.Skipf("dpkg-query -s %s: %v (.ci/run installs it)", pkg, err)
		}
		status.Write(bytes.TrimSpace(out))
		status.WriteString("\n\n")
		if pkg == "xz-utils" {
			continue // no copyright file in the image
		}
		data, err := os.ReadFile("/usr/share/doc/" + pkg + "/copyright")
		if err != nil {
			t.Skip(err)
		}
		dir := filepath.Join(root, "usr", "share", "doc", pkg)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "copyright"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A doc directory that links to another package's (same source), as
	// Debian allows: the first such package this machine has.
	linked, linkTarget := "", ""
	ents, _ := os.ReadDir("/usr/share/doc")
	for _, e := range ents {
		if e.Type()&os.ModeSymlink == 0 {
			continue
		}
		tgt, err := os.Readlink(filepath.Join("/usr/share/doc", e.Name()))
		if err != nil || strings.Contains(tgt, "/") {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/usr/share/doc", tgt, "copyright"))
		if err != nil || !bytes.HasPrefix(data, []byte("Format:")) {
			continue
		}
		out, err := exec.Command("dpkg-query", "-s", e.Name()).Output()
		if err != nil {
			continue
		}
		status.Write(bytes.TrimSpace(out))
		status.WriteString("\n\n")
		dir := filepath.Join(root, "usr", "share", "doc", tgt)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "copyright"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(tgt, filepath.Join(root, "usr", "share", "doc", e.Name())); err != nil {
			t.Fatal(err)
		}
		linked, linkTarget = e.Name(), tgt
		break
	}
	if err := os.MkdirAll(filepath.Join(root, "var", "lib", "dpkg"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "var", "lib", "dpkg", "status"), status.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := sbomReport(t, root)
	checkAll(t, rep)
	want := map[string]string{
		"squashfs-tools": "GPL-2.0-or-later",
		"cpio":           "(GPL-3.0-or-later) AND (LGPL-3.0-or-later)",
		"xz-utils":       model.NoAssertion,
	}
	for _, c := range rep.Components {
		w, ok := want[c.Name]
		if !ok {
			continue
		}
		delete(want, c.Name)
		if c.License.Expression != w {
			t.Errorf("%s: licence %+v, want %s", c.Name, c.License, w)
		}
		if w == model.NoAssertion && !strings.Contains(c.License.Reason, "/usr/share/doc/xz-utils/copyright") {
			t.Errorf("%s: reason %q", c.Name, c.License.Reason)
		}
		if c.Supplier == "" {
			t.Errorf("%s: no supplier (Maintainer)", c.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("not found: %v", want)
	}
	if linked == "" {
		t.Log("no linked doc directory on this machine")
		return
	}
	for _, c := range rep.Components {
		if c.Name == linked && (c.License.Expression == model.NoAssertion || c.License.Source != "/usr/share/doc/"+linkTarget+"/copyright") {
			t.Errorf("%s (doc directory linked to %s): licence %+v", linked, linkTarget, c.License)
		}
	}
}
