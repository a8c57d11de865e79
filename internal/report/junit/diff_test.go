package junit

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/diff"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
)

func TestDiff(t *testing.T) {
	d := diff.Compare(reporttest.Previous(), reporttest.Rich())
	d.Tool = model.Tool{Name: "thingsec", Version: "v1.2.3"}
	var buf bytes.Buffer
	if err := EncodeDiff(&buf, d, nil); err != nil {
		t.Fatal(err)
	}
	reporttest.Golden(t, "testdata/diff.xml", buf.Bytes(), *update)
	var s Suites
	if err := xml.Unmarshal(buf.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Suites) != 1 || s.Suites[0].Name != "thingsec diff" {
		t.Fatalf("suites %+v", s.Suites)
	}
	failed := map[string]bool{}
	for _, c := range s.Suites[0].Cases {
		failed[c.Name] = c.Failure != nil
	}
	for name, want := range map[string]bool{
		"new findings: TS-CRED-001 Password is a known default":                 true,  // new
		"new findings: TS-SECRET-031 GitHub fine-grained personal access token": false, // fixed
		"new findings: TS-HARD-001 Binary built without exploit mitigations":    false, // changed
		"introduced vulnerabilities: busybox 1.35.0":                            true,
		"hardening: /bin/busybox":                                               true,  // lost its canary
		"hardening: /usr/sbin/acme-agent":                                       false, // gained NX
	} {
		got, ok := failed[name]
		if !ok {
			t.Errorf("no case %q", name)
		} else if got != want {
			t.Errorf("%s: failed %v, want %v", name, got, want)
		}
	}
	if s.Tests != len(s.Suites[0].Cases) || s.Failures != 3 {
		t.Errorf("%d tests, %d failures", s.Tests, s.Failures)
	}
	if err := xmllint(t, buf.Bytes()); err != nil {
		t.Fatalf("not valid against %s:\n%v", xsd, err)
	}
}

// Two identical releases: nothing fails.
func TestDiffSame(t *testing.T) {
	d := diff.Compare(reporttest.Rich(), reporttest.Rich())
	var buf bytes.Buffer
	if err := EncodeDiff(&buf, d, nil); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "<failure") {
		t.Errorf("a release against itself fails:\n%s", buf.String())
	}
	if err := xmllint(t, buf.Bytes()); err != nil {
		t.Fatalf("not valid against %s:\n%v", xsd, err)
	}
}

// FuzzEncodeDiff: whatever text the releases hold, the diff's XML parses
// back with the same counts.
func FuzzEncodeDiff(f *testing.F) {
	f.Add("/etc/shadow", "root:****", "Title", "critical")
	f.Add("\x00\x1b]8;;", "</failure><x>&amp;", "\xff\xfe", "")
	f.Fuzz(func(t *testing.T, path, evidence, title, sev string) {
		rep := func(fp, version string) *model.Report {
			return &model.Report{
				Target:          model.Target{Name: title},
				Findings:        []model.Finding{{RuleID: "R-" + title, Title: title, Severity: model.Severity(sev), Evidence: evidence, Fingerprint: fp, Location: model.Location{Path: path}}},
				Components:      []model.Component{{Ref: version, Name: evidence, Version: version}},
				Binaries:        []model.Binary{{Path: path, Kind: "executable", NX: version == "1"}},
				Vulnerabilities: []model.Vulnerability{{ID: title + version, Component: version, Summary: evidence, Severity: model.Severity(sev)}},
			}
		}
		d := diff.Compare(rep("a", "1"), rep("b", "2"))
		var buf bytes.Buffer
		if err := EncodeDiff(&buf, d, nil); err != nil {
			t.Fatal(err)
		}
		var got Suites
		if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
			t.Fatalf("%v\n%s", err, buf.Bytes())
		}
		want := BuildDiff(d, nil)
		if got.Tests != want.Tests || got.Failures != want.Failures || len(got.Suites) != 1 {
			t.Fatalf("read back %d tests %d failures, wrote %d %d", got.Tests, got.Failures, want.Tests, want.Failures)
		}
	})
}
