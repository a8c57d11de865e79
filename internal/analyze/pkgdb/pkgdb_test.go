package pkgdb

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/package-url/packageurl-go"
	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/license"
	"github.com/thingsec/thingsec/internal/model"
)

func run(t *testing.T, devPath, fixture string) []model.Component {
	t.Helper()
	return runAll(t, devPath, fixture).Components
}

// runAll is run with the requirements.
func runAll(t *testing.T, devPath, fixture string) plugin.Results {
	t.Helper()
	data, err := os.ReadFile("testdata/" + fixture)
	if err != nil {
		t.Fatal(err)
	}
	a := New()
	fi := plugin.FileInfo{Path: devPath, Size: int64(len(data)), Type: filetype.Detect(devPath, data, int64(len(data)))}
	if !a.FileRequired(&fi) {
		t.Fatalf("%s not required", devPath)
	}
	var out plugin.Results
	if err := a.Analyze(context.Background(), &plugin.Input{FileInfo: fi, Data: data, Loc: model.Location{Layer: "L0", Path: devPath}}, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// requirements lists the package names c requires.
func requirements(reqs []plugin.Requirement, c model.Component) []string {
	var names []string
	for _, r := range reqs {
		if r.From == c.PURL {
			names = append(names, r.DB+":"+r.Name)
		}
	}
	return names
}

type want struct{ name, version, purl string }

func check(t *testing.T, got []model.Component, ws []want) {
	t.Helper()
	if len(got) != len(ws) {
		t.Errorf("%d components, want %d", len(got), len(ws))
	}
	idx := map[string]model.Component{}
	for _, c := range got {
		idx[c.Name] = c
	}
	for _, w := range ws {
		c, ok := idx[w.name]
		if !ok {
			t.Errorf("missing %s", w.name)
			continue
		}
		if c.Version != w.version || c.PURL != w.purl {
			t.Errorf("%s: version %q purl %q, want %q %q", w.name, c.Version, c.PURL, w.version, w.purl)
		}
		if len(c.Evidence) == 0 || c.Evidence[0].Path == "" {
			t.Errorf("%s: no evidence", w.name)
		}
		if p, err := packageurl.FromString(c.PURL); err != nil || p.Version != c.Version {
			t.Errorf("%s: version %q, purl version %q (%v)", w.name, c.Version, p.Version, err)
		}
		if c.License == nil || !license.Valid(c.License.Expression) || c.License.Expression == model.NoAssertion && c.License.Reason == "" {
			t.Errorf("%s: licence %+v", w.name, c.License)
		}
	}
}

func TestPackageDatabases(t *testing.T) {
	t.Run("opkg status", func(t *testing.T) {
		check(t, run(t, "/usr/lib/opkg/status", "opkg-status"), []want{
			{"busybox", "1.35.0-1", "pkg:opkg/busybox@1.35.0-1?arch=mipsel_24kc"},
			{"kernel", "6.1.176-1", "pkg:opkg/kernel@6.1.176-1?arch=mipsel_24kc"},
			{"libc", "2.36-1", "pkg:opkg/libc@2.36-1?arch=mipsel_24kc"},
			{"openssh-server", "9.2p1-1", "pkg:opkg/openssh-server@9.2p1-1?arch=mipsel_24kc"},
		})
	})
	t.Run("opkg control", func(t *testing.T) {
		check(t, run(t, "/usr/lib/opkg/info/busybox.control", "busybox.control"), []want{
			{"busybox", "1.35.0-1", "pkg:opkg/busybox@1.35.0-1?arch=mipsel_24kc"},
		})
	})
	t.Run("dpkg status", func(t *testing.T) {
		res := runAll(t, "/var/lib/dpkg/status", "dpkg-status")
		got := res.Components
		check(t, got, []want{
			{"base-files", "12.4+deb12u15", "pkg:deb/debian/base-files@12.4%2Bdeb12u15?arch=amd64"},
			{"dpkg", "1.21.23", "pkg:deb/debian/dpkg@1.21.23?arch=amd64"},
			{"libc6", "2.36-9+deb12u14", "pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&upstream=glibc"},
			{"zlib1g", "1:1.2.13.dfsg-1", "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&epoch=1&upstream=zlib"},
		})
		for _, c := range got {
			if d := requirements(res.Requires, c); c.Name == "dpkg" && len(d) < 5 {
				t.Errorf("dpkg dependencies %v", d)
			}
		}
	})
	t.Run("os-release", func(t *testing.T) {
		check(t, run(t, "/etc/os-release", "acme-os-release"), []want{{"AcmeOS", "1.0.0", "pkg:generic/acmeos@1.0.0"}})
		check(t, run(t, "/usr/lib/os-release", "debian-os-release"), []want{{"Debian GNU/Linux", "12", "pkg:generic/debian@12"}})
		check(t, run(t, "/etc/acme_release", "acme_release"), []want{{"AcmeOS", "1.0.0", "pkg:generic/acmeos@1.0.0"}})
	})
}

// TestApk uses a hand-written record in the documented apk "installed"
// format (no Alpine tooling is reachable from the build machines).
func TestApk(t *testing.T) {
	db := "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nT:the musl c library\nL:MIT\nm:Natanael Copa <ncopa@alpinelinux.org>\n\nC:Q1def=\nP:busybox\nV:1.36.1-r5\nA:x86_64\nL:GPL-2.0-only\nD:so:libc.musl-x86_64.so.1 musl>=1.2\n\n"
	got, reqs := Apk([]byte(db), model.Location{Path: "/lib/apk/db/installed"})
	check(t, got, []want{
		{"musl", "1.2.4-r2", "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64"},
		{"busybox", "1.36.1-r5", "pkg:apk/alpine/busybox@1.36.1-r5?arch=x86_64"},
	})
	if l := got[0].License; l.Expression != "MIT" || got[0].Supplier != "Natanael Copa <ncopa@alpinelinux.org>" {
		t.Errorf("musl licence %+v supplier %q", l, got[0].Supplier)
	}
	if l := got[1].License; l.Expression != "GPL-2.0-only" || l.Source != "/lib/apk/db/installed" {
		t.Errorf("busybox licence %+v", l)
	}
	if d := requirements(reqs, got[1]); len(d) != 1 || d[0] != "apk:musl" {
		t.Errorf("busybox deps %v", d)
	}
}

func TestNotRequired(t *testing.T) {
	a := New()
	for _, p := range []string{"/etc/passwd", "/usr/share/doc/dpkg/status", "/var/lib/dpkg/available", "/etc/lsb-release.d/x"} {
		if a.FileRequired(&plugin.FileInfo{Path: p, Size: 10}) {
			t.Errorf("%s required", p)
		}
	}
}

func FuzzStanzas(f *testing.F) {
	f.Add([]byte("Package: a\nVersion: 1\n Depends: b\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		Dpkg(b, model.Location{})
		Opkg(b, model.Location{})
		Apk(b, model.Location{})
		OSRelease(b, model.Location{})
	})
}

// TestLongLine: a line of any length is read; a database is never cut
// short at a long line.
func TestLongLine(t *testing.T) {
	status, err := os.ReadFile("testdata/dpkg-status")
	if err != nil {
		t.Fatal(err)
	}
	long := "Package: blob\nStatus: install ok installed\nVersion: 1.0-1\nDescription: " + strings.Repeat("x", 2<<20) + "\n\n"
	names := map[string]bool{}
	cs, _ := Dpkg(append([]byte(long), status...), model.Location{})
	for _, c := range cs {
		names[c.Name] = true
	}
	if !names["blob"] || !names["base-files"] || !names["dpkg"] {
		t.Fatalf("packages around a 2 MiB line: %v", names)
	}
}

// TestOpkgLicence reads OpenWrt control fields (a hand-written status in
// the format opkg writes: OpenWrt packages carry License and Maintainer).
func TestOpkgLicence(t *testing.T) {
	got := run(t, "/usr/lib/opkg/status", "openwrt-status")
	check(t, got, []want{
		{"busybox", "1.36.1-r1", "pkg:opkg/busybox@1.36.1-r1?arch=mipsel_24kc"},
		{"dnsmasq", "2.90-2", "pkg:opkg/dnsmasq@2.90-2?arch=mipsel_24kc"},
		{"libubox20240329", "2024.03.29~eb9bcb64-r1", "pkg:opkg/libubox20240329@2024.03.29~eb9bcb64-r1?arch=mipsel_24kc"},
		{"vendor-blob", "1.0-1", "pkg:opkg/vendor-blob@1.0-1?arch=mipsel_24kc"},
		{"ca-bundle", "20240203-r1", "pkg:opkg/ca-bundle@20240203-r1?arch=mipsel_24kc"},
	})
	for _, tc := range []struct{ name, expr, declared, supplier string }{
		{"busybox", "GPL-2.0-only", "GPL-2.0-only", "Felix Fietkau <nbd@nbd.name>"},
		{"dnsmasq", "GPL-2.0-or-later", "GPL-2.0+", "Kevin Darbyshire-Bryant <ldir@darbyshire-bryant.me.uk>"},
		{"libubox20240329", "ISC", "ISC", "Felix Fietkau <nbd@nbd.name>"},
		{"vendor-blob", "LicenseRef-Acme-Proprietary", "Acme Proprietary", "Acme Home Networks firmware team"},
		{"ca-bundle", "NOASSERTION", "", ""},
	} {
		for _, c := range got {
			if c.Name != tc.name {
				continue
			}
			if c.License.Expression != tc.expr || c.License.Declared != tc.declared || c.Supplier != tc.supplier {
				t.Errorf("%s: licence %+v supplier %q, want %s (%q) %q", c.Name, c.License, c.Supplier, tc.expr, tc.declared, tc.supplier)
			}
		}
	}
}
