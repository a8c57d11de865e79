// Package synth generates synthetic NVD-shaped records and components for
// benchmarks: the shape, sizes and version ranges of real NVD data, none of
// its content. Deterministic for a seed.
package synth

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"

	"github.com/thingsec/thingsec/internal/model"
)

// Products is the number of distinct vendor:product pairs records use
// (the real NVD has a few tens of thousands with CVEs).
const Products = 20000

func product(i int) (vendor, name string) {
	return fmt.Sprintf("vendor%d", i/3), fmt.Sprintf("product%d", i)
}

func ver(r *rand.Rand) string {
	return fmt.Sprintf("%d.%d.%d", r.IntN(5), r.IntN(20), r.IntN(30))
}

// WriteFeed writes n records as an NVD CVE API 2.0 feed
// ({"vulnerabilities":[{"cve":{...}}]}).
func WriteFeed(w io.Writer, n int, seed uint64) error {
	r := rand.New(rand.NewPCG(seed, 1))
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprintf(bw, `{"resultsPerPage":%d,"startIndex":0,"totalResults":%d,"format":"NVD_CVE","version":"2.0","timestamp":"2026-11-24T00:00:00.000","vulnerabilities":[`, n, n)
	for i := 0; i < n; i++ {
		if i > 0 {
			bw.WriteByte(',')
		}
		id := fmt.Sprintf("CVE-%d-%05d", 2000+i%26, i)
		score := 1 + r.Float64()*9
		fmt.Fprintf(bw, `{"cve":{"id":%q,"sourceIdentifier":"cve@mitre.org","published":"2024-01-02T03:04:05.678","lastModified":"2025-01-02T03:04:05.678","vulnStatus":"Analyzed","cveTags":[],`, id)
		fmt.Fprintf(bw, `"descriptions":[{"lang":"en","value":"Synthetic vulnerability %d: a buffer overflow in the request parser allows remote attackers to cause a denial of service or possibly execute arbitrary code via a crafted packet."},{"lang":"es","value":"Vulnerabilidad sint\u00e9tica %d."}],`, i, i)
		fmt.Fprintf(bw, `"metrics":{"cvssMetricV31":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"3.1","vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","baseScore":%.1f,"baseSeverity":"HIGH","attackVector":"NETWORK","attackComplexity":"LOW","privilegesRequired":"NONE","userInteraction":"NONE","scope":"UNCHANGED","confidentialityImpact":"HIGH","integrityImpact":"HIGH","availabilityImpact":"HIGH"},"exploitabilityScore":3.9,"impactScore":5.9}]},`, score)
		fmt.Fprintf(bw, `"weaknesses":[{"source":"nvd@nist.gov","type":"Primary","description":[{"lang":"en","value":"CWE-%d"}]}],"configurations":[`, 20+r.IntN(900))
		configs := 1 + r.IntN(2)
		for c := 0; c < configs; c++ {
			if c > 0 {
				bw.WriteByte(',')
			}
			and := r.IntN(10) == 0
			if and {
				bw.WriteString(`{"operator":"AND","nodes":[`)
			} else {
				bw.WriteString(`{"nodes":[`)
			}
			bw.WriteString(`{"operator":"OR","negate":false,"cpeMatch":[`)
			matches := 1 + r.IntN(4)
			p := r.IntN(Products)
			vendor, name := product(p)
			for m := 0; m < matches; m++ {
				if m > 0 {
					bw.WriteByte(',')
				}
				switch r.IntN(3) {
				case 0:
					fmt.Fprintf(bw, `{"vulnerable":true,"criteria":"cpe:2.3:a:%s:%s:%s:*:*:*:*:*:*:*","matchCriteriaId":"00000000-0000-0000-0000-%012d"}`, vendor, name, ver(r), i)
				case 1:
					fmt.Fprintf(bw, `{"vulnerable":true,"criteria":"cpe:2.3:a:%s:%s:*:*:*:*:*:*:*:*","versionEndExcluding":%q,"matchCriteriaId":"00000000-0000-0000-0000-%012d"}`, vendor, name, ver(r), i)
				default:
					fmt.Fprintf(bw, `{"vulnerable":true,"criteria":"cpe:2.3:a:%s:%s:*:*:*:*:*:*:*:*","versionStartIncluding":"%d.0.0","versionEndIncluding":%q,"matchCriteriaId":"00000000-0000-0000-0000-%012d"}`, vendor, name, r.IntN(3), ver(r), i)
				}
			}
			bw.WriteString(`]}`)
			if and {
				hv, hn := product(r.IntN(Products))
				fmt.Fprintf(bw, `,{"operator":"OR","negate":false,"cpeMatch":[{"vulnerable":false,"criteria":"cpe:2.3:h:%s:%s:-:*:*:*:*:*:*:*","matchCriteriaId":"00000000-0000-0000-0000-000000000000"}]}`, hv, hn)
			}
			bw.WriteString(`]}`)
		}
		fmt.Fprintf(bw, `],"references":[{"url":"https://example.com/advisories/%d","source":"cve@mitre.org","tags":["Third Party Advisory"]},{"url":"https://example.com/patches/%d","source":"cve@mitre.org","tags":["Patch"]}]}}`, i, i)
	}
	bw.WriteString("]}")
	return bw.Flush()
}

// Components returns n components with CPEs of the generated products.
func Components(n int, seed uint64) []model.Component {
	r := rand.New(rand.NewPCG(seed, 2))
	out := make([]model.Component, n)
	for i := range out {
		vendor, name := product(r.IntN(Products))
		v := ver(r)
		out[i] = model.Component{
			Ref: fmt.Sprintf("c%d", i), Name: name, Version: v, Type: "application",
			CPEs: []string{fmt.Sprintf("cpe:2.3:a:%s:%s:%s:*:*:*:*:*:*:*", vendor, name, v)},
		}
	}
	return out
}
