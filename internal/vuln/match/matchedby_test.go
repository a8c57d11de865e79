package match

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/vuln/db"
	"github.com/thingsec/thingsec/internal/vuln/sample"
)

// matchCase is one component and advisory with what the report must say
// about how they matched and which versions fix it.
type matchCase struct {
	comp  model.Component
	id    string
	match model.Match
	fixed []string
}

func checkMatches(t *testing.T, d *db.DB, cases []matchCase) {
	t.Helper()
	for _, tc := range cases {
		vulns, _, err := New(d).Match(context.Background(), []model.Component{tc.comp})
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(vulns, func(v model.Vulnerability) bool { return v.ID == tc.id })
		if i < 0 {
			t.Errorf("%s %s: not matched (got %v)", tc.comp.Name, tc.id, ids(vulns, tc.comp.Ref))
			continue
		}
		v := vulns[i]
		if v.MatchedBy != tc.match {
			t.Errorf("%s %s: matched_by %+v, want %+v", tc.comp.Name, tc.id, v.MatchedBy, tc.match)
		}
		if !slices.Equal(v.Fixed, tc.fixed) {
			t.Errorf("%s %s: fixed %q, want %q", tc.comp.Name, tc.id, v.Fixed, tc.fixed)
		}
		if v.ComponentName != tc.comp.Name || v.InstalledVersion != tc.comp.Version || v.Component != tc.comp.Ref {
			t.Errorf("%s %s: component %q name %q version %q", tc.comp.Name, tc.id, v.Component, v.ComponentName, v.InstalledVersion)
		}
		if v.URL != model.AdvisoryURL(tc.id) || v.URL == "" {
			t.Errorf("%s: url %q", tc.id, v.URL)
		}
		if v.Severity == model.Info || v.Severity.Rank() == 0 {
			t.Errorf("%s: severity %q", tc.id, v.Severity)
		}
		if !v.Published.IsZero() && (v.Published.Location() != time.UTC || v.Published.Nanosecond() != 0) {
			t.Errorf("%s: published %v is not UTC to the second", tc.id, v.Published)
		}
	}
}

func cpeMatch(criterion, constraint string) model.Match {
	return model.Match{Method: "cpe", Criterion: criterion, Constraint: constraint}
}

// TestSampleMatchedBy checks matched_by and fixed versions on the real NVD
// records of the embedded sample, so it never skips. The expected bounds
// are the records' own.
func TestSampleMatchedBy(t *testing.T) {
	d, err := sample.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	checkMatches(t, d, []matchCase{
		// Dirty COW: one range per kernel branch; every later branch's
		// end is a fix too, lowest first.
		{model.Component{Ref: "k", Name: "linux", Version: "4.4.25", CPEs: []string{"cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*"}}, "CVE-2016-5195",
			cpeMatch("cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*", ">=4.2, <4.4.26"), []string{"4.4.26", "4.7.9", "4.8.3"}},
		// OpenSSL: 1.0.2zd is below 1.1.1m, so it is no upgrade.
		{cpeComp("o", "openssl", "openssl", "1.1.1m"), "CVE-2022-0778",
			cpeMatch("cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*", ">=1.1.0, <1.1.1n"), []string{"1.1.1n", "3.0.2"}},
		{cpeComp("d", "thekelleys", "dnsmasq", "2.85"), "CVE-2022-0934",
			cpeMatch("cpe:2.3:a:thekelleys:dnsmasq:*:*:*:*:*:*:*:*", "<2.87"), []string{"2.87"}},
		// an inclusive end names no fix
		{cpeComp("b", "busybox", "busybox", "1.35.0"), "CVE-2022-48174",
			cpeMatch("cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*", "<=1.36.1"), nil},
		// an exact version
		{cpeComp("b", "busybox", "busybox", "1.33.1"), "CVE-2021-42373",
			cpeMatch("cpe:2.3:a:busybox:busybox:1.33.1:*:*:*:*:*:*:*", "=1.33.1"), nil},
	})
}

// TestSharedMatchedBy does the same on the shared corpus: U-Boot release
// candidates (the update field), an AND configuration, and OSV ranges of
// the Go vulnerability database, whose advisories carry no score.
func TestSharedMatchedBy(t *testing.T) {
	d := openShared(t)
	golang := func(ref, name, v string) model.Component {
		return model.Component{Ref: ref, Name: name, Version: v, PURL: "pkg:golang/" + name + "@" + v}
	}
	checkMatches(t, d, []matchCase{
		// U-Boot: the record lists <2022.07 and =2022.07:rc1 ... rc5; the
		// first criterion met is reported, and 2022.07 is no candidate
		{model.Component{Ref: "u", Name: "u-boot", Version: "2022.07-rc2", CPEs: []string{"cpe:2.3:a:denx:u-boot:2022.07:rc2:*:*:*:*:*:*"}}, "CVE-2022-34835",
			cpeMatch("cpe:2.3:a:denx:u-boot:*:*:*:*:*:*:*:*", "<2022.07"), []string{"2022.07"}},
		{model.Component{Ref: "u", Name: "u-boot", Version: "2022.01", CPEs: []string{"cpe:2.3:a:denx:u-boot:2022.01:*:*:*:*:*:*:*"}}, "CVE-2022-30552",
			cpeMatch("cpe:2.3:a:denx:u-boot:2022.01:-:*:*:*:*:*:*", "=2022.01"), nil},
		{cpeComp("o", "openssl", "openssl", "1.1.0l"), "CVE-2022-0778",
			cpeMatch("cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*", ">=1.1.0, <1.1.1n"), []string{"1.1.1n", "3.0.2"}},
		{cpeComp("s", "sudo_project", "sudo", "1.8.31"), "CVE-2021-3156",
			cpeMatch("cpe:2.3:a:sudo_project:sudo:*:*:*:*:*:*:*:*", ">=1.8.2, <1.8.32"), []string{"1.8.32"}},
		// OSV: introduced 0 is no bound; on the 1.20 branch the 1.19 fix
		// is no upgrade, from 1.19.5 both are.
		{golang("t", "golang.org/x/text", "v0.3.5"), "GO-2021-0113",
			model.Match{Method: "purl", Criterion: "pkg:golang/golang.org/x/text", Ecosystem: "Go", Constraint: "<0.3.7"}, []string{"0.3.7"}},
		{golang("g20", "stdlib", "go1.20.0"), "GO-2023-1571",
			model.Match{Method: "purl", Criterion: "pkg:golang/stdlib", Ecosystem: "Go", Constraint: ">=1.20.0-0, <1.20.1"}, []string{"1.20.1"}},
		{golang("g19", "stdlib", "go1.19.5"), "GO-2023-1571",
			model.Match{Method: "purl", Criterion: "pkg:golang/stdlib", Ecosystem: "Go", Constraint: "<1.19.6"}, []string{"1.19.6", "1.20.1"}},
	})
	// GO-2021-0113 has no score, and its CVE alias is not in the corpus's
	// NVD records: its severity is unknown, never info.
	vulns, _, err := New(d).Match(context.Background(), []model.Component{golang("t", "golang.org/x/text", "v0.3.5")})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vulns {
		if v.ID == "GO-2021-0113" && (v.Severity != model.Unknown || v.URL != "https://osv.dev/vulnerability/GO-2021-0113") {
			t.Errorf("GO-2021-0113: severity %q url %q", v.Severity, v.URL)
		}
	}
}
