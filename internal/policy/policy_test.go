package policy

import (
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
	"go.yaml.in/yaml/v3"
)

func parse(t *testing.T, src string) (*Policy, error) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	_, n := doc.Content[0].Content[0], doc.Content[0].Content[1]
	return Parse(n, "thingsec.yaml")
}

// sample is a report with two findings and two vulnerabilities.
func sample() *model.Report {
	return &model.Report{
		Findings: []model.Finding{
			{RuleID: "TS-CRED-001", Severity: model.Critical, Category: "credential", Location: model.Location{Layer: "L2", Path: "/etc/shadow"}, Fingerprint: "aa", CWE: []string{"CWE-798"}},
			{RuleID: "TS-KEY-014", Severity: model.Medium, Category: "weak-crypto/cert", Location: model.Location{Path: "/etc/ssl/device.crt"}, Fingerprint: "bb", Priority: &model.Priority{Level: model.High}},
		},
		Components: []model.Component{
			{Ref: "pkg:generic/linux@5.10.0", Name: "linux", Exposure: &model.Exposure{Level: "network", Reason: "kernel: ..."}},
			{Ref: "pkg:generic/busybox@1.35.0", Name: "busybox"},
		},
		Vulnerabilities: []model.Vulnerability{
			{ID: "CVE-2023-0386", Severity: model.High, KEV: &model.KEV{}, EPSS: &model.EPSS{Score: 0.4}, CVSS: []model.CVSS{{Score: 7.8}}, Component: "pkg:generic/linux@5.10.0", ComponentName: "linux", InstalledVersion: "5.10.0", Fixed: []string{"6.2"}, Priority: &model.Priority{Level: model.Critical}},
			{ID: "CVE-2022-28391", Severity: model.Unknown, ComponentName: "busybox", InstalledVersion: "1.35.0"},
		},
	}
}

func TestRulesEvaluate(t *testing.T) {
	for _, tc := range []struct {
		name, rule string
		target     Target
		want       string // the rule's failure, "" when it passes
	}{
		{"category", `when: 'f.category == "credential"'`, Findings, "policy r: 1 finding (TS-CRED-001)"},
		{"path glob", `when: 'f.path.startsWith("/etc/ssl/")'`, Findings, "policy r: 1 finding (TS-KEY-014)"},
		{"cwe list", `when: '"CWE-798" in f.cwe'`, Findings, "policy r: 1 finding (TS-CRED-001)"},
		{"rank", `when: 'rank(f.severity) >= rank("high")'`, Findings, "policy r: 1 finding (TS-CRED-001)"},
		{"new is false without a baseline", `when: 'f.new'`, Findings, ""},
		{"kev and epss", `when: 'v.kev && v.epss > 0.1'`, Vulnerabilities, "policy r: 1 vulnerability (CVE-2023-0386)"},
		{"cvss", `when: 'v.cvss >= 7.0 && size(v.fixed) > 0'`, Vulnerabilities, "policy r: 1 vulnerability (CVE-2023-0386)"},
		{"component", `when: 'v.component == "busybox" && v.severity == "unknown"'`, Vulnerabilities, "policy r: 1 vulnerability (CVE-2022-28391)"},
		{"severity floor alone", `severity: critical`, Findings | Vulnerabilities, "policy r: 1 finding (TS-CRED-001)"},
		{"severity floor and condition", "severity: high\n    when: 'true'", Findings | Vulnerabilities, "policy r: 1 finding (TS-CRED-001), 1 vulnerability (CVE-2023-0386)"},
		{"string functions", `when: 'f.path.lowerAscii().endsWith(".crt") && f.category.split("/")[0] == "weak-crypto"'`, Findings, "policy r: 1 finding (TS-KEY-014)"},
		{"list macro", `when: 'v.aliases.exists(a, a.startsWith("GHSA-"))'`, Vulnerabilities, ""},
		{"nothing matches", `when: 'f.rule == "TS-NONE"'`, Findings, ""},
		{"reachable", `when: 'v.reachable'`, Vulnerabilities, "policy r: 1 vulnerability (CVE-2023-0386)"},
		{"no exposure information", `when: 'v.exposure == "" && !v.reachable'`, Vulnerabilities, "policy r: 1 vulnerability (CVE-2022-28391)"},
		{"vulnerability priority", `when: 'rank(v.priority) >= rank("critical")'`, Vulnerabilities, "policy r: 1 vulnerability (CVE-2023-0386)"},
		{"priority is the severity without one", `when: 'v.priority == "unknown"'`, Vulnerabilities, "policy r: 1 vulnerability (CVE-2022-28391)"},
		{"finding priority", `when: 'f.priority == "high"'`, Findings, "policy r: 1 finding (TS-KEY-014)"},
		{"finding priority without one", `when: 'f.priority == "critical"'`, Findings, "policy r: 1 finding (TS-CRED-001)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parse(t, "policy:\n  rules:\n  - name: r\n    "+tc.rule+"\n")
			if err != nil {
				t.Fatal(err)
			}
			if p.Rules[0].Target != tc.target {
				t.Errorf("target %v, want %v", p.Rules[0].Target, tc.target)
			}
			res, err := Evaluate(sample(), p, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Gates[0].Failure; got != tc.want {
				t.Errorf("failure %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPolicyErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"unknown field", "policy:\n  rules:\n  - name: r\n    when: 'f.categry == \"x\"'\n",
			`thingsec.yaml:4:13: policy rule "r": when: undefined field 'categry' (expression column 2)`},
		{"syntax", "policy:\n  rules:\n  - name: r\n    when: f.rule ==\n",
			`thingsec.yaml:4:20: policy rule "r": when: Syntax error: mismatched input '<EOF>'`},
		{"wrong type", "policy:\n  rules:\n  - name: r\n    when: \"v.cvss > 'high'\"\n",
			`thingsec.yaml:4:19: policy rule "r": when: found no matching overload for '_>_' applied to '(double, string)' (expression column 8)`},
		{"not bool", "policy:\n  rules:\n  - name: r\n    when: 'v.cvss'\n", `thingsec.yaml:4:11: policy rule "r": when: want a bool condition, this one is double`},
		{"both", "policy:\n  rules:\n  - name: r\n    when: 'f.new && v.new'\n", `uses both f and v`},
		{"unknown variable", "policy:\n  rules:\n  - name: r\n    when: 'x.id == \"a\"'\n", `undeclared reference to 'x'`},
		{"multi-line", "policy:\n  rules:\n  - name: r\n    when: |\n      f.rule == \"a\" &&\n        f.nope\n", `thingsec.yaml:6: policy rule "r": when: undefined field 'nope' (expression column 4)`},
		{"no name", "policy:\n  rules:\n  - when: 'true'\n", `thingsec.yaml:3:5: policy rule: no name`},
		{"unknown key", "policy:\n  rules:\n  - name: r\n    whan: 'true'\n", `thingsec.yaml:4:5: policy rule: unknown key "whan"`},
		{"bad severity", "policy:\n  rules:\n  - name: r\n    severity: huge\n", `thingsec.yaml:4:15: policy rule: severity "huge"`},
		{"duplicate", "policy:\n  rules:\n  - name: r\n    severity: low\n  - name: r\n    severity: low\n", `policy rule "r" appears twice`},
		{"no condition", "policy:\n  rules:\n  - name: r\n", `give when, severity or both`},
		{"not a list", "policy:\n  rules: {}\n", `thingsec.yaml:2:10: policy.rules: want a list`},
		{"unknown section key", "policy:\n  rule: []\n", `thingsec.yaml:2:3: policy: unknown key "rule"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, tc.src)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error\n  %s\nwant it to contain\n  %s", err, tc.want)
			}
		})
	}
}

func TestSeverityAndKEVGates(t *testing.T) {
	rep := sample()
	rep.Findings = append(rep.Findings, rep.Findings[0])
	res, err := Evaluate(rep, nil, Options{FailOn: model.High, FailOnKEV: true})
	if err != nil {
		t.Fatal(err)
	}
	want := "gate failed: 2 findings ≥ high (TS-CRED-001 ×2), 1 vulnerability ≥ high (CVE-2023-0386); 1 KEV vulnerability (CVE-2023-0386)"
	if got := res.Reason(); got != want {
		t.Errorf("reason\n  %s\nwant\n  %s", got, want)
	}
	// unknown ranks below low: a gate at low does not fail on it, one at unknown does
	rep = sample()
	rep.Findings = nil
	rep.Vulnerabilities = rep.Vulnerabilities[1:]
	for sev, fail := range map[model.Severity]bool{model.Low: false, model.Unknown: true} {
		res, _ := Evaluate(rep, nil, Options{FailOn: sev})
		if res.Failed() != fail {
			t.Errorf("--fail-on %s failed=%v, want %v", sev, res.Failed(), fail)
		}
	}
}

func TestSuppressedAndVEXDoNotCount(t *testing.T) {
	rep := sample()
	rep.Findings[0].Suppressed = &model.Suppression{Reason: "test image", Author: "a"}
	rep.Vulnerabilities[0].Analysis = &model.Analysis{State: "not_affected"}
	rep.Vulnerabilities[1].Analysis = &model.Analysis{State: "under_investigation"}
	p, err := parse(t, "policy:\n  rules:\n  - name: any\n    severity: info\n")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Evaluate(rep, p, Options{FailOnKEV: true, Expired: []string{"ignore.yaml:3"}})
	if err != nil {
		t.Fatal(err)
	}
	want := "gate failed: policy any: 1 finding (TS-KEY-014), 1 vulnerability (CVE-2022-28391); expired suppression: ignore.yaml:3"
	if got := res.Reason(); got != want {
		t.Errorf("reason\n  %s\nwant\n  %s", got, want)
	}
	if len(res.Gates) != 3 || res.Gates[0].Failure != "" || res.Gates[0].Name != "fail-on-kev" {
		t.Errorf("gates %+v", res.Gates)
	}
}

func TestNewFromCaller(t *testing.T) {
	p, err := parse(t, "policy:\n  rules:\n  - name: new-critical\n    when: 'f.new && f.severity == \"critical\"'\n  - name: new-vuln\n    when: v.new\n")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Evaluate(sample(), p, Options{
		NewFinding: func(f *model.Finding) bool { return f.Fingerprint == "aa" },
		NewVuln:    func(v *model.Vulnerability) bool { return v.ID == "CVE-2022-28391" },
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Gates[0].Failure != "policy new-critical: 1 finding (TS-CRED-001)" || res.Gates[1].Failure != "policy new-vuln: 1 vulnerability (CVE-2022-28391)" {
		t.Errorf("gates %+v", res.Gates)
	}
}

func TestCostLimit(t *testing.T) {
	l := "[0,1,2,3,4,5,6,7,8,9]"
	when := "f.rule != \"\" && " + l + ".all(a, " + l + ".all(b, " + l + ".all(c, " + l + ".all(d, " + l + ".all(e, " + l + ".all(g, a+b+c+d+e+g >= 0))))))"
	p, err := parse(t, "policy:\n  rules:\n  - name: slow\n    when: '"+when+"'\n")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Evaluate(sample(), p, Options{})
	if err == nil || !strings.Contains(err.Error(), `policy rule "slow"`) || !strings.Contains(err.Error(), "cost limit") {
		t.Fatalf("error %v, want the cost limit of rule slow", err)
	}
}
