package sarif

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// schema is the SARIF 2.1.0 schema of the OASIS SARIF TC (testdata/README.md).
const schema = "testdata/sarif-2.1.0-rtm.5.json"

func encode(t *testing.T, rep *model.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, rep, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	got := encode(t, reporttest.Rich())
	reporttest.ValidateAgainst(t, schema, got)
	// the golden file is indented to be reviewable; the log is compact
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, got, "", "  "); err != nil {
		t.Fatal(err)
	}
	reporttest.Golden(t, "testdata/rich.sarif", pretty.Bytes(), *update)
}

// TestSchemaRejects: the vendored schema is strict enough to catch a
// log GitHub would refuse, so the validation above can fail.
func TestSchemaRejects(t *testing.T) {
	for name, bad := range map[string]string{
		"no version":     `{"runs": []}`,
		"bad level":      `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "level": "fatal"}]}]}`,
		"no driver name": `{"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]}`,
	} {
		if err := reporttest.CheckAgainst(schema, []byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestContent checks what GitHub reads, on the rich report.
func TestContent(t *testing.T) {
	rep := reporttest.Rich()
	var log Log
	if err := json.Unmarshal(encode(t, rep), &log); err != nil {
		t.Fatal(err)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("%d runs", len(log.Runs))
	}
	run := log.Runs[0]
	if n := len(rep.Findings) + len(rep.Vulnerabilities); len(run.Results) != n {
		t.Fatalf("%d results, want %d", len(run.Results), n)
	}
	rules := run.Tool.Driver.Rules
	for i, res := range run.Results {
		if res.RuleIndex >= len(rules) || rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("result %d: rule index %d does not name %s", i, res.RuleIndex, res.RuleID)
		}
		if res.PartialFingerprints[FingerprintKey] == "" {
			t.Errorf("result %d (%s): no fingerprint", i, res.RuleID)
		}
		if len(res.Locations) != 1 || res.Locations[0].PhysicalLocation == nil || res.Locations[0].PhysicalLocation.ArtifactLocation.URI == "" {
			t.Errorf("result %d (%s): no physical location", i, res.RuleID)
		}
	}
	for _, r := range rules {
		sev, ok := r.Properties["security-severity"].(string)
		f, err := strconv.ParseFloat(sev, 64)
		if !ok || err != nil || f < 0 || f > 10 {
			t.Errorf("rule %s: security-severity %v", r.ID, r.Properties["security-severity"])
		}
		if r.Help == nil || r.Help.Markdown == "" || r.Help.Text == "" {
			t.Errorf("rule %s: no help", r.ID)
		}
	}
	byRule := map[string]Result{}
	for _, res := range run.Results {
		byRule[res.RuleID] = res
	}
	// a file of the squashfs inside the uImage: the image is the
	// artifact, the in-image path a logical location, the unpacking path
	// a code flow of the three layers and the file
	cred := byRule["TS-CRED-001"]
	loc := cred.Locations[0]
	if loc.PhysicalLocation.ArtifactLocation.URI != "acme-cam.bin" || loc.PhysicalLocation.Region == nil || loc.PhysicalLocation.Region.StartLine != 1 {
		t.Errorf("nested finding location %+v", loc.PhysicalLocation)
	}
	if len(loc.LogicalLocations) != 1 || loc.LogicalLocations[0].FullyQualifiedName != "acme-cam.bin > uimage@0x0:/rootfs > squashfs@0x0:/etc/shadow line 1" {
		t.Errorf("logical location %+v", loc.LogicalLocations)
	}
	if cred.Level != "error" || cred.PartialFingerprints[FingerprintKey] != rep.Findings[0].Fingerprint {
		t.Errorf("level %s, fingerprints %v", cred.Level, cred.PartialFingerprints)
	}
	if len(cred.CodeFlows) != 1 || len(cred.CodeFlows[0].ThreadFlows[0].Locations) != 4 {
		t.Fatalf("code flow %+v", cred.CodeFlows)
	}
	// a secret in the image's own bytes: the offset is a logical location
	if l := byRule["TS-SECRET-002"].Locations[0]; len(l.LogicalLocations) != 1 || l.LogicalLocations[0].Name != "offset 0xbff00" || len(byRule["TS-SECRET-002"].CodeFlows) != 0 {
		t.Errorf("offset finding location %+v", l)
	}
	// every location has the start line GitHub requires
	for _, res := range run.Results {
		for _, l := range append(res.Locations, res.RelatedLocations...) {
			if l.PhysicalLocation.Region == nil || l.PhysicalLocation.Region.StartLine < 1 {
				t.Errorf("%s: location without a start line: %+v", res.RuleID, l.PhysicalLocation)
			}
		}
	}
	// the finding's severity (raised to high) decides the level
	if byRule["TS-HARD-001"].Level != "error" || byRule["TS-KEY-021"].Level != "note" {
		t.Errorf("levels: hardening %s, info %s", byRule["TS-HARD-001"].Level, byRule["TS-KEY-021"].Level)
	}
	// a rule of a user pack is described from its finding
	if r := rules[byRule["ACME-TOKEN"].RuleIndex]; r.ShortDescription.Text != "Acme device token" {
		t.Errorf("user rule %+v", r)
	}
	// a vulnerability is a rule scored by its best CVSS, tagged kev
	v := byRule["CVE-2022-48174"]
	vr := rules[v.RuleIndex]
	if vr.Properties["security-severity"] != "9.8" || !strings.Contains(vr.Help.Markdown, "CISA KEV") || vr.HelpURI != "https://nvd.nist.gov/vuln/detail/CVE-2022-48174" {
		t.Errorf("vulnerability rule %+v", vr)
	}
	if len(v.RelatedLocations) != 1 || v.Locations[0].LogicalLocations[0].Name != "/usr/lib/opkg/status" {
		t.Errorf("vulnerability locations %+v %+v", v.Locations, v.RelatedLocations)
	}
	if got := run.Invocations[0]; got.StartTimeUTC != "2026-03-10T08:30:15Z" || got.EndTimeUTC != "2026-03-10T08:30:19Z" || len(got.ToolExecutionNotifications) != 2 {
		t.Errorf("invocation %+v", got)
	}
}

// TestDirectory: a finding of a directory target is at its relative path
// and line, with no logical location and no code flow.
func TestDirectory(t *testing.T) {
	rep := &model.Report{
		Target:   model.Target{Name: "src", Kind: "directory"},
		Layers:   []model.Layer{{ID: "L0", Format: "directory", Chain: "src"}},
		Findings: []model.Finding{{RuleID: "TS-SECRET-001", Severity: model.High, Category: "secret-token", Location: model.Location{Layer: "L0", Chain: "src", Path: "/conf/my app.env", Line: 7}, Fingerprint: "f"}},
	}
	out := encode(t, rep)
	reporttest.ValidateAgainst(t, schema, out)
	var log Log
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatal(err)
	}
	res := log.Runs[0].Results[0]
	pl := res.Locations[0].PhysicalLocation
	if pl.ArtifactLocation.URI != "conf/my%20app.env" || pl.Region == nil || pl.Region.StartLine != 7 || res.Locations[0].LogicalLocations != nil || res.CodeFlows != nil {
		t.Errorf("directory finding %+v", res.Locations[0])
	}
	if r := log.Runs[0].Tool.Driver.Rules[0]; r.ShortDescription.Text != "AWS access key ID" || !strings.Contains(fmt.Sprint(r.Properties["tags"]), "external/cwe/cwe-798") {
		t.Errorf("catalog rule %+v", r)
	}
}

func TestEmpty(t *testing.T) {
	out := encode(t, &model.Report{Target: model.Target{Name: "x", Kind: "file"}})
	reporttest.ValidateAgainst(t, schema, out)
	if !bytes.Contains(out, []byte(`"results":[]`)) {
		t.Errorf("an empty scan must have an empty results array (GitHub closes fixed alerts then):\n%s", out)
	}
}

// TestPriority: a vulnerability's and a finding's priority are result
// properties, and the vulnerability's message says why.
func TestPriority(t *testing.T) {
	rep := reporttest.Rich()
	p := &model.Priority{Level: model.Critical, Reasons: []string{"CVSS severity high", "reachable: listens on tcp/80 (started by /etc/init.d/rcS:5)"}}
	for i := range rep.Vulnerabilities {
		rep.Vulnerabilities[i].Priority = p
	}
	rep.Findings[0].Priority = p
	got := encode(t, rep)
	reporttest.ValidateAgainst(t, schema, got)
	var log Log
	if err := json.Unmarshal(got, &log); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, res := range log.Runs[0].Results {
		if res.Properties["priority"] == nil {
			continue
		}
		n++
		if strings.HasPrefix(res.RuleID, "CVE-") && !strings.Contains(res.Message.Text, "Priority critical: CVSS severity high; reachable: listens on tcp/80 (started by /etc/init.d/rcS:5).") {
			t.Errorf("%s: message %q", res.RuleID, res.Message.Text)
		}
	}
	if want := len(rep.Vulnerabilities) + 1; n != want {
		t.Errorf("%d results with a priority, want %d", n, want)
	}
}
