package sarif

import (
	"bytes"
	"encoding/json"
	"net/url"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
)

// FuzzEncode: whatever the paths, names and evidence a scan reports (file
// names in firmware are attacker-chosen), the log is valid SARIF: URIs
// are escaped into valid URI references, text stays text.
func FuzzEncode(f *testing.F) {
	f.Add("/etc/shadow", "fw.bin", "root:****", "Title", 3)
	f.Add("/a b/%zz/c:d", "my image:v1.bin", "\x00\xff<&>", "", 0)
	f.Add("", "", "", "x", -1)
	f.Add("C:\\win\\path", "../up", "e", "t", 1)
	f.Fuzz(func(t *testing.T, path, target, evidence, title string, line int) {
		rep := &model.Report{
			Target: model.Target{Name: target, Kind: "file"},
			Layers: []model.Layer{{ID: "L0", Chain: target}, {ID: "L1", Parent: "L0", Source: path, Format: "squashfs", Chain: target + " > squashfs@0x0"}},
			Findings: []model.Finding{
				{RuleID: "TS-SECRET-001", Title: title, Severity: model.High, Category: "secret-token", Evidence: evidence, Fingerprint: "f1",
					Location: model.Location{Layer: "L1", Chain: target + " > squashfs@0x0", Path: path, Line: line}},
				{RuleID: "USER-" + title, Title: title, Severity: model.Severity(title), Evidence: evidence, Fingerprint: "f2",
					Location: model.Location{Layer: "L0", Path: path, Line: line, Offset: int64(line)}},
			},
			Components:      []model.Component{{Ref: "c", Name: title, Locations: []model.Location{{Layer: "L1", Path: path}, {Layer: "L0", Path: path}}}},
			Vulnerabilities: []model.Vulnerability{{ID: title, Component: "c", Summary: evidence, References: []string{evidence}}},
		}
		for _, kind := range []string{"file", "directory"} {
			rep.Target.Kind = kind
			var buf bytes.Buffer
			if err := Encode(&buf, rep, nil); err != nil {
				t.Fatal(err)
			}
			if err := reporttest.CheckAgainst(schema, buf.Bytes()); err != nil {
				t.Fatalf("%s target: %v\n%s", kind, err, buf.Bytes())
			}
			// what GitHub requires beyond the schema: a relative, non-empty
			// URI and a start line in every location
			var log Log
			if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
				t.Fatal(err)
			}
			for _, res := range log.Runs[0].Results {
				for _, l := range append(res.Locations, res.RelatedLocations...) {
					pl := l.PhysicalLocation
					if u, err := url.Parse(pl.ArtifactLocation.URI); pl.ArtifactLocation.URI == "" || err != nil || u.IsAbs() || pl.Region == nil || pl.Region.StartLine < 1 {
						t.Fatalf("%s target: location %+v %+v", kind, pl.ArtifactLocation, pl.Region)
					}
				}
			}
		}
	})
}
