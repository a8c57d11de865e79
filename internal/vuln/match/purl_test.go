package match

import (
	"slices"
	"testing"

	"github.com/thingsec/thingsec/internal/vuln/db"
	"github.com/thingsec/thingsec/internal/vuln/version"
)

func TestOSVPackage(t *testing.T) {
	tests := []struct {
		purl, base, name, release, version string
	}{
		{"pkg:golang/golang.org/x/text@v0.3.5", "go", "golang.org/x/text", "", "v0.3.5"},
		{"pkg:golang/stdlib@go1.20.1", "go", "stdlib", "", "go1.20.1"},
		{"pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=armhf&distro=debian-12", "debian", "openssl", "Debian:12", "3.0.11-1~deb12u2"},
		{"pkg:deb/debian/dnsmasq@2.85-1?distro=bullseye", "debian", "dnsmasq", "Debian:11", "2.85-1"},
		{"pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.4?distro=ubuntu-22.04", "ubuntu", "curl", "Ubuntu:22.04", "7.81.0-1ubuntu1.4"},
		{"pkg:apk/alpine/busybox@1.36.1-r5?distro=alpine-3.18.4", "alpine", "busybox", "Alpine:v3.18", "1.36.1-r5"},
		{"pkg:pypi/Django_Rest@1.0", "pypi", "django-rest", "", "1.0"},
		{"pkg:npm/%40babel/core@7.0.0", "npm", "@babel/core", "", "7.0.0"},
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "maven", "org.apache.logging.log4j:log4j-core", "", "2.14.1"},
	}
	for _, tt := range tests {
		p, err := parsePURL(tt.purl)
		if err != nil {
			t.Errorf("%s: %v", tt.purl, err)
			continue
		}
		base, name, rel, ok := osvPackage(p)
		if !ok || base != tt.base || name != tt.name || rel != tt.release || p.Version != tt.version {
			t.Errorf("%s: %s %s %s %s", tt.purl, base, name, rel, p.Version)
		}
	}
	if _, err := parsePURL("golang.org/x/text"); err == nil {
		t.Error("not a purl accepted")
	}
}

// TestInRange follows the OSV schema's evaluation of range events.
func TestInRange(t *testing.T) {
	ev := func(kv ...string) []db.Event {
		var out []db.Event
		for i := 0; i < len(kv); i += 2 {
			switch kv[i] {
			case "i":
				out = append(out, db.Event{Introduced: kv[i+1]})
			case "f":
				out = append(out, db.Event{Fixed: kv[i+1]})
			case "l":
				out = append(out, db.Event{LastAffected: kv[i+1]})
			}
		}
		return out
	}
	tests := []struct {
		scheme version.Scheme
		events []db.Event
		v      string
		want   bool
		desc   string // the constraint the matched_by of a match says
	}{
		{version.Semver, ev("i", "0", "f", "0.3.7"), "0.3.5", true, "<0.3.7"},
		{version.Semver, ev("i", "0", "f", "0.3.7"), "0.3.7", false, ""},
		{version.Go, ev("i", "0", "f", "1.19.6", "i", "1.20.0-0", "f", "1.20.1"), "1.19.6", false, ""},
		{version.Go, ev("i", "0", "f", "1.19.6", "i", "1.20.0-0", "f", "1.20.1"), "1.20.0", true, ">=1.20.0-0, <1.20.1"},
		{version.Go, ev("i", "0", "f", "1.19.6", "i", "1.20.0-0", "f", "1.20.1"), "1.19.5", true, "<1.19.6"},
		{version.Semver, ev("i", "1.0.0", "l", "1.2.0"), "1.2.0", true, ">=1.0.0, <=1.2.0"},
		{version.Semver, ev("i", "1.0.0", "l", "1.2.0"), "1.2.1", false, ""},
		{version.Semver, ev("i", "1.0.0"), "0.9.0", false, ""},
		{version.Semver, ev("i", "1.0.0"), "5.0.0", true, ">=1.0.0"},
		{version.Semver, ev("i", "0"), "5.0.0", true, "*"},
		{version.Debian, ev("i", "0", "f", "2.85-1+deb11u1"), "2.85-1", true, "<2.85-1+deb11u1"},
		{version.Debian, ev("i", "0", "f", "2.85-1+deb11u1"), "2.85-1+deb11u1", false, ""},
	}
	for _, tt := range tests {
		if desc, got := inRange(tt.scheme, tt.events, tt.v); got != tt.want || desc != tt.desc {
			t.Errorf("%s %v in %+v = %v %q, want %v %q", tt.scheme, tt.v, tt.events, got, desc, tt.want, tt.desc)
		}
	}
}

// TestOSVFixes: the fixed versions of an OSV entry are those above the
// installed version that are not affected themselves; commits of GIT
// ranges are no versions.
func TestOSVFixes(t *testing.T) {
	a := db.Affected{Ecosystem: "Go", Name: "stdlib", Ranges: []db.Range{
		{Type: "SEMVER", Events: []db.Event{{Introduced: "0"}, {Fixed: "1.19.6"}, {Introduced: "1.20.0-0"}, {Fixed: "1.20.1"}}},
		{Type: "GIT", Events: []db.Event{{Introduced: "0"}, {Fixed: "8f3c7a1b"}}},
	}}
	for _, tt := range []struct {
		v    string
		want []string
	}{
		{"1.19.5", []string{"1.19.6", "1.20.1"}},
		{"1.20.0", []string{"1.20.1"}},
		{"1.20.1", nil},
	} {
		if got := osvFixes(a, tt.v); !slices.Equal(got, tt.want) {
			t.Errorf("fixes from %s = %q, want %q", tt.v, got, tt.want)
		}
	}
	// 1.5.0 reopens what 1.4.0 fixed: it is no fix.
	b := db.Affected{Ecosystem: "npm", Name: "x", Ranges: []db.Range{{Type: "SEMVER", Events: []db.Event{
		{Introduced: "1.0.0"}, {Fixed: "1.4.0"}, {Introduced: "1.4.0"}, {Fixed: "1.6.0"}}}}}
	if got := osvFixes(b, "1.2.0"); !slices.Equal(got, []string{"1.6.0"}) {
		t.Errorf("reopened range: fixes %q, want [1.6.0]", got)
	}
}
