package markdown

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/thingsec/thingsec/internal/diff"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

// sampleDiff has a change of every kind: built by diff.Compare from two
// small reports.
func sampleDiff() *diff.Diff {
	layers := []model.Layer{{ID: "L0", Format: "file"}, {ID: "L1", Parent: "L0", Format: "squashfs"}}
	f := func(fp, rule string, sev model.Severity, path, ev string) model.Finding {
		return model.Finding{Fingerprint: fp, RuleID: rule, Title: rule + " title", Severity: sev, Evidence: ev, Location: model.Location{Layer: "L1", Path: path}}
	}
	c := func(name, v string) model.Component {
		return model.Component{Ref: "pkg:opkg/" + name + "@" + v, PURL: "pkg:opkg/" + name + "@" + v, Name: name, Version: v, Type: "application"}
	}
	old := &model.Report{
		SchemaVersion: "1.0.0", Tool: model.Tool{Name: "thingsec", Version: "v0.1.0"},
		Target: model.Target{Name: "fw-1.0.bin", Kind: "file", SHA256: strings.Repeat("ab", 32)}, Layers: layers,
		Components: []model.Component{c("busybox", "1.35.0"), c("dnsmasq", "2.90"), c("old|pkg", "1")},
		Findings: []model.Finding{
			f("1", "TS-SECRET-051", model.High, "/etc/cloud.conf", "xoxb****"),
			f("2", "TS-HARD-001", model.Medium, "/usr/sbin/upd", "checksec: No Canary found"),
			f("3", "TS-CRED-001", model.Critical, "/etc/shadow", "root:$5$ab****"),
		},
		Vulnerabilities: []model.Vulnerability{{ID: "CVE-2022-48174", Severity: model.Critical, Component: "pkg:opkg/busybox@1.35.0"}},
		Binaries: []model.Binary{
			{Layer: "L1", Path: "/usr/sbin/meshd", Kind: "executable", PIE: "yes", RELRO: "full", Canary: true, NX: true},
			{Layer: "L1", Path: "/usr/sbin/upd", Kind: "executable", PIE: "no", RELRO: "none"},
		},
		Files: []model.File{
			{Layer: "L1", Path: "/etc/cloud.conf", SHA256: strings.Repeat("01", 32), Mode: "-rw-r--r--"},
			{Layer: "L1", Path: "/etc/gone", SHA256: strings.Repeat("02", 32)},
		},
		Services: []model.Service{{Name: "telnetd", Protocol: "tcp", Port: 23}},
	}
	new := &model.Report{
		SchemaVersion: "1.0.0", Tool: model.Tool{Name: "thingsec", Version: "v0.2.0"},
		Target: model.Target{Name: "fw-1.1.bin", Kind: "file", SHA256: strings.Repeat("cd", 32)}, Layers: layers,
		Components: []model.Component{c("busybox", "1.36.1"), c("dnsmasq", "2.85"), c("new<pkg>", "2")},
		Findings: []model.Finding{
			f("2", "TS-HARD-001", model.Medium, "/usr/sbin/upd", "checksec: Canary found"),
			f("3", "TS-CRED-001", model.Critical, "/etc/shadow", "root:$5$ab****"),
			f("4", "TS-SECRET-031", model.High, "/www/js/main.js", "gith****|`x`"),
		},
		Vulnerabilities: []model.Vulnerability{{ID: "CVE-2023-42363", Severity: model.Medium, Component: "pkg:opkg/busybox@1.36.1", Fixed: []string{"1.37.0"}}},
		Binaries: []model.Binary{
			{Layer: "L1", Path: "/usr/sbin/meshd", Kind: "executable", PIE: "yes", RELRO: "partial", Canary: true, NX: true},
			{Layer: "L1", Path: "/usr/sbin/upd", Kind: "executable", PIE: "no", RELRO: "none", Canary: true},
		},
		Files: []model.File{
			{Layer: "L1", Path: "/etc/cloud.conf", SHA256: strings.Repeat("03", 32), Mode: "-rw-------"},
			{Layer: "L1", Path: "/www/js/main.js", SHA256: strings.Repeat("04", 32)},
		},
		Services: []model.Service{{Name: "sshd", Protocol: "tcp", Port: 22}},
	}
	d := diff.Compare(old, new)
	d.Tool = model.Tool{Name: "thingsec", Version: "v0.2.0"}
	return d
}

// balancedDiff fails unless every <details> (open or not) is closed.
func balancedDiff(t *testing.T, s string) {
	t.Helper()
	if o, c := strings.Count(s, "<details"), strings.Count(s, "</details>"); o != c {
		t.Errorf("%d <details, %d </details>", o, c)
	}
}

func TestDiffGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := EncodeDiff(&buf, sampleDiff()); err != nil {
		t.Fatal(err)
	}
	reporttest.Golden(t, filepath.Join("testdata", "diff.md"), buf.Bytes(), *update)
	balancedDiff(t, buf.String())
}

func TestDiffGoldenTruncated(t *testing.T) {
	var buf bytes.Buffer
	if err := encodeDiff(&buf, sampleDiff(), 2600); err != nil {
		t.Fatal(err)
	}
	reporttest.Golden(t, filepath.Join("testdata", "diff-truncated.md"), buf.Bytes(), *update)
	balancedDiff(t, buf.String())
	if n := utf8.RuneCount(buf.Bytes()); n > 2600 {
		t.Errorf("%d characters, limit 2600", n)
	}
	if !strings.Contains(buf.String(), "Output truncated") {
		t.Error("no truncation notice")
	}
}

// TestDiffCap: a release that changed 20,000 files stays within MaxChars
// and every row is written or counted.
func TestDiffCap(t *testing.T) {
	d := sampleDiff()
	for i := range 20000 {
		d.Files.Changed = append(d.Files.Changed, diff.FileChange{Layer: "squashfs", Path: fmt.Sprintf("/usr/share/dönnées/%d", i), Changes: []string{"content"}})
	}
	var buf bytes.Buffer
	if err := EncodeDiff(&buf, d); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if n := utf8.RuneCountInString(out); n > MaxChars || n < MaxChars-1000 {
		t.Errorf("%d characters, want just under %d", n, MaxChars)
	}
	balancedDiff(t, out)
	m := regexp.MustCompile(`(\d+) more rows are in the JSON report`).FindStringSubmatch(out)
	if m == nil {
		t.Fatal("no truncation notice")
	}
	omitted, _ := strconv.Atoi(m[1])
	written := strings.Count(out, "| content | squashfs:/usr/share/")
	if written+omitted < 20000 || written == 0 {
		t.Errorf("written %d + omitted %d < 20000 file rows", written, omitted)
	}
}

// TestDiffRendered: the new findings, vulnerabilities and regressions
// open by default; text from the reports stays text.
func TestDiffRendered(t *testing.T) {
	var src bytes.Buffer
	if err := EncodeDiff(&src, sampleDiff()); err != nil {
		t.Fatal(err)
	}
	md := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))
	var out bytes.Buffer
	if err := md.Convert(src.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	h := out.String()
	for _, want := range []string{
		"<details open><summary><b>New findings (1)</b></summary>",
		"<details open><summary><b>Vulnerabilities introduced (1)</b></summary>",
		"<details open><summary><b>Hardening regressions (1)</b></summary>",
		"<details><summary><b>Fixed findings (1)</b></summary>",
		"<code>gith****|`x`</code>",
		"new&lt;pkg&gt;",
		"old|pkg",
	} {
		if !strings.Contains(h, want) {
			t.Errorf("rendered HTML lacks %q", want)
		}
	}
	if strings.Contains(h, "<pkg>") {
		t.Errorf("report text became markup:\n%s", h)
	}
}
