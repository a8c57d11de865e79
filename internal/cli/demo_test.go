package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
)

// TestDemoImage runs the README's first command on the demo firmware and
// checks what a newcomer must see: every layer unpacked, the components,
// real vulnerabilities from the embedded sample, and the planted problems.
func TestDemoImage(t *testing.T) {
	var out, errb bytes.Buffer
	db := filepath.Join(t.TempDir(), "absent.db")
	code := Main(context.Background(), []string{"thingsec", "scan", "--format", "json", "--db-path", db, "../../testdata/demo/acme-cam.bin"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	reporttest.Validate(t, out.Bytes())
	var rep model.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	formats := map[string]bool{}
	for _, l := range rep.Layers {
		formats[l.Format] = true
	}
	for _, f := range []string{"uimage", "squashfs", "jffs2"} {
		if !formats[f] {
			t.Errorf("no %s layer", f)
		}
	}
	comps := map[string]string{}
	for _, c := range rep.Components {
		comps[c.Name] = c.Version
	}
	for name, v := range map[string]string{"busybox": "1.35.0-1", "dnsmasq": "2.90-1", "dropbear": "2022.83-1"} {
		if comps[name] != v {
			t.Errorf("component %s = %q, want %s", name, comps[name], v)
		}
	}
	vulns := map[string]bool{}
	for _, v := range rep.Vulnerabilities {
		vulns[v.ID] = true
	}
	if !vulns["CVE-2022-48174"] {
		t.Errorf("busybox 1.35.0 should match CVE-2022-48174 from the embedded sample; got %v", vulns)
	}
	checkDemoReportFields(t, out.Bytes(), &rep)
	rules := map[string]string{}
	for _, f := range rep.Findings {
		rules[f.RuleID+" "+f.Location.Path] = string(f.Severity)
	}
	for _, want := range []string{
		"TS-CRED-001 /etc/shadow",                // cracked default password
		"TS-KEY-001 /etc/ssl/private/device.key", // private key shipped
		"TS-CRED-101 /etc/config/cloud",          // credentials in an MQTT URL
		"TS-CRED-145 /wireless",                  // Wi-Fi key in the JFFS2 config
	} {
		if _, ok := rules[want]; !ok {
			t.Errorf("finding %s missing; have %v", want, rules)
		}
	}
	if len(rep.Notes) == 0 {
		t.Error("the report does not say it used the embedded sample")
	}
	// The same scan as CycloneDX.
	out.Reset()
	if code := Main(context.Background(), []string{"thingsec", "scan", "-q", "--format", "cyclonedx", "--db-path", db, "../../testdata/demo/acme-cam.bin"}, &out, &errb); code != 0 {
		t.Fatalf("cyclonedx exit %d", code)
	}
	if !bytes.Contains(out.Bytes(), []byte(`"bomFormat": "CycloneDX"`)) || !bytes.Contains(out.Bytes(), []byte("pkg:opkg/busybox")) {
		t.Errorf("cyclonedx output: %.300s", out.String())
	}
}

// TestUnpackDemo: thingsec unpack writes every layer under DIR and
// nothing else; the root file system is there with its symlinks.
func TestUnpackDemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	var out, errb bytes.Buffer
	if code := Main(context.Background(), []string{"thingsec", "unpack", "../../testdata/demo/acme-cam.bin", "--dir", dir}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	busybox, _ := filepath.Glob(filepath.Join(dir, "L*", "bin", "busybox"))
	sh, _ := filepath.Glob(filepath.Join(dir, "L*", "bin", "sh"))
	if len(busybox) != 1 || len(sh) != 1 {
		t.Fatalf("busybox %v, sh %v; output:\n%s", busybox, sh, out.String())
	}
	if target, err := os.Readlink(sh[0]); err != nil || target != "busybox" {
		t.Errorf("bin/sh -> %q (%v)", target, err)
	}
	if !bytes.Contains(out.Bytes(), []byte("squashfs")) || !bytes.Contains(out.Bytes(), []byte("entries extracted into")) {
		t.Errorf("layer table:\n%s", out.String())
	}
	// A second run into the same, now full, directory is refused.
	if code := Main(context.Background(), []string{"thingsec", "unpack", "../../testdata/demo/acme-cam.bin", "--dir", dir}, &out, &errb); code != ExitUsage {
		t.Errorf("unpack into a full directory: exit %d", code)
	}
}

// checkDemoReportFields checks what CI reads from the demo's JSON report
// beyond the schema (which Validate checked, times included): each
// vulnerability names its component, version, match and page; layers and
// locations carry their chain as steps; empty services are left out; and
// ReadReport reads the report back as written.
func checkDemoReportFields(t *testing.T, doc []byte, rep *model.Report) {
	t.Helper()
	if rep.Schema != model.SchemaID || rep.SchemaVersion != model.SchemaVersion {
		t.Errorf("$schema %q, schema_version %q", rep.Schema, rep.SchemaVersion)
	}
	if len(rep.Services) == 0 && bytes.Contains(doc, []byte(`"services"`)) {
		t.Error("empty services written")
	}
	for _, v := range rep.Vulnerabilities {
		if v.ID != "CVE-2022-48174" {
			continue
		}
		want := model.Match{Method: "cpe", Criterion: "cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*", Constraint: "<=1.36.1"}
		if v.ComponentName != "busybox" || v.InstalledVersion != "1.35.0-1" || v.MatchedBy != want ||
			v.URL != "https://nvd.nist.gov/vuln/detail/CVE-2022-48174" || v.Severity != model.Critical ||
			v.Published.Format(time.RFC3339) != "2023-08-22T19:16:31Z" {
			t.Errorf("CVE-2022-48174: %+v", v)
		}
	}
	steps := map[string][]model.ChainStep{}
	for _, l := range rep.Layers {
		n := len(l.ChainSteps)
		if n != l.Depth+1 || l.ChainSteps[n-1].Format != l.Format || l.ChainSteps[n-1].Offset != l.Offset || l.ChainSteps[0].Path != "acme-cam.bin" {
			t.Errorf("layer %s (%s): steps %+v", l.ID, l.Chain, l.ChainSteps)
		}
		steps[l.ID] = l.ChainSteps
	}
	for _, f := range rep.Findings {
		if !slices.Equal(f.Location.ChainSteps, steps[f.Location.Layer]) || len(f.Location.ChainSteps) == 0 {
			t.Errorf("%s %s: steps %+v", f.RuleID, f.Location.Path, f.Location.ChainSteps)
		}
	}
	back, err := model.DecodeReport(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, rep) {
		t.Error("ReadReport does not read the report as json.Unmarshal does")
	}
}
