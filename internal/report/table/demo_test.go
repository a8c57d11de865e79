package table

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/sets"
	"github.com/thingsec/thingsec/internal/engine"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
	"github.com/thingsec/thingsec/internal/vuln/enrich"
)

var demoOnce struct {
	sync.Once
	rep *model.Report
	err error
}

// demoReport scans the demo camera image as "thingsec scan" does, with no
// vulnerability database (so the embedded sample, which is part of the
// binary, is used), and zeroes the durations.
func demoReport(t *testing.T) *model.Report {
	t.Helper()
	demoOnce.Do(func() {
		set, err := sets.Build(sets.Default, sets.Options{})
		if err != nil {
			demoOnce.err = err
			return
		}
		absent := filepath.Join(t.TempDir(), "absent.db")
		demoOnce.rep, demoOnce.err = engine.Scan(context.Background(), engine.Config{
			Target: "../../../testdata/demo/acme-cam.bin", Workers: 2, Unpack: true,
			Files: set.Files, Components: set.Components, Trees: set.Trees,
			Enrichers: []engine.Enricher{&enrich.Vulns{Path: absent, Warn: func(string) {}}},
		})
		if demoOnce.rep != nil {
			for i := range demoOnce.rep.Durations {
				demoOnce.rep.Durations[i].Seconds = 0
			}
			// the temporary directory's name is not part of the golden files
			for i, n := range demoOnce.rep.Notes {
				demoOnce.rep.Notes[i] = strings.ReplaceAll(n, absent, "absent.db")
			}
		}
	})
	if demoOnce.err != nil {
		t.Fatal(demoOnce.err)
	}
	return demoOnce.rep
}

// TestDemoGolden renders the demo image's report as a person sees it:
// plain (a pipe), in colour with a failed gate, and verbose.
func TestDemoGolden(t *testing.T) {
	rep := demoReport(t)
	for _, c := range []struct {
		file string
		opt  Options
	}{
		{"demo.txt", Options{}},
		{"demo-color.txt", Options{Color: true, Gate: &Gate{Failed: true, Reason: "14 secret findings"}}},
		{"demo-verbose.txt", Options{Verbose: 1, Width: 100, Gate: &Gate{Reason: "every file fully analysed"}}},
	} {
		var b bytes.Buffer
		if err := Report(&b, rep, c.opt); err != nil {
			t.Fatal(err)
		}
		reporttest.Golden(t, filepath.Join("testdata", c.file), b.Bytes(), *update)
	}
}

var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

// TestDemoOrderAndColour checks what the golden files show, so a golden
// file rewritten with -update cannot hide a regression: the worst first
// in every list, each severity in its colour, plain text without any
// escape, every line within the width, and the verdict last.
func TestDemoOrderAndColour(t *testing.T) {
	rep := demoReport(t)
	var plain, colour bytes.Buffer
	if err := Report(&plain, rep, Options{Width: 100}); err != nil {
		t.Fatal(err)
	}
	if err := Report(&colour, rep, Options{Color: true, Width: 100, Gate: &Gate{Failed: true, Reason: "secrets found"}}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "\x1b") {
		t.Error("plain output holds an escape sequence")
	}
	if got := sgr.ReplaceAllString(colour.String(), ""); !strings.HasSuffix(got, "gate: FAILED (secrets found)\n") || strings.Contains(got, "\x1b") {
		t.Errorf("colour output is not the plain text plus SGR sequences, or lacks the gate:\n%s", got)
	}
	for _, line := range strings.Split(plain.String(), "\n") {
		if textWidth(line) > 100 && !strings.HasPrefix(line, "SHA-256") {
			t.Errorf("line wider than 100 columns: %q", line)
		}
		if strings.HasSuffix(line, " ") {
			t.Errorf("trailing space: %q", line)
		}
	}
	out := colour.String()
	for _, s := range []struct {
		sev  model.Severity
		text string
	}{
		{model.Critical, "CRITICAL (6)"}, {model.High, "HIGH (9)"}, {model.Medium, "MEDIUM (5)"},
		{model.Critical, "CVE-2022-48174"}, {model.High, "CVE-2022-28391"},
	} {
		if want := "\x1b[" + severityStyle[s.sev] + "m" + s.text + "\x1b[0m"; !strings.Contains(out, want) {
			t.Errorf("%q is not in the colour of %s", s.text, s.sev)
		}
	}
	text := plain.String()
	inOrder(t, text, "VULNERABILITIES", "CRITICAL (1)", "CVE-2022-48174", "HIGH (1)", "CVE-2022-28391", "FINDINGS")
	inOrder(t, text, "FINDINGS", "CRITICAL (6)", "HIGH (9)", "MEDIUM (5)", "Verdict  7 critical, 10 high, 5 medium (20 findings, 2 vulnerabilities)")
	if !strings.Contains(text, "squashfs:/etc/shadow:3") || strings.Contains(text, "L3:/etc/shadow") {
		t.Error("locations are not named by their layer's format")
	}
	if !strings.Contains(text, "admin:$1$Vd9aTq1c$**** is a known default password") {
		t.Error("the redacted evidence is not shown")
	}
	var verbose bytes.Buffer
	if err := Report(&verbose, rep, Options{Verbose: 1, Width: 300}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(verbose.String(), "acme-cam.bin > uimage@0x0:/AcmeCam C1 rootfs 1.0.0 > squashfs@0x0:/etc/shadow:3") {
		t.Error("-v does not show the whole chain")
	}
}

// inOrder fails unless every string appears in s, each after the one
// before.
func inOrder(t *testing.T, s string, want ...string) {
	t.Helper()
	at := 0
	for _, w := range want {
		i := strings.Index(s[at:], w)
		if i < 0 {
			t.Errorf("%q missing or out of order (after %q)", w, s[:at][max(0, at-40):])
			return
		}
		at += i + len(w)
	}
}

// TestREADMEExcerpt: the table excerpt in the README is what the demo
// image gives today: each of its lines, in order, is a line of the
// rendering ("..." marks lines left out).
func TestREADMEExcerpt(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	i := strings.Index(s, "```\nVULNERABILITIES")
	if i < 0 {
		t.Fatal("README has no table excerpt starting at VULNERABILITIES")
	}
	excerpt := s[i+4:]
	excerpt = excerpt[:strings.Index(excerpt, "```")]
	var b bytes.Buffer
	if err := Report(&b, demoReport(t), Options{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	at := 0
	for _, want := range strings.Split(strings.TrimSuffix(excerpt, "\n"), "\n") {
		if strings.TrimSpace(want) == "..." {
			continue
		}
		for at < len(lines) && lines[at] != want {
			at++
		}
		if at == len(lines) {
			t.Fatalf("README line %q is not in the demo's table (in this order); rerun the demo and update the excerpt", want)
		}
	}
}
