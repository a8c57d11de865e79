package table

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/exposure"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
)

// demoWithServices is the demo report with the services its rcS and
// inittab start (as the service graph reports them), exposure and
// priority applied.
func demoWithServices(t *testing.T) *model.Report {
	rep := *demoReport(t)
	rep.Components = slices.Clone(rep.Components)
	rep.Vulnerabilities = slices.Clone(rep.Vulnerabilities)
	rep.Findings = slices.Clone(rep.Findings)
	layer := ""
	for _, f := range rep.Files {
		if f.Path == "/etc/init.d/rcS" {
			layer = f.Layer
		}
	}
	loc := func(p string, line int) model.Location { return model.Location{Layer: layer, Path: p, Line: line} }
	rep.Services = []model.Service{
		{Name: "ash", Binary: "/bin/ash", Args: []string{"--login"}, StartedBy: "inittab", Console: "ttyS0", Location: loc("/etc/inittab", 2)},
		{Name: "telnetd", Protocol: "tcp", Port: 23, Binary: "/usr/sbin/telnetd", Args: []string{"-l", "/bin/ash"}, StartedBy: "rcS", Listen: []model.Listen{{Protocol: "tcp", Port: 23, Source: "default"}}, Location: loc("/etc/init.d/rcS", 4)},
		{Name: "httpd", Protocol: "tcp", Port: 80, Binary: "/usr/sbin/httpd", Args: []string{"-p", "80", "-h", "/www"}, StartedBy: "rcS", Listen: []model.Listen{{Protocol: "tcp", Port: 80, Source: "-p 80"}}, Location: loc("/etc/init.d/rcS", 5)},
	}
	exposure.Apply(&rep)
	return &rep
}

// TestExposureTable: vulnerabilities grouped and sorted by priority, the
// CVSS severity beside it, the reachable line under an exposed
// component's vulnerability, the exposure column of the components.
func TestExposureTable(t *testing.T) {
	rep := demoWithServices(t)
	var b bytes.Buffer
	if err := Report(&b, rep, Options{Width: 120}); err != nil {
		t.Fatal(err)
	}
	reporttest.Golden(t, filepath.Join("testdata", "demo-exposure.txt"), b.Bytes(), *update)
	var verbose bytes.Buffer
	if err := Report(&verbose, rep, Options{Width: 120, Verbose: 1}); err != nil {
		t.Fatal(err)
	}
	if want := "network: listens on tcp/23 (started by /etc/init.d/rcS:4)"; !strings.Contains(verbose.String(), want) {
		t.Errorf("verbose components lack %q", want)
	}
	out := b.String()
	vulns := out[strings.Index(out, "\nVULNERABILITIES ("):strings.Index(out, "\nATTACK SURFACE")]
	for _, want := range []string{
		"grouped by priority",
		"CRITICAL (2)",
		"reachable: listens on tcp/23 (started by /etc/init.d/rcS:4)",
	} {
		if !strings.Contains(vulns, want) {
			t.Errorf("vulnerabilities lack %q:\n%s", want, vulns)
		}
	}
	// CVE-2022-48174 (critical) before CVE-2022-28391 (high, raised to
	// critical), the latter showing its CVSS severity
	i, j := strings.Index(vulns, "CVE-2022-48174"), strings.Index(vulns, "CVE-2022-28391")
	if i < 0 || j < i {
		t.Errorf("order:\n%s", vulns)
	}
	if line := vulns[j : j+strings.Index(vulns[j:], "\n")]; !strings.Contains(line, "high") {
		t.Errorf("the raised vulnerability does not show its CVSS severity: %q", line)
	}
	comps := out[strings.Index(out, "\nCOMPONENTS ("):strings.Index(out, "\nVULNERABILITIES (")]
	for _, want := range []string{"EXPOSURE", "network", "local"} {
		if !strings.Contains(comps, want) {
			t.Errorf("components lack %q:\n%s", want, comps)
		}
	}
}

// TestPriorityOrder: a raised lower severity sorts before an unraised
// higher one.
func TestPriorityOrder(t *testing.T) {
	vs := []model.Vulnerability{
		{ID: "CVE-1", Severity: model.High},
		{ID: "CVE-2", Severity: model.Medium, Priority: &model.Priority{Level: model.Critical}},
		{ID: "CVE-3", Severity: model.Critical, Priority: &model.Priority{Level: model.Critical}},
		{ID: "CVE-4", Severity: model.Low, Priority: &model.Priority{Level: model.Low}},
	}
	var ids []string
	for _, v := range sortedVulns(vs) {
		ids = append(ids, v.ID)
	}
	if got := strings.Join(ids, " "); got != "CVE-3 CVE-2 CVE-1 CVE-4" {
		t.Errorf("order %s", got)
	}
	fs := []model.Finding{
		{RuleID: "A", Severity: model.High},
		{RuleID: "B", Severity: model.Medium, Priority: &model.Priority{Level: model.Critical}},
	}
	if got := sortedFindings(fs); got[0].RuleID != "B" {
		t.Errorf("finding order %v", got)
	}
}
