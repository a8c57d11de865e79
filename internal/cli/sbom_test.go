package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	spdxjson "github.com/spdx/tools-golang/json"
)

// runSbom runs "thingsec sbom ARGS" through the real root command.
func runSbom(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	g := &globals{stdout: &out, stderr: newErrLine(&errb)}
	root := newRoot(g)
	root.SetArgs(append([]string{"sbom"}, args...))
	root.SetOut(&out)
	root.SetErr(&errb)
	code := ExitOK
	if err := root.ExecuteContext(context.Background()); err != nil {
		code = ExitInternal
		var ue usageError
		if errorsAs(err, &ue) || strings.HasPrefix(err.Error(), "unknown flag") {
			code = ExitUsage
		}
		errb.WriteString(err.Error())
	}
	return code, out.String(), errb.String()
}

func errorsAs(err error, ue *usageError) bool {
	for err != nil {
		if u, ok := err.(usageError); ok {
			*ue = u
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// deviceTree is a small OpenWrt-style tree: an opkg database and an
// os-release, written as opkg and the build system would.
func deviceTree(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	files := map[string]string{
		"usr/lib/opkg/status": "Package: busybox\nVersion: 1.35.0-1\nDepends: libc\nStatus: install user installed\nArchitecture: mipsel_24kc\n\n" +
			"Package: libc\nVersion: 2.36-1\nStatus: install user installed\nArchitecture: mipsel_24kc\n\n" +
			"Package: dnsmasq\nVersion: 2.90-1\nDepends: libc\nStatus: install user installed\nArchitecture: mipsel_24kc\n",
		"usr/lib/opkg/info/busybox.list": "/bin/busybox\n",
		"etc/os-release":                 "NAME=\"AcmeOS\"\nVERSION_ID=\"1.0.0\"\nID=acmeos\n",
	}
	for p, c := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(d, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func TestSbomCycloneDXDefault(t *testing.T) {
	code, out, errs := runSbom(t, "-q", deviceTree(t))
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(strings.NewReader(out), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatal(err)
	}
	if bom.SpecVersion != cdx.SpecVersion1_6 {
		t.Errorf("spec %v", bom.SpecVersion)
	}
	got := map[string]string{}
	for _, c := range *bom.Components {
		got[c.Name] = c.Version + " " + c.CPE
	}
	for name, want := range map[string]string{
		"busybox": "1.35.0-1 cpe:2.3:a:busybox:busybox:1.35.0:*:*:*:*:*:*:*",
		"dnsmasq": "2.90-1 cpe:2.3:a:thekelleys:dnsmasq:2.90:*:*:*:*:*:*:*",
		"libc":    "2.36-1 cpe:2.3:a:gnu:glibc:2.36:*:*:*:*:*:*:*",
		"AcmeOS":  "1.0.0 ",
	} {
		if got[name] != want {
			t.Errorf("%s: got %q, want %q", name, got[name], want)
		}
	}
	deps := 0
	for _, d := range *bom.Dependencies {
		if d.Dependencies != nil && strings.Contains(d.Ref, "busybox") {
			deps = len(*d.Dependencies)
		}
	}
	if deps != 1 {
		t.Errorf("busybox has %d dependencies, want 1 (libc)", deps)
	}
}

func TestSbomSPDXAndJSON(t *testing.T) {
	tree := deviceTree(t)
	code, out, errs := runSbom(t, "-q", "--format", "spdx", tree)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	doc, err := spdxjson.Read(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Packages) != 5 { // the target and four components
		t.Errorf("%d SPDX packages", len(doc.Packages))
	}
	code, out, errs = runSbom(t, "-q", "--format", "json", tree)
	if code != ExitOK || !strings.Contains(out, `"schema_version"`) {
		t.Fatalf("json: exit %d: %s", code, errs)
	}
}

func TestSbomBadUsage(t *testing.T) {
	if code, _, _ := runSbom(t, "--format", "table", deviceTree(t)); code != ExitUsage {
		t.Errorf("--format table: exit %d, want %d", code, ExitUsage)
	}
	if code, _, _ := runSbom(t); code != ExitUsage {
		t.Errorf("no target: exit %d, want %d", code, ExitUsage)
	}
}

// TestSbomRun is the benchmark hook of scripts/bench-sbom.sh while the
// sbom command is not yet registered in the binary: it runs "sbom" on
// $THINGSEC_SBOM_TARGET and writes to $THINGSEC_SBOM_OUT (with
// --no-unpack when $THINGSEC_SBOM_NO_UNPACK is set).
func TestSbomRun(t *testing.T) {
	target := os.Getenv("THINGSEC_SBOM_TARGET")
	if target == "" {
		t.Skip("only for scripts/bench-sbom.sh")
	}
	args := []string{"-q", "--format", "cyclonedx", "-o", os.Getenv("THINGSEC_SBOM_OUT")}
	if os.Getenv("THINGSEC_SBOM_NO_UNPACK") != "" {
		args = append(args, "--no-unpack")
	}
	code, _, errs := runSbom(t, append(args, target)...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
}
