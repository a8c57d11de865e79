package junit

import (
	"bytes"
	"encoding/xml"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
)

// FuzzEncode: whatever text a report holds (control characters, invalid
// UTF-8, markup in evidence), the XML parses back with the same counts.
func FuzzEncode(f *testing.F) {
	f.Add("/etc/shadow", "root:****", "Title", "critical")
	f.Add("\x00\x1b]8;;", "</failure><x>&amp;", "\xff\xfe", "")
	f.Add("", "]]>", "\"'", "info")
	f.Fuzz(func(t *testing.T, path, evidence, title, sev string) {
		rep := &model.Report{
			Target:          model.Target{Name: title},
			Findings:        []model.Finding{{RuleID: "R-" + title, Title: title, Severity: model.Severity(sev), Evidence: evidence, Location: model.Location{Path: path}}},
			Components:      []model.Component{{Ref: title, Name: evidence}},
			Vulnerabilities: []model.Vulnerability{{ID: title, Component: title, Summary: evidence, Severity: model.Severity(sev)}},
		}
		var buf bytes.Buffer
		if err := Encode(&buf, rep, Options{Gates: []model.Gate{{Name: title, Failure: evidence}}}); err != nil {
			t.Fatal(err)
		}
		var got Suites
		if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
			t.Fatalf("%v\n%s", err, buf.Bytes())
		}
		want := Build(rep, Options{Gates: []model.Gate{{Name: title, Failure: evidence}}})
		if got.Tests != want.Tests || got.Failures != want.Failures || len(got.Suites) != len(want.Suites) {
			t.Fatalf("read back %d tests %d failures, wrote %d %d", got.Tests, got.Failures, want.Tests, want.Failures)
		}
	})
}
