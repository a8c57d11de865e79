package gitlab

import (
	"bytes"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
)

// FuzzEncode: whatever the paths, titles, evidence, CVSS vectors and
// references a report holds, each GitLab report is valid against its
// schema (lengths clipped, links and vectors GitLab refuses left out).
func FuzzEncode(f *testing.F) {
	f.Add("/etc/shadow", "Title", "root:****", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "https://example.com/x", 3)
	f.Add("", "", "", "", "", 0)
	f.Add("/x", strings.Repeat("é", 300), "\x00", "CVSS:4.0/AV:N", "ftp:/bad", -5)
	f.Add("/x", "t", "e", "AV:N/AC:L/Au:N/C:P/I:P/A:Q", "javascript:alert(1)", 1)
	f.Fuzz(func(t *testing.T, path, title, evidence, vector, ref string, line int) {
		rep := &model.Report{
			Target: model.Target{Name: "fw.bin", Kind: "file"},
			Findings: []model.Finding{
				{RuleID: "TS-SECRET-001", Title: title, Severity: model.High, Category: "secret-token", Evidence: evidence, Fingerprint: title,
					Location: model.Location{Layer: "L1", Path: path, Line: line}},
				{RuleID: "U-" + title, Title: title, Description: strings.Repeat(evidence, 3), Remediation: strings.Repeat(title, 40), Severity: model.Severity(title),
					CWE: []string{title, "CWE-" + title}, Location: model.Location{Layer: "L0", Path: path, Line: line}},
			},
			Components: []model.Component{{Ref: "c", Name: title, Version: evidence, PURL: title, Locations: []model.Location{{Layer: "L1", Path: path}}}},
			Vulnerabilities: []model.Vulnerability{{ID: title, Aliases: []string{evidence}, Component: "c", Summary: evidence, Fixed: []string{evidence},
				CVSS: []model.CVSS{{Version: "3.1", Vector: vector, Source: evidence}, {Version: "2.0", Vector: vector}}, References: []string{ref}}},
		}
		for k, schema := range schemas {
			var buf bytes.Buffer
			if err := Encode(&buf, k, rep, Options{Commit: evidence}); err != nil {
				t.Fatal(err)
			}
			if err := reporttest.CheckAgainst(schema, buf.Bytes()); err != nil {
				t.Fatalf("%s: %v\n%s", k, err, buf.Bytes())
			}
		}
	})
}
