package junit

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/diff"
	"github.com/thingsec/thingsec/internal/report/reporttest"
)

func TestDiff(t *testing.T) {
	d := diff.Compare(reporttest.Previous(), reporttest.Rich())
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
