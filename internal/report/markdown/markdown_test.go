package markdown

import (
	"bytes"
	"flag"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// sample has every section: findings of three severities (one with
// markup and a pipe in its evidence), a KEV vulnerability, components,
// problems and a note.
func sample() *model.Report {
	loc := func(p string, line int) model.Location {
		return model.Location{Layer: "L2", Chain: "fw.bin > uimage@0x0 > squashfs@0x40", Path: p, Line: line}
	}
	return &model.Report{
		SchemaVersion: model.SchemaVersion,
		Tool:          model.Tool{Name: "thingsec", Version: "v0.1.0"},
		Target:        model.Target{Name: "fw<1>.bin", Kind: "file", Size: 4096, SHA256: strings.Repeat("ab", 32)},
		StartedAt:     time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC),
		Layers:        []model.Layer{{ID: "L0"}, {ID: "L1"}, {ID: "L2"}},
		Components: []model.Component{
			{Ref: "pkg:opkg/busybox@1.35.0-1", Name: "busybox", Version: "1.35.0", Type: "application", PURL: "pkg:opkg/busybox@1.35.0-1",
				Evidence: []model.Evidence{{Kind: "package-db", Path: "/usr/lib/opkg/status"}}},
			{Ref: "component:acme_agent@2", Name: "acme_agent", Version: "2", Type: "application"},
		},
		Findings: []model.Finding{
			{RuleID: "TS-KEY-001", Title: "Private key", Severity: model.Critical, Location: loc("/etc/ssl/key.pem", 1), Evidence: "-----BEGIN RSA PRIVATE KEY-----"},
			{RuleID: "TS-CRED-002", Title: "Default password | root", Severity: model.High, Location: loc("/etc/shadow", 1), Evidence: "root:$1$ab`c|d"},
			{RuleID: "TS-SEC-010", Title: "AWS key *maybe*", Severity: model.High, Location: model.Location{Layer: "L1", Path: "/kernel", Offset: 0x1f00}, Evidence: "AKIA****"},
			{RuleID: "TS-CRED-009", Title: "Empty password (crypt $1$)", Severity: model.Low, Location: loc("/etc/passwd", 3)},
		},
		Vulnerabilities: []model.Vulnerability{
			{ID: "CVE-2022-48174", Severity: model.Critical, Component: "pkg:opkg/busybox@1.35.0-1", CVSS: []model.CVSS{{Version: "3.1", Score: 9.8}},
				KEV: &model.KEV{DateAdded: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}, EPSS: &model.EPSS{Score: 0.01234}, Fixed: []string{"1.36.0"}},
			{ID: "CVE-2021-0001", Severity: model.Medium, Component: "pkg:unknown/x", Priority: &model.Priority{Level: model.High, Reasons: []string{"CVSS severity medium", "reachable: listens on tcp/80"}}},
			{ID: "GO-2021-0113", Severity: model.Unknown, Component: "pkg:unknown/x", Fixed: []string{"0.3.7"}},
		},
		Problems: []model.Problem{{Layer: "L1", Path: "/rootfs.img", Stage: "unpack", Kind: "corrupt", Message: "squashfs: bad inode table at 0x1234"}},
		Notes:    []string{"vulnerabilities matched against the embedded sample database"},
		Summary:  model.Summary{Layers: 3, Files: 12, Components: 2, Findings: map[string]int{"critical": 1, "high": 2, "low": 1}},
	}
}

func TestGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	reporttest.Golden(t, filepath.Join("testdata", "sample.md"), buf.Bytes(), *update)
	balanced(t, buf.String())
}

// TestGoldenTruncated cuts the sample short: the open section is closed,
// later sections are left out and the notice counts what is missing.
func TestGoldenTruncated(t *testing.T) {
	var buf bytes.Buffer
	if err := encode(&buf, sample(), 1800); err != nil {
		t.Fatal(err)
	}
	reporttest.Golden(t, filepath.Join("testdata", "truncated.md"), buf.Bytes(), *update)
	balanced(t, buf.String())
	if n := utf8.RuneCount(buf.Bytes()); n > 1800 {
		t.Errorf("%d characters, limit 1800", n)
	}
}

// TestCap: a report far over the limit (multi-byte names included) stays
// within MaxChars, and every row is either written or counted.
func TestCap(t *testing.T) {
	rep := sample()
	rep.Components = nil
	for i := range 5000 {
		rep.Components = append(rep.Components, model.Component{Name: fmt.Sprintf("bibliothèque-ünïcode-%d", i), Version: "1.0", Type: "library"})
	}
	for i := range 3000 {
		rep.Problems = append(rep.Problems, model.Problem{Layer: "L1", Path: fmt.Sprintf("/f%d", i), Kind: "io", Message: "cannot open"})
	}
	var buf bytes.Buffer
	if err := Encode(&buf, rep); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if n := utf8.RuneCountInString(out); n > MaxChars || n < MaxChars-1000 {
		t.Errorf("%d characters, want just under %d", n, MaxChars)
	}
	balanced(t, out)
	m := regexp.MustCompile(`(\d+) more rows are in the JSON report`).FindStringSubmatch(out)
	if m == nil {
		t.Fatal("no truncation notice")
	}
	omitted, _ := strconv.Atoi(m[1])
	rows := strings.Count(out, "\n| ") - strings.Count(out, "\n| |") // table rows, headers included
	headers := strings.Count(out, "<details>")
	total := len(rep.Findings) + len(rep.Vulnerabilities) + len(rep.Components) + len(rep.Problems)
	// the summary table has 9 rows after its header line
	if got := rows - headers - 9 + omitted; got != total {
		t.Errorf("written %d + omitted %d rows != %d", rows-headers-9, omitted, total)
	}
}

func TestEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(&buf, &model.Report{Target: model.Target{Name: "rootfs", Kind: "directory"}}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "<details>") || !strings.Contains(out, "| Findings | 0 |") {
		t.Errorf("empty report:\n%s", out)
	}
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"a|b":             `a\|b`,
		"<script>":        "&lt;script&gt;",
		"x\ny":            "x y",
		"*bold* _it_ [l]": `\*bold\* \_it\_ \[l\]`,
		"crypt ($1$)":     `crypt (\$1\$)`,
	} {
		if got := esc(in); got != want {
			t.Errorf("esc(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"a`b": "``a`b``", "`x": "`` `x ``", "p|q": "`p\\|q`", "": "",
	} {
		if got := code(in); got != want {
			t.Errorf("code(%q) = %q, want %q", in, got, want)
		}
	}
}

// balanced fails unless every <details> is closed.
func balanced(t *testing.T, s string) {
	t.Helper()
	if o, c := strings.Count(s, "<details>"), strings.Count(s, "</details>"); o != c {
		t.Errorf("%d <details>, %d </details>", o, c)
	}
}

// TestRendered renders the sample with a CommonMark/GFM renderer: every
// section is one HTML table with one row per item, escaped text comes out
// as written, and no HTML of the report's own text gets through.
func TestRendered(t *testing.T) {
	var src bytes.Buffer
	if err := Encode(&src, sample()); err != nil {
		t.Fatal(err)
	}
	md := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))
	var out bytes.Buffer
	if err := md.Convert(src.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	h := out.String()
	// summary + 3 finding severities + vulnerabilities + components + problems
	if n := strings.Count(h, "<table>"); n != 7 {
		t.Errorf("%d tables, want 7:\n%s", n, h)
	}
	// body rows: 9 summary + 4 findings + 3 vulnerabilities + 2 components + 1 problem
	if n := strings.Count(h, "<tr>") - strings.Count(h, "<thead>"); n != 19 {
		t.Errorf("%d body rows, want 19", n)
	}
	for _, want := range []string{
		"<code>root:$1$ab`c|d</code>", // a pipe and a backtick inside evidence
		"Default password | root",     // a pipe in a title
		"AWS key *maybe*",             // emphasis markers kept as text
		"fw&lt;1&gt;.bin",             // the target name is text, not a tag
		"<summary><b>Findings: critical (1)</b></summary>",
	} {
		if !strings.Contains(h, want) {
			t.Errorf("rendered HTML lacks %q", want)
		}
	}
	if strings.Contains(h, "<1>") || strings.Contains(h, "<em>") {
		t.Errorf("report text became markup:\n%s", h)
	}
}
