package match

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/vuln/db"
	"github.com/thingsec/thingsec/internal/vuln/feed"
	"github.com/thingsec/thingsec/internal/vuln/nvd"
)

// sharedData is the real public corpus beside the checkout.
func sharedData(t testing.TB) string {
	dir := os.Getenv("THINGSEC_SHARED")
	if dir == "" {
		dir = "../../../../shared"
	}
	dir = filepath.Join(dir, "data")
	if _, err := os.Stat(filepath.Join(dir, "nvd", "INDEX.tsv")); err != nil {
		t.Skipf("shared corpus absent (%v): set THINGSEC_SHARED", err)
	}
	return dir
}

var (
	sharedOnce sync.Once
	sharedDB   *db.DB
	sharedErr  error
)

// openShared imports the real NVD records, the KEV catalog and the Go
// advisories once per test binary.
func openShared(t *testing.T) *db.DB {
	dir := sharedData(t)
	sharedOnce.Do(func() {
		tmp, err := os.MkdirTemp("", "thingsec-vuln-")
		if err != nil {
			sharedErr = err
			return
		}
		sharedDB, sharedErr = db.Open(filepath.Join(tmp, "vuln.db"))
		if sharedErr != nil {
			return
		}
		_, sharedErr = feed.ImportPaths(context.Background(), sharedDB,
			[]string{filepath.Join(dir, "nvd"), filepath.Join(dir, "kev"), filepath.Join(dir, "osv-go")}, time.Now())
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedDB
}

func comp(ref, cpeStr, ver string) model.Component {
	return model.Component{Ref: ref, Name: ref, Version: ver, Type: "application", CPEs: []string{cpeStr}}
}

func ids(vs []model.Vulnerability, ref string) []string {
	var out []string
	for _, v := range vs {
		if v.Component == ref {
			out = append(out, v.ID)
		}
	}
	return out
}

// TestSharedCases are hand-checked against each record's configurations
// (the bounds quoted in the comments are the records' own).
func TestSharedCases(t *testing.T) {
	d := openShared(t)
	cases := []struct {
		cpe   string // vendor:product:version[:update]
		cve   string
		match bool
	}{
		// dnsmasq
		{"thekelleys:dnsmasq:2.85", "CVE-2022-0934", true},   // < 2.87
		{"thekelleys:dnsmasq:2.85", "CVE-2023-28450", true},  // < 2.90
		{"thekelleys:dnsmasq:2.85", "CVE-2017-14491", false}, // <= 2.77 (fixed 2.78)
		{"thekelleys:dnsmasq:2.77", "CVE-2017-14491", true},  // inclusive end
		{"thekelleys:dnsmasq:2.78", "CVE-2017-14496", false}, // <= 2.77
		{"thekelleys:dnsmasq:2.82", "CVE-2020-25681", true},  // < 2.83
		{"thekelleys:dnsmasq:2.83", "CVE-2020-25681", false}, // exclusive end
		{"thekelleys:dnsmasq:2.84", "CVE-2021-3448", true},   // < 2.85
		{"thekelleys:dnsmasq:2.85", "CVE-2021-3448", false},
		{"thekelleys:dnsmasq:2.89", "CVE-2023-50387", true}, // < 2.90
		{"thekelleys:dnsmasq:2.90", "CVE-2023-50387", false},
		// OpenSSL: letters order as 1.0.2zc < 1.0.2zd, 1.1.1m < 1.1.1n < 1.1.1w
		{"openssl:openssl:1.1.1w", "CVE-2022-0778", false}, // >=1.1.0,<1.1.1n
		{"openssl:openssl:1.1.1m", "CVE-2022-0778", true},
		{"openssl:openssl:1.1.1n", "CVE-2022-0778", false},
		{"openssl:openssl:1.0.2zc", "CVE-2022-0778", true}, // >=1.0.2,<1.0.2zd
		{"openssl:openssl:1.0.2zd", "CVE-2022-0778", false},
		{"openssl:openssl:3.0.1", "CVE-2022-0778", true},   // >=3.0.0,<3.0.2
		{"openssl:openssl:1.1.0l", "CVE-2022-0778", true},  // >=1.1.0,<1.1.1n
		{"openssl:openssl:1.1.0l", "CVE-2022-1292", false}, // >=1.0.2,<1.0.2ze; >=1.1.1,<1.1.1o
		{"openssl:openssl:1.1.1s", "CVE-2023-0286", true},  // >=1.1.1,<1.1.1t
		{"openssl:openssl:1.1.1t", "CVE-2023-0286", false},
		{"openssl:openssl:3.1.0", "CVE-2023-0464", true}, // >=3.1.0,<3.1.1
		{"openssl:openssl:3.0.9", "CVE-2023-0464", false},
		// BusyBox: exact versions and ranges
		{"busybox:busybox:1.33.1", "CVE-2021-42373", true}, // =1.33.0, =1.33.1
		{"busybox:busybox:1.33.2", "CVE-2021-42373", false},
		{"busybox:busybox:1.32.1", "CVE-2021-42375", false}, // =1.33.1 only
		{"busybox:busybox:1.26.2", "CVE-2021-42374", false}, // >=1.27.0,<=1.33.1
		{"busybox:busybox:1.27.0", "CVE-2021-42374", true},
		{"busybox:busybox:1.36.1", "CVE-2022-48174", true},  // <=1.36.1
		{"busybox:busybox:1.36.1", "CVE-2023-42366", true},  // =1.36.1
		{"busybox:busybox:1.36.1", "CVE-2023-42365", false}, // stored copy has no configurations yet
		{"busybox:busybox:1.37.0", "CVE-2022-48174", false},
		{"busybox:busybox:1.31.1", "CVE-2018-1000500", true}, // <1.32.0
		{"busybox:busybox:1.32.0", "CVE-2018-1000500", false},
		// Dropbear: date versions
		{"dropbear_ssh_project:dropbear_ssh:2016.73", "CVE-2016-7406", true}, // <=2016.73
		{"dropbear_ssh_project:dropbear_ssh:2016.74", "CVE-2016-7406", false},
		{"dropbear_ssh_project:dropbear_ssh:2020.81", "CVE-2021-36369", true}, // <=2020.81
		{"dropbear_ssh_project:dropbear_ssh:2022.83", "CVE-2021-36369", false},
		{"dropbear_ssh_project:dropbear_ssh:2020.79", "CVE-2020-36254", false}, // <2020.79
		{"dropbear_ssh_project:dropbear_ssh:2019.78", "CVE-2020-36254", true},
		// Das U-Boot: rc updates
		{"denx:u-boot:2019.07", "CVE-2019-14192", true}, // <=2019.07
		{"denx:u-boot:2019.10", "CVE-2019-14192", false},
		{"denx:u-boot:2022.01", "CVE-2022-30552", true}, // =2022.01
		{"denx:u-boot:2022.04", "CVE-2022-30552", false},
		{"denx:u-boot:2022.07-rc3", "CVE-2022-34835", true}, // <2022.07; =2022.07:rc1..rc5
		{"denx:u-boot:2022.07:rc2", "CVE-2022-34835", true},
		{"denx:u-boot:2022.07", "CVE-2022-34835", false},
		// curl and libcurl are different products
		{"haxx:curl:7.88.1", "CVE-2023-27533", true}, // <=7.881 (NVD typo, kept)
		{"haxx:curl:8.0.0", "CVE-2023-27533", false},
		{"haxx:libcurl:8.3.0", "CVE-2023-38545", true}, // libcurl >=7.69.0,<8.4.0
		{"haxx:libcurl:8.4.0", "CVE-2023-38545", false},
		{"haxx:curl:8.3.0", "CVE-2023-38545", false},  // product curl is not listed
		{"haxx:curl:7.76.1", "CVE-2022-43551", false}, // >=7.77.0,<7.87.0
		// OpenSSH: the update field (p1, p2)
		{"openbsd:openssh:8.5:p1", "CVE-2024-6387", true},  // =8.5:p1
		{"openbsd:openssh:8.5p1", "CVE-2024-6387", true},   // same, written in the version field
		{"openbsd:openssh:9.7:p1", "CVE-2024-6387", true},  // >=8.6,<9.8
		{"openbsd:openssh:9.8:p1", "CVE-2024-6387", false}, // =9.8:- only
		{"openbsd:openssh:9.3:p1", "CVE-2023-38408", true}, // =9.3:p1
		{"openbsd:openssh:9.3:p2", "CVE-2023-38408", false},
		// sudo: 1.9.5p1 is NVD's 1.9.5:patch1
		{"sudo_project:sudo:1.9.5p1", "CVE-2021-3156", true},
		{"sudo_project:sudo:1.9.5p2", "CVE-2021-3156", false},
		{"sudo_project:sudo:1.8.31", "CVE-2021-3156", true}, // >=1.8.2,<1.8.32
		// lighttpd, zlib, the kernel
		{"lighttpd:lighttpd:1.4.59", "CVE-2022-41556", true}, // >=1.4.56,<1.4.67
		{"lighttpd:lighttpd:1.4.69", "CVE-2022-41556", false},
		{"lighttpd:lighttpd:1.4.53", "CVE-2019-11072", true}, // <=1.4.53
		{"zlib:zlib:1.2.11", "CVE-2018-25032", true},         // >=1.2.2.2,<1.2.12
		{"zlib:zlib:1.2.12", "CVE-2018-25032", false},
		{"zlib:zlib:1.2.12", "CVE-2022-37434", true},         // <=1.2.12
		{"linux:linux_kernel:4.4.25", "CVE-2016-5195", true}, // >=4.2,<4.4.26
		{"linux:linux_kernel:4.4.26", "CVE-2016-5195", false},
		{"linux:linux_kernel:5.16.10", "CVE-2022-0847", true}, // >=5.16,<5.16.11
		{"linux:linux_kernel:5.16.11", "CVE-2022-0847", false},
		{"linux:linux_kernel:5.15.25", "CVE-2022-0847", false}, // >=5.15,<5.15.25
		// a platform ("vulnerable": false) never matches by itself: novell
		// leap 42.2 is listed in CVE-2017-14492 as not vulnerable
		{"novell:leap:42.2", "CVE-2017-14492", false},
		// and a vendor must match: opensuse:leap 42.2 is vulnerable there
		{"opensuse:leap:42.2", "CVE-2017-14493", true},
	}
	ctx := context.Background()
	m := New(d)
	for _, tc := range cases {
		parts := strings.SplitN(tc.cpe, ":", 4)
		upd := "*"
		if len(parts) == 4 {
			upd = parts[3]
		}
		part := "a"
		if parts[1] == "linux_kernel" || parts[1] == "leap" {
			part = "o"
		}
		c := comp("c", "cpe:2.3:"+part+":"+parts[0]+":"+parts[1]+":"+parts[2]+":"+upd+":*:*:*:*:*:*", parts[2])
		vulns, _, err := m.Match(ctx, []model.Component{c})
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.Contains(ids(vulns, "c"), tc.cve); got != tc.match {
			t.Errorf("%s vs %s: match %v, want %v", tc.cpe, tc.cve, got, tc.match)
		}
	}
	if len(cases) < 40 {
		t.Fatalf("only %d cases", len(cases))
	}
}

// TestSharedANDConfiguration: CVE-2017-14491 lists GeForce Experience
// < 3.10.0.55 AND (not vulnerable) Microsoft Windows. The application
// alone does not match; with Windows in the same scan it does, and the
// Windows platform itself never gets the CVE.
func TestSharedANDConfiguration(t *testing.T) {
	d := openShared(t)
	ctx := context.Background()
	gfe := comp("gfe", "cpe:2.3:a:nvidia:geforce_experience:3.9.0:*:*:*:*:*:*:*", "3.9.0")
	win := comp("win", "cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*", "")
	vulns, unknown, err := New(d).Match(ctx, []model.Component{gfe})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(ids(vulns, "gfe"), "CVE-2017-14491") {
		t.Error("AND configuration matched without its platform")
	}
	vulns, unknown, err = New(d).Match(ctx, []model.Component{gfe, win})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(ids(vulns, "gfe"), "CVE-2017-14491") {
		t.Error("AND configuration not matched with its platform present")
	}
	if len(ids(vulns, "win")) != 0 || len(unknown) != 0 {
		t.Errorf("platform got %v, unknown %v", ids(vulns, "win"), unknown)
	}
	for _, v := range vulns {
		want := model.Match{Method: "cpe", Criterion: "cpe:2.3:a:nvidia:geforce_experience:*:*:*:*:*:*:*:*", Constraint: ">=3.0, <3.10.0.55", AndConfiguration: true}
		if v.ID == "CVE-2017-14491" && v.MatchedBy != want {
			t.Errorf("MatchedBy = %+v, want %+v", v.MatchedBy, want)
		}
	}
}

// TestSharedFlippedPlatform takes the real CVE-2022-0934 record and marks
// its dnsmasq criterion "vulnerable": false: a dnsmasq component must no
// longer match it.
func TestSharedFlippedPlatform(t *testing.T) {
	dir := sharedData(t)
	raw, err := os.ReadFile(filepath.Join(dir, "nvd", "CVE-2022-0934.json"))
	if err != nil {
		t.Fatal(err)
	}
	flipped := strings.Replace(string(raw), `"vulnerable": true,
              "criteria": "cpe:2.3:a:thekelleys:dnsmasq`, `"vulnerable": false,
              "criteria": "cpe:2.3:a:thekelleys:dnsmasq`, 1)
	if flipped == string(raw) {
		t.Fatal("record layout changed: dnsmasq criterion not found")
	}
	d, err := db.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	err = d.Import(ctx, func(tx *db.Tx) error {
		_, _, err := nvd.Decode(strings.NewReader(flipped), func(r nvd.Record) error { return tx.PutNVD(r.Vuln, r.Configs) })
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	vulns, _, err := New(d).Match(ctx, []model.Component{comp("dnsmasq", "cpe:2.3:a:thekelleys:dnsmasq:2.85:*:*:*:*:*:*:*", "2.85")})
	if err != nil {
		t.Fatal(err)
	}
	if len(vulns) != 0 {
		t.Errorf("platform-only dnsmasq criterion matched: %v", ids(vulns, "dnsmasq"))
	}
}

// TestSharedGoAdvisories matches Go modules from build info against the Go
// vulnerability database's OSV records.
func TestSharedGoAdvisories(t *testing.T) {
	d := openShared(t)
	ctx := context.Background()
	comps := []model.Component{
		{Ref: "text035", Name: "golang.org/x/text", Version: "v0.3.5", PURL: "pkg:golang/golang.org/x/text@v0.3.5"},
		{Ref: "text038", Name: "golang.org/x/text", Version: "v0.3.8", PURL: "pkg:golang/golang.org/x/text@v0.3.8"},
		{Ref: "text0410", Name: "golang.org/x/text", Version: "v0.41.0", PURL: "pkg:golang/golang.org/x/text@v0.41.0"},
		{Ref: "go1201", Name: "stdlib", Version: "go1.20.1", PURL: "pkg:golang/stdlib@go1.20.1"},
		{Ref: "go1200", Name: "stdlib", Version: "go1.20", PURL: "pkg:golang/stdlib@v1.20.0"}, // as internal/analyze/gobin writes it
		{Ref: "nover", Name: "golang.org/x/net", PURL: "pkg:golang/golang.org/x/net"},
	}
	vulns, unknown, err := New(d).Match(ctx, comps)
	if err != nil {
		t.Fatal(err)
	}
	t035 := ids(vulns, "text035")
	for _, want := range []string{"GO-2021-0113", "GO-2022-1059"} { // fixed 0.3.7, 0.3.8
		if !slices.Contains(t035, want) {
			t.Errorf("x/text v0.3.5: missing %s (got %v)", want, t035)
		}
	}
	if slices.Contains(t035, "GO-2020-0015") { // fixed 0.3.3
		t.Errorf("x/text v0.3.5 matched GO-2020-0015")
	}
	// v0.3.8 is fixed for GO-2022-1059 but not for the 2026 advisories
	// (fixed 0.39.0 and 0.41.0); v0.41.0 has none.
	if got := ids(vulns, "text038"); !slices.Equal(got, []string{"GO-2026-5970", "GO-2026-6629"}) {
		t.Errorf("x/text v0.3.8: %v", got)
	}
	if got := ids(vulns, "text0410"); len(got) != 0 {
		t.Errorf("x/text v0.41.0: %v, want none", got)
	}
	// GO-2023-1571: introduced 1.20.0-0, fixed 1.20.1
	if !slices.Contains(ids(vulns, "go1200"), "GO-2023-1571") || slices.Contains(ids(vulns, "go1201"), "GO-2023-1571") {
		t.Errorf("GO-2023-1571: go1.20 %v, go1.20.1 %v", ids(vulns, "go1200"), ids(vulns, "go1201"))
	}
	if !slices.Equal(unknown, []string{"nover"}) {
		t.Errorf("unknown = %v", unknown)
	}
	for _, v := range vulns {
		if v.ID == "GO-2021-0113" && v.Component == "text035" {
			want := model.Match{Method: "purl", Criterion: "pkg:golang/golang.org/x/text", Ecosystem: "Go", Constraint: "<0.3.7"}
			if !slices.Equal(v.Fixed, []string{"0.3.7"}) || !slices.Contains(v.Aliases, "CVE-2021-38561") || v.MatchedBy != want {
				t.Errorf("GO-2021-0113 = %+v", v)
			}
		}
	}
}

// TestSharedKEV checks KEV enrichment from the real catalog (Dirty Pipe,
// added 2022-04-25) and NVD's own marks as fallback.
func TestSharedKEV(t *testing.T) {
	d := openShared(t)
	vulns, _, err := New(d).Match(context.Background(), []model.Component{comp("k", "cpe:2.3:o:linux:linux_kernel:5.16.10:*:*:*:*:*:*:*", "5.16.10")})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, v := range vulns {
		if v.ID == "CVE-2022-0847" {
			found = true
			b, _ := json.Marshal(v.KEV)
			if v.KEV == nil || v.KEV.DateAdded.Format(time.RFC3339) != "2022-04-25T00:00:00Z" || v.KEV.DueDate.Format(time.RFC3339) != "2022-05-16T00:00:00Z" {
				t.Errorf("Dirty Pipe KEV = %s", b)
			}
		}
	}
	if !found {
		t.Fatal("CVE-2022-0847 not matched")
	}
}
