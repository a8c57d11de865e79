package sarif

import (
	"bytes"
	"encoding/json"
	"net/url"
	"testing"

	"github.com/thingsec/thingsec/internal/diff"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
)

func decode(t *testing.T, b []byte) Run {
	t.Helper()
	var log Log
	if err := json.Unmarshal(b, &log); err != nil {
		t.Fatal(err)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("%d runs", len(log.Runs))
	}
	return log.Runs[0]
}

// The diff's log: every result of the new release with its baseline
// state, then what only the old one had, absent and located in it.
func TestDiff(t *testing.T) {
	old, new := reporttest.Previous(), reporttest.Rich()
	d := diff.Compare(old, new)
	var buf bytes.Buffer
	if err := EncodeDiff(&buf, old, new, nil, d); err != nil {
		t.Fatal(err)
	}
	reporttest.ValidateAgainst(t, schema, buf.Bytes())
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, buf.Bytes(), "", "  "); err != nil {
		t.Fatal(err)
	}
	reporttest.Golden(t, "testdata/diff.sarif", pretty.Bytes(), *update)

	run := decode(t, buf.Bytes())
	want := map[string]string{
		"TS-CRED-001":    StateNew,       // the default password
		"TS-HARD-001":    StateUpdated,   // medium, now high
		"TS-SECRET-031":  StateAbsent,    // the token in the web UI
		"CVE-2022-48174": StateNew,       // busybox 1.35
		"CVE-2021-42386": StateAbsent,    // busybox 1.34
		"CVE-2023-0286":  StateUnchanged, // libopenssl3, both versions
		"TS-KEY-020":     StateUnchanged,
	}
	n := len(new.Findings) + len(new.Vulnerabilities) + len(d.Findings.Fixed) + len(d.Vulnerabilities.Fixed)
	if len(run.Results) != n {
		t.Fatalf("%d results, want %d", len(run.Results), n)
	}
	rules := run.Tool.Driver.Rules
	for _, res := range run.Results {
		if res.RuleIndex >= len(rules) || rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("%s: rule index %d", res.RuleID, res.RuleIndex)
		}
		if res.PartialFingerprints[FingerprintKey] == "" {
			t.Errorf("%s: no fingerprint", res.RuleID)
		}
		if w, ok := want[res.RuleID]; ok && res.BaselineState != w {
			t.Errorf("%s: baselineState %q, want %q", res.RuleID, res.BaselineState, w)
		} else if !ok && res.BaselineState != StateUnchanged {
			t.Errorf("%s: baselineState %q, want unchanged", res.RuleID, res.BaselineState)
		}
		// what was fixed is shown on the old image, where it was
		uri := res.Locations[0].PhysicalLocation.ArtifactLocation.URI
		if wantURI := new.Target.Name; res.BaselineState == StateAbsent {
			if uri != old.Target.Name {
				t.Errorf("%s absent: located on %s, want %s", res.RuleID, uri, old.Target.Name)
			}
		} else if uri != wantURI {
			t.Errorf("%s: located on %s, want %s", res.RuleID, uri, wantURI)
		}
	}
	// the absent token has the old image's unpacking path
	for _, res := range run.Results {
		if res.RuleID == "TS-SECRET-031" && (len(res.CodeFlows) != 1 || len(res.Locations[0].LogicalLocations) != 1 ||
			res.Locations[0].LogicalLocations[0].FullyQualifiedName != "acme-cam.bin > uimage@0x0:/rootfs > squashfs@0x0:/www/js/main.js line 14") {
			t.Errorf("absent finding located %+v", res.Locations[0])
		}
	}
}

// A scan with a baseline: its own results, new or unchanged (or updated),
// nothing absent; without one, no state at all.
func TestBaseline(t *testing.T) {
	old, new := reporttest.Previous(), reporttest.Rich()
	var buf bytes.Buffer
	if err := EncodeBaseline(&buf, new, nil, diff.Compare(old, new)); err != nil {
		t.Fatal(err)
	}
	reporttest.ValidateAgainst(t, schema, buf.Bytes())
	run := decode(t, buf.Bytes())
	if len(run.Results) != len(new.Findings)+len(new.Vulnerabilities) {
		t.Fatalf("%d results", len(run.Results))
	}
	states := map[string]int{}
	for _, res := range run.Results {
		states[res.BaselineState]++
	}
	if states[StateNew] != 2 || states[StateUpdated] != 1 || states[StateAbsent] != 0 || states[StateUnchanged] != len(run.Results)-3 {
		t.Errorf("states %v", states)
	}
	for _, res := range decode(t, encode(t, new)).Results {
		if res.BaselineState != "" {
			t.Errorf("%s: baselineState %q without a baseline", res.RuleID, res.BaselineState)
		}
	}
}

// A release compared with itself: everything unchanged.
func TestDiffSame(t *testing.T) {
	rep := reporttest.Rich()
	var buf bytes.Buffer
	if err := EncodeDiff(&buf, reporttest.Rich(), rep, nil, diff.Compare(reporttest.Rich(), rep)); err != nil {
		t.Fatal(err)
	}
	for _, res := range decode(t, buf.Bytes()).Results {
		if res.BaselineState != StateUnchanged {
			t.Errorf("%s: %q", res.RuleID, res.BaselineState)
		}
	}
}

// FuzzEncodeDiff: whatever the paths, names and evidence of the two
// releases, the diff's log is valid SARIF, every result has a baseline
// state, and what was fixed is located in the old release.
func FuzzEncodeDiff(f *testing.F) {
	f.Add("/etc/shadow", "fw-1.0.bin", "fw-1.1.bin", "root:****", "Title", 3)
	f.Add("/a b/%zz/c:d", "my image:v1.bin", "", "\x00\xff<&>", "", 0)
	f.Fuzz(func(t *testing.T, path, oldName, newName, evidence, title string, line int) {
		rep := func(name, fp, version string) *model.Report {
			return &model.Report{
				Target: model.Target{Name: name, Kind: "file"},
				Layers: []model.Layer{{ID: "L0", Chain: name}, {ID: "L1", Parent: "L0", Source: path, Format: "squashfs", Chain: name + " > squashfs@0x0"}},
				Findings: []model.Finding{{RuleID: "TS-SECRET-001", Title: title, Severity: model.High, Evidence: evidence, Fingerprint: fp,
					Location: model.Location{Layer: "L1", Chain: name + " > squashfs@0x0", Path: path, Line: line}}},
				Components:      []model.Component{{Ref: "c@" + version, PURL: "pkg:generic/" + url.PathEscape(title) + "@" + version, Name: title, Version: version, Locations: []model.Location{{Layer: "L1", Path: path}}}},
				Vulnerabilities: []model.Vulnerability{{ID: title + version, Component: "c@" + version, Summary: evidence}},
			}
		}
		old, new := rep(oldName, "old", "1"), rep(newName, "new", "2")
		var buf bytes.Buffer
		if err := EncodeDiff(&buf, old, new, nil, diff.Compare(old, new)); err != nil {
			t.Fatal(err)
		}
		if err := reporttest.CheckAgainst(schema, buf.Bytes()); err != nil {
			t.Fatalf("%v\n%s", err, buf.Bytes())
		}
		states := map[string]int{}
		for _, res := range decode(t, buf.Bytes()).Results {
			states[res.BaselineState]++
		}
		if states[StateNew] != 2 || states[StateAbsent] != 2 || len(states) != 2 {
			t.Fatalf("states %v", states)
		}
	})
}
