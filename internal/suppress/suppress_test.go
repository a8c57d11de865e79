package suppress

import (
	"strings"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/model"
)

func report() *model.Report {
	return &model.Report{
		Findings: []model.Finding{
			{RuleID: "TS-CRED-001", Fingerprint: "f1", Location: model.Location{Path: "/etc/shadow"}},
			{RuleID: "TS-KEY-014", Fingerprint: "f2", Location: model.Location{Path: "/etc/ssl/device.crt"}},
			{RuleID: "TS-KEY-014", Fingerprint: "f3", Location: model.Location{Path: "/usr/share/ca/x.crt"}},
		},
		Vulnerabilities: []model.Vulnerability{
			{ID: "CVE-2022-28391", ComponentName: "busybox", Component: "pkg:opkg/busybox@1.35.0-1?arch=mipsel_24kc"},
			{ID: "GHSA-xxxx", Aliases: []string{"CVE-2022-48174"}, ComponentName: "busybox", Component: "pkg:opkg/busybox@1.35.0-1?arch=mipsel_24kc"},
			{ID: "CVE-2022-28391", ComponentName: "other", Component: "pkg:opkg/other@1"},
		},
	}
}

func TestApply(t *testing.T) {
	src := `suppressions:
  - rule: TS-KEY-014
    path: etc/**
    reason: test certificate
    author: alice
    expires: 2026-06-30
  - fingerprint: f1
    reason: demo image
    author: bob
  - vulnerability: cve-2022-48174
    component: busybox
    reason: not reachable
    author: carol
  - vulnerability: CVE-2022-28391
    component: pkg:opkg/busybox@1.35.0-1
    reason: patched downstream
    author: dave
    expires: 2020-01-01
`
	f, err := Parse("ign.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	rep := report()
	expired, unused := f.Apply(rep, time.Date(2026, 6, 30, 23, 0, 0, 0, time.UTC))
	if len(unused) != 0 {
		t.Errorf("unused %q", unused)
	}
	want := []string{"ign.yaml:14 (vulnerability CVE-2022-28391, component pkg:opkg/busybox@1.35.0-1, expired 2020-01-01)"}
	if strings.Join(expired, "|") != strings.Join(want, "|") {
		t.Errorf("expired %q, want %q", expired, want)
	}
	got := func(s *model.Suppression) string {
		if s == nil {
			return ""
		}
		return s.Reason + " " + s.Source
	}
	for i, w := range []string{"demo image ign.yaml:7", "test certificate ign.yaml:2", ""} {
		if g := got(rep.Findings[i].Suppressed); g != w {
			t.Errorf("finding %d: %q, want %q", i, g, w)
		}
	}
	for i, w := range []string{"", "not reachable ign.yaml:10", ""} {
		if g := got(rep.Vulnerabilities[i].Suppressed); g != w {
			t.Errorf("vulnerability %d: %q, want %q", i, g, w)
		}
	}
	// the day after its last day, the first entry no longer holds
	rep = report()
	if exp, _ := f.Apply(rep, time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)); len(exp) != 2 || rep.Findings[1].Suppressed != nil {
		t.Errorf("after expiry: %q, %+v", exp, rep.Findings[1].Suppressed)
	}
	// an entry that matches nothing is listed
	rep = report()
	rep.Findings = rep.Findings[1:]
	_, unused = f.Apply(rep, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if want := "ign.yaml:7 (fingerprint f1)"; len(unused) != 1 || unused[0] != want {
		t.Errorf("unused %q, want %q", unused, want)
	}
}

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		glob, path string
		want       bool
	}{
		{"/etc/shadow", "etc/shadow", true},
		{"etc/*", "etc/shadow", true},
		{"etc/*", "etc/ssl/x", false},
		{"etc/**", "etc/ssl/x", true},
		{"**/*.key", "etc/ssl/private/device.key", true},
		{"**/*.key", "device.key", true},
		{"etc/?hadow", "etc/shadow", true},
		{"etc/s.adow", "etc/shadow", false},
	} {
		re, err := glob(tc.glob)
		if err != nil {
			t.Fatal(err)
		}
		if got := re.MatchString(tc.path); got != tc.want {
			t.Errorf("%q ~ %q = %v, want %v", tc.glob, tc.path, got, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"suppressions:\n  - rule: X\n    author: a\n", "ign.yaml:2: a suppression needs a reason"},
		{"suppressions:\n  - rule: X\n    reason: r\n", "ign.yaml:2: a suppression needs an author"},
		{"suppressions:\n  - reason: r\n    author: a\n", "ign.yaml:2: a suppression needs fingerprint, rule, path or vulnerability"},
		{"suppressions:\n  - rule: X\n    reason: r\n    author: a\n    expires: soon\n", `ign.yaml:5: expires "soon": want a date`},
		{"suppressions:\n  - rule: X\n    reason: r\n    author: a\n    owner: b\n", `ign.yaml:5: unknown key "owner"`},
		{"suppressions:\n  - rule: X\n    component: busybox\n    reason: r\n    author: a\n", "ign.yaml:2: component goes with vulnerability"},
		{"suppressions:\n  - rule: X\n    vulnerability: CVE-1\n    reason: r\n    author: a\n", "not both"},
		{"ignore: []\n", `ign.yaml:1: unknown key "ignore"`},
		{"suppressions: 3\n", "ign.yaml:1: suppressions: want a list"},
		{"suppressions:\n  - rule: [X]\n", "ign.yaml:2: rule: want a value"},
		{"suppressions:\n  - rule: X\n    reason: \"r\n    author: a\n", "ign.yaml:3: found unexpected end of stream"},
	} {
		_, err := Parse("ign.yaml", []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.src, err, tc.want)
		}
	}
}
