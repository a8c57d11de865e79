package junit

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// xsd is the Jenkins xUnit plugin's JUnit schema (testdata/README.md).
const xsd = "testdata/junit-10.xsd"

// xmllint validates doc against the JUnit schema with libxml2's xmllint
// (Debian libxml2-utils); it skips when xmllint is not installed.
func xmllint(t *testing.T, doc []byte) error {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("xmllint not installed (Debian libxml2-utils): schema validation skipped")
	}
	p := filepath.Join(t.TempDir(), "junit.xml")
	if err := os.WriteFile(p, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("xmllint", "--noout", "--schema", xsd, p).CombinedOutput()
	if err != nil {
		return &lintError{string(out)}
	}
	return nil
}

type lintError struct{ out string }

func (e *lintError) Error() string { return e.out }

// options are the rules of three catalog families (the secrets family's
// rules enter through the report's findings) and two gates.
func options(t *testing.T) Options {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	var rs []*catalog.Rule
	for _, f := range []string{"credentials", "hardening", "keys"} {
		rs = append(rs, cat.Family(f)...)
	}
	return Options{Rules: rs, Gates: []model.Gate{
		{Name: "fail-on-incomplete", Description: "every file extracted whole and fully analysed", Failure: "1 file skipped by an analyzer"},
		{Name: "no-secrets", Description: "no secret above info severity"},
	}}
}

func encode(t *testing.T, rep *model.Report, opt Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, rep, opt); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	got := encode(t, reporttest.Rich(), options(t))
	reporttest.Golden(t, "testdata/rich.xml", got, *update)
	if err := xmllint(t, got); err != nil {
		t.Fatalf("not valid against %s:\n%v", xsd, err)
	}
}

// TestSchemaRejects: xmllint with the schema refuses a suite without a
// name and a case without one, so the validation above can fail.
func TestSchemaRejects(t *testing.T) {
	for _, bad := range []string{
		`<testsuites><testsuite tests="1" failures="0" errors="0"><testcase name="x"/></testsuite></testsuites>`,
		`<testsuites><testsuite name="s" tests="1" failures="0" errors="0"><testcase classname="x"/></testsuite></testsuites>`,
		`<testsuites><testsuite name="s" tests="1" failures="0" errors="0" time="1s"/></testsuites>`,
	} {
		if xmllint(t, []byte(bad)) == nil {
			t.Errorf("accepted: %s", bad)
		}
	}
}

// TestStructure reads the XML back and checks every case: one per rule
// that ran or has findings, failed exactly by its findings above info.
func TestStructure(t *testing.T) {
	rep := reporttest.Rich()
	opt := options(t)
	var got Suites
	if err := xml.Unmarshal(encode(t, rep, opt), &got); err != nil {
		t.Fatal(err)
	}
	cases := map[string]Case{}
	total, failed := 0, 0
	for _, s := range got.Suites {
		n, f := 0, 0
		for _, c := range s.Cases {
			cases[c.Name] = c
			n++
			if c.Failure != nil {
				f++
			}
		}
		if s.Tests != n || s.Failures != f {
			t.Errorf("suite %s: tests %d failures %d, has %d cases %d failed", s.Name, s.Tests, s.Failures, n, f)
		}
		total, failed = total+n, failed+f
	}
	if got.Tests != total || got.Failures != failed {
		t.Errorf("testsuites: tests %d failures %d, want %d %d", got.Tests, got.Failures, total, failed)
	}
	// every rule that ran, the two secret rules and the user rule with
	// findings, three components, two gates
	if want := len(opt.Rules) + 3 + 3 + 2; total != want {
		t.Errorf("%d cases, want %d", total, want)
	}
	failing := map[string]bool{}
	for _, f := range rep.Findings {
		if f.Severity != model.Info {
			failing[f.RuleID] = true
		}
	}
	for name, c := range cases {
		id, _, _ := strings.Cut(name, " ")
		if strings.HasPrefix(c.Classname, "thingsec.vulnerabilities") || strings.HasPrefix(c.Classname, "thingsec.gates") {
			continue
		}
		if failing[id] != (c.Failure != nil) {
			t.Errorf("case %s: failure %v", name, c.Failure)
		}
	}
	if c := cases["TS-KEY-021 Private key of a certificate shipped in the image"]; c.Failure != nil || !strings.Contains(c.SystemOut, "/etc/ssl/private/web.key") {
		t.Errorf("info-only rule: %+v", c)
	}
	if c := cases["TS-CRED-001 Password is a known default"]; c.Failure == nil || c.Failure.Type != "critical" || !strings.Contains(c.Failure.Text, "squashfs@0x0:/etc/shadow line 1") {
		t.Errorf("failed rule: %+v", c.Failure)
	}
	if c := cases["busybox 1.35.0"]; c.Failure == nil || !strings.Contains(c.Failure.Text, "CVE-2022-48174 CVSS 3.1 9.8 KEV") {
		t.Errorf("vulnerable component: %+v", c.Failure)
	}
	if cases["fail-on-incomplete"].Failure == nil || cases["no-secrets"].Failure != nil {
		t.Errorf("gates: %+v %+v", cases["fail-on-incomplete"], cases["no-secrets"])
	}
}

// TestEmpty: no rule information and no finding is an empty but valid
// document.
func TestEmpty(t *testing.T) {
	out := encode(t, &model.Report{Target: model.Target{Name: "x"}}, Options{})
	var got Suites
	if err := xml.Unmarshal(out, &got); err != nil || got.Tests != 0 {
		t.Fatalf("%v %+v", err, got)
	}
	if err := xmllint(t, out); err != nil {
		t.Fatal(err)
	}
}
