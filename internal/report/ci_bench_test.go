package report

import (
	"fmt"
	"io"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
)

// BenchmarkCIEncoders writes a report of 10,000 findings (the rich
// fixture's findings repeated over distinct paths) in each CI format.
func BenchmarkCIEncoders(b *testing.B) {
	rep := reporttest.Rich()
	base := rep.Findings
	rep.Findings = nil
	for i := 0; len(rep.Findings) < 10000; i++ {
		for _, f := range base {
			f.Location.Path = fmt.Sprintf("%s.%d", f.Location.Path, i)
			f.Fingerprint = model.Fingerprint(f.RuleID, f.Location.Path, "")
			rep.Findings = append(rep.Findings, f)
		}
	}
	d := &Doc{Kind: Scan, Report: rep}
	for _, name := range []string{"sarif", "gitlab-sast", "gitlab-secret-detection", "gitlab-dependency-scanning", "gitlab-codequality", "junit", "json"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if err := Encode(io.Discard, name, d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
