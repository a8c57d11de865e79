package match

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/vuln/sample"
)

func cpeComp(ref, vendor, product, ver string) model.Component {
	return model.Component{Ref: ref, Name: product, Version: ver, Type: "application",
		CPEs: []string{"cpe:2.3:a:" + vendor + ":" + product + ":" + ver + ":*:*:*:*:*:*:*"}}
}

// TestSampleMatches runs on the repository's own embedded sample, so it
// never skips.
func TestSampleMatches(t *testing.T) {
	ctx := context.Background()
	d, err := sample.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	comps := []model.Component{
		cpeComp("dnsmasq", "thekelleys", "dnsmasq", "2.85"),
		cpeComp("openssl", "openssl", "openssl", "1.1.1m"),
		{Ref: "kernel", Name: "linux", Version: "4.4.25", CPEs: []string{"cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*"}},
		{Ref: "noversion", Name: "busybox", CPEs: []string{"cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*"}},
	}
	vulns, unknown, err := New(d).Match(ctx, comps)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]model.Vulnerability{}
	for _, v := range vulns {
		got[v.Component+" "+v.ID] = v
	}
	for _, want := range []string{"dnsmasq CVE-2022-0934", "dnsmasq CVE-2023-28450", "openssl CVE-2022-0778", "kernel CVE-2016-5195"} {
		if _, ok := got[want]; !ok {
			t.Errorf("missing %s", want)
		}
	}
	for _, not := range []string{"dnsmasq CVE-2017-14491", "noversion CVE-2022-48174"} {
		if _, ok := got[not]; ok {
			t.Errorf("unexpected %s", not)
		}
	}
	if !slices.Equal(unknown, []string{"noversion"}) {
		t.Errorf("unknown = %v, want [noversion]", unknown)
	}
	dc := got["kernel CVE-2016-5195"]
	if dc.KEV == nil || !dc.KEV.DateAdded.Equal(time.Date(2022, 3, 3, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Dirty COW KEV = %+v, want date added 2022-03-03", dc.KEV)
	}
	if want := (model.Match{Method: "cpe", Criterion: "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*", Constraint: ">=4.2, <4.4.26"}); dc.MatchedBy != want {
		t.Errorf("MatchedBy = %+v, want %+v", dc.MatchedBy, want)
	}
	o := got["openssl CVE-2022-0778"]
	if o.Severity != model.High || len(o.CVSS) == 0 || o.CVSS[0].Score != 7.5 || !slices.Contains(o.Fixed, "1.1.1n") || !slices.Contains(o.CWE, "CWE-835") {
		t.Errorf("CVE-2022-0778 = %+v", o)
	}
	t.Logf("%d vulnerabilities", len(vulns))
}
