package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report"
	"github.com/thingsec/thingsec/internal/report/reporttest"
)

// makeTree writes a small tree with one file of each inventory type.
func makeTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	exe, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"bin/tool":            exe,
		"etc/init.d/rcS":      []byte("#!/bin/sh\nmount -a\n"),
		"www/cgi-bin/x.lua":   []byte("-- lua\nprint('x')\n"),
		"etc/config/network":  []byte("config interface 'lan'\n\toption proto 'static'\n"),
		"etc/ssl/key.pem":     []byte("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"),
		"data/blob.bin":       {0x00, 0x01, 0xff, 0xfe, 0x10},
		"data/settings.db":    append([]byte("SQLite format 3\x00"), make([]byte, 100)...),
		"data/archive.tar.gz": {0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3},
		"empty":               nil,
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/bin/tool", filepath.Join(dir, "bin/sh")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "data/fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func scanJSON(t *testing.T, cfg Config) ([]byte, *model.Report) {
	t.Helper()
	rep, err := Scan(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.JSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), rep
}

func TestScanDirectoryInventory(t *testing.T) {
	dir := makeTree(t)
	doc, rep := scanJSON(t, Config{Target: dir, Workers: 4, Unpack: true})
	reporttest.Validate(t, doc)
	want := map[string]string{
		"/bin/tool":            "elf",
		"/bin/sh":              "symlink",
		"/etc/init.d/rcS":      "script",
		"/www/cgi-bin/x.lua":   "script",
		"/etc/config/network":  "text",
		"/etc/ssl/key.pem":     "pem",
		"/data/blob.bin":       "data",
		"/data/settings.db":    "sqlite",
		"/data/archive.tar.gz": "compressed",
		"/data/fifo":           "fifo",
		"/empty":               "empty",
		"/etc":                 "directory",
	}
	got := map[string]model.File{}
	for _, f := range rep.Files {
		got[f.Path] = f
	}
	for p, typ := range want {
		f, ok := got[p]
		if !ok {
			t.Errorf("%s missing from inventory", p)
			continue
		}
		if f.Type != typ {
			t.Errorf("%s: type %q, want %q", p, f.Type, typ)
		}
	}
	if f := got["/bin/sh"]; f.LinkTarget != "/bin/tool" || f.Mode[0] != 'l' {
		t.Errorf("symlink recorded as %+v", f)
	}
	if f := got["/bin/tool"]; f.Arch == "" || len(f.SHA256) != 64 {
		t.Errorf("ELF without arch or hash: %+v", f)
	}
	if f := got["/etc/ssl/key.pem"]; f.Mode != "-rw-r--r--" {
		t.Errorf("mode %q", f.Mode)
	}
	if rep.Target.Kind != "directory" || rep.Summary.Files != len(rep.Files) {
		t.Errorf("summary %+v target %+v", rep.Summary, rep.Target)
	}
}

func TestScanIsDeterministic(t *testing.T) {
	dir := makeTree(t)
	a, _ := scanJSON(t, Config{Target: dir, Workers: 1, Unpack: true})
	b, _ := scanJSON(t, Config{Target: dir, Workers: 8, Unpack: true})
	if !bytes.Equal(reporttest.Normalize(t, a), reporttest.Normalize(t, b)) {
		t.Fatal("two scans of the same tree differ beyond times")
	}
}

func TestBadTargets(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o644)
	emptyDir := filepath.Join(dir, "emptydir")
	os.Mkdir(emptyDir, 0o755)
	fifo := filepath.Join(dir, "fifo")
	syscall.Mkfifo(fifo, 0o600)
	tests := []struct {
		target, reason string
	}{
		{filepath.Join(dir, "missing"), "no such file or directory"},
		{empty, "file is empty (0 bytes): nothing to scan"},
		{emptyDir, "directory is empty: nothing to scan"},
		{fifo, "is a FIFO (named pipe), not a file or directory; save the data to a file first"},
		{"/dev/null", "is a device node; dump it to a file first (e.g. dd if=... of=fw.bin)"},
		{"", "no target given"},
	}
	for _, tt := range tests {
		_, err := Scan(context.Background(), Config{Target: tt.target})
		var ie *InputError
		if !errors.As(err, &ie) || ie.Reason != tt.reason {
			t.Errorf("Scan(%q) = %v, want input error %q", tt.target, err, tt.reason)
		}
	}
}

// countAnalyzer wants shell scripts and reports one finding per script,
// proving that the engine hands each wanted file to an analyzer once.
type countAnalyzer struct{}

func (countAnalyzer) Name() string { return "count" }
func (countAnalyzer) FileRequired(fi *plugin.FileInfo) bool {
	return fi.Type.Type == "script" && fi.Type.Sub == "sh"
}
func (countAnalyzer) Analyze(ctx context.Context, in *plugin.Input, out *plugin.Results) error {
	out.Findings = append(out.Findings, model.Finding{
		RuleID: "TS-TEST-001", Title: "shell script", Severity: model.Low, Category: "test",
		Location: in.Loc, Evidence: fmt.Sprintf("%d bytes", len(in.Data)),
		Fingerprint: model.Fingerprint("TS-TEST-001", in.Path, ""),
	})
	return nil
}

// panicAnalyzer must cost one file, not the scan.
type panicAnalyzer struct{}

func (panicAnalyzer) Name() string                          { return "panics" }
func (panicAnalyzer) FileRequired(fi *plugin.FileInfo) bool { return fi.Path == "/etc/config/network" }
func (panicAnalyzer) Analyze(context.Context, *plugin.Input, *plugin.Results) error {
	panic("boom")
}

func TestAnalyzersGetWantedFiles(t *testing.T) {
	dir := makeTree(t)
	_, rep := scanJSON(t, Config{Target: dir, Workers: 2, Files: []plugin.FileAnalyzer{panicAnalyzer{}, countAnalyzer{}}})
	if len(rep.Findings) != 1 || rep.Findings[0].Location.Path != "/etc/init.d/rcS" || rep.Findings[0].Evidence != "19 bytes" {
		t.Fatalf("findings = %+v", rep.Findings)
	}
	var found bool
	for _, p := range rep.Problems {
		if p.Path == "/etc/config/network" && p.Kind == "analyzer" {
			found = true
		}
	}
	if !found {
		t.Fatalf("analyzer panic not listed as a problem: %+v", rep.Problems)
	}
}

func validateAndCompare(t *testing.T, a, b []byte) {
	t.Helper()
	reporttest.Validate(t, a)
	if !bytes.Equal(reporttest.Normalize(t, a), reporttest.Normalize(t, b)) {
		t.Fatal("two scans differ beyond times")
	}
}
