package html

import (
	"fmt"
	"io"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
)

// large is the rich report grown to 2,000 components, 4,000
// vulnerabilities and 10,000 findings.
func large() *model.Report {
	rep := reporttest.RichVEX()
	c0, v0, f0 := rep.Components[0], rep.Vulnerabilities[0], rep.Findings[0]
	for i := 0; i < 2000; i++ {
		c := c0
		c.Ref = fmt.Sprintf("pkg:generic/lib%d@1.%d", i, i)
		c.Name = fmt.Sprintf("lib%d", i)
		rep.Components = append(rep.Components, c)
		for j := 0; j < 2; j++ {
			v := v0
			v.ID = fmt.Sprintf("CVE-2024-%05d", 2*i+j)
			v.Component = c.Ref
			rep.Vulnerabilities = append(rep.Vulnerabilities, v)
		}
	}
	for i := 0; i < 10000; i++ {
		f := f0
		f.Location.Path = fmt.Sprintf("/etc/f%d", i)
		rep.Findings = append(rep.Findings, f)
	}
	return rep
}

func BenchmarkEncodeLarge(b *testing.B) {
	rep := large()
	var n countWriter
	for b.Loop() {
		n = 0
		if err := Encode(&n, rep); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "bytes/page")
}

func BenchmarkEncodeRich(b *testing.B) {
	rep := reporttest.RichVEX()
	for b.Loop() {
		if err := Encode(io.Discard, rep); err != nil {
			b.Fatal(err)
		}
	}
}

type countWriter int

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }
