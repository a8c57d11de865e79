package table

import (
	"bytes"
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
	"github.com/thingsec/thingsec/internal/vuln/db"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// sample is a two-layer report with a symlink, a carved file, a
// component, a vulnerability, findings and a problem.
func sample() *model.Report {
	return &model.Report{
		Target:    model.Target{Name: "fw.bin", Kind: "file", Size: 3 << 20, SHA256: "ab12"},
		Durations: []model.StageDuration{{Stage: "unpack", Seconds: 0.5}, {Stage: "analyze", Seconds: 0.25}},
		Layers: []model.Layer{
			{ID: "L0", Format: "file", Size: 3 << 20, Chain: "fw.bin", Extracted: true, Files: 1},
			{ID: "L1", Parent: "L0", Format: "squashfs", Offset: 0x40, Size: 2 << 20, Chain: "fw.bin > squashfs@0x40", Extracted: true, Depth: 1, Files: 3, Description: "squashfs 4.0, xz"},
			{ID: "L2", Parent: "L1", Format: "jffs2", Offset: 0x1000, Size: 4096, Chain: "fw.bin > squashfs@0x40:/cfg > jffs2@0x1000", Depth: 2},
		},
		Files: []model.File{
			{Layer: "L0", Path: "/fw.bin", Mode: "-rw-r--r--", Size: 3 << 20, Type: "data", SHA256: "ab12", Unpacked: []string{"L1"}},
			{Layer: "L1", Path: "/bin/busybox", Mode: "-rwsr-xr-x", Size: 600000, Type: "elf", Arch: "mipsel", SHA256: "cd34"},
			{Layer: "L1", Path: "/bin/sh", Mode: "lrwxrwxrwx", Type: "symlink", LinkTarget: "busybox"},
			{Layer: "L1", Path: "/etc/shadow", Mode: "-rw-------", Size: 100, Type: "text", SHA256: "ef56"},
		},
		Components: []model.Component{{Ref: "pkg:opkg/busybox@1.35.0-1", Name: "busybox", Version: "1.35.0", Type: "application",
			Evidence: []model.Evidence{{Kind: "package-db"}}}},
		Vulnerabilities: []model.Vulnerability{{ID: "CVE-2022-48174", Severity: model.Critical, Component: "pkg:opkg/busybox@1.35.0-1", KEV: &model.KEV{}, Fixed: []string{"1.36.0"}}},
		Findings:        []model.Finding{{RuleID: "TS-CRED-001", Title: "Default password", Severity: model.High, Location: model.Location{Layer: "L1", Path: "/etc/shadow", Line: 1}}},
		Problems:        []model.Problem{{Layer: "L2", Kind: "corrupt", Message: "jffs2: bad node CRC at 0x20"}},
		Notes:           []string{"vulnerabilities matched against the embedded sample database"},
		Summary: model.Summary{Layers: 3, Files: 4, Bytes: 3<<20 + 600100, FileTypes: map[string]int{"data": 1, "elf": 1, "symlink": 1, "text": 1},
			Components: 1, Findings: map[string]int{"high": 1}, Vulnerabilities: 1, Problems: 1},
	}
}

func TestGolden(t *testing.T) {
	st := &db.Status{Path: "/cache/vuln.db", SchemaVersion: 3, Counts: db.Counts{NVD: 77, KEV: 4}, Stale: "the database is 19d old",
		Sources: []db.Source{{Name: "nvd", Kind: "nvd", Records: 77, UpdatedAt: "2025-12-01T00:00:00Z"}, {Name: "kev", Kind: "kev", Records: 4, UpdatedAt: "bad"}}}
	for _, c := range []struct {
		file string
		enc  func(*bytes.Buffer) error
	}{
		{"report.txt", func(b *bytes.Buffer) error { return Report(b, sample(), Options{}) }},
		{"layers.txt", func(b *bytes.Buffer) error { return Layers(b, sample(), "out", Options{}) }},
		{"files.txt", func(b *bytes.Buffer) error { return Files(b, sample(), false, Options{}) }},
		{"files-long.txt", func(b *bytes.Buffer) error { return Files(b, sample(), true, Options{}) }},
		{"dbstatus.txt", func(b *bytes.Buffer) error { return DBStatus(b, st, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) }},
	} {
		var buf bytes.Buffer
		if err := c.enc(&buf); err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		reporttest.Golden(t, filepath.Join("testdata", c.file), buf.Bytes(), *update)
	}
}

// TestNamesEscaped: a file name, finding location or problem from the image
// that carries terminal escape sequences is printed escaped in every
// table; the raw bytes never reach the terminal.
func TestNamesEscaped(t *testing.T) {
	evil := "/www/\x1b]0;owned\x07\x1b[2J\u202etxt.exe"
	rep := &model.Report{
		Target: model.Target{Name: "fw\x1b[31m.bin", Kind: "file"},
		Layers: []model.Layer{{ID: "L0", Format: "file", Chain: "fw\x1b[31m.bin"}, {ID: "L1", Parent: "L0", Format: "squashfs", Depth: 1, Chain: "fw > squashfs@0x0", Description: "vol \x1b[H"}},
		Files:  []model.File{{Layer: "L1", Path: evil, Type: "symlink", LinkTarget: "/\x1b[8m"}},
		Findings: []model.Finding{{RuleID: "TS-X-001", Title: "t\x1b[1m", Severity: model.High,
			Location: model.Location{Layer: "L1", Path: evil}, Evidence: "pw=\x1b]0;owned\x07"}},
		Services:   []model.Service{{Name: "svc\x1b[2J", Binary: evil, Location: model.Location{Layer: "L1", Path: evil}}},
		Binaries:   []model.Binary{{Path: evil, Listens: true, Missing: []string{"nx"}}},
		Components: []model.Component{{Ref: "c", Name: "name\x1b[2J", Version: "1\x1b[2J"}},
		Problems:   []model.Problem{{Layer: "L1", Path: evil, Stage: "unpack", Kind: "corrupt", Message: "bad \x1b[0m name"}},
	}
	rep.Summary.Hardening = model.SummarizeHardening(rep.Binaries)
	for name, render := range map[string]func(*bytes.Buffer) error{
		"report": func(b *bytes.Buffer) error { return Report(b, rep, Options{}) },
		"report -v": func(b *bytes.Buffer) error {
			return Report(b, rep, Options{Verbose: 1, Gate: &Gate{Failed: true, Reason: "r\x1b[2J"}})
		},
		"files":  func(b *bytes.Buffer) error { return Files(b, rep, false, Options{}) },
		"layers": func(b *bytes.Buffer) error { return Layers(b, rep, "out", Options{}) },
	} {
		var b bytes.Buffer
		if err := render(&b); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if strings.ContainsAny(out, "\x1b\x07\u202e") {
			t.Errorf("%s: raw control characters reach the terminal:\n%q", name, out)
		}
		if name != "layers" && !strings.Contains(out, `\x1b]0;owned\x07`) {
			t.Errorf("%s: the name is not shown escaped:\n%s", name, out)
		}
	}
}
