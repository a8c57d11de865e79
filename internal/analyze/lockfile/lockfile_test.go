package lockfile

import (
	"os"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
)

func names(cs []model.Component) map[string]string {
	m := map[string]string{}
	for _, c := range cs {
		m[c.PURL] = c.Version
	}
	return m
}

// TestRepoGoFiles reads this repository's own go.mod and go.sum.
func TestRepoGoFiles(t *testing.T) {
	for _, f := range []string{"go.mod", "go.sum"} {
		data, err := os.ReadFile("../../../" + f)
		if err != nil {
			t.Fatal(err)
		}
		got := names(Parse("/src/"+f, data, model.Location{Path: "/src/" + f}))
		found := false
		for p := range got {
			if len(p) > 40 && p[:38] == "pkg:golang/github.com/package-url/pack" {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: packageurl-go not found in %d components", f, len(got))
		}
	}
}

func TestManifests(t *testing.T) {
	for _, tt := range []struct {
		path, doc string
		want      map[string]string
	}{
		{"/app/package-lock.json", `{"lockfileVersion":3,"packages":{"":{"name":"app"},"node_modules/express":{"version":"4.18.2"},"node_modules/@types/node":{"version":"20.1.0"}}}`,
			map[string]string{"pkg:npm/express@4.18.2": "4.18.2", "pkg:npm/%40types/node@20.1.0": "20.1.0"}},
		{"/usr/lib/node_modules/npm/node_modules/semver/package.json", `{"name":"semver","version":"7.5.4"}`, map[string]string{"pkg:npm/semver@7.5.4": "7.5.4"}},
		{"/src/requirements.txt", "# pinned\nrequests==2.31.0\nFlask[async] == 2.3.2\nnumpy>=1.0\n", map[string]string{"pkg:pypi/requests@2.31.0": "2.31.0", "pkg:pypi/flask@2.3.2": "2.3.2"}},
		{"/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: PyYAML\nVersion: 6.0\n\nbody Version: 9\n", map[string]string{"pkg:pypi/pyyaml@6.0": "6.0"}},
		{"/src/Cargo.lock", "version = 3\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.188\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n", map[string]string{"pkg:cargo/serde@1.0.188": "1.0.188"}},
		{"/src/conanfile.txt", "[requires]\nzlib/1.2.13\nopenssl/3.1.2@user/stable\n\n[generators]\nCMakeDeps\n", map[string]string{"pkg:conan/zlib@1.2.13": "1.2.13", "pkg:conan/openssl@3.1.2": "3.1.2"}},
		{"/src/conan.lock", `{"version":"0.5","requires":["mbedtls/2.28.4#abc%1690000000.0"]}`, map[string]string{"pkg:conan/mbedtls@2.28.4": "2.28.4"}},
		{"/openwrt/package/network/services/dnsmasq/Makefile", "include $(TOPDIR)/rules.mk\n\nPKG_NAME:=dnsmasq\nPKG_UPSTREAM_VERSION:=2.90\nPKG_VERSION:=$(subst test,~~test,$(subst rc,~rc,$(PKG_UPSTREAM_VERSION)))\n", nil},
		{"/openwrt/package/utils/busybox/Makefile", "PKG_NAME:=busybox\nPKG_VERSION:=1.36.1\nPKG_RELEASE:=1\n", map[string]string{"pkg:generic/busybox@1.36.1": "1.36.1"}},
		{"/buildroot/package/dropbear/dropbear.mk", "DROPBEAR_VERSION = 2022.83\nDROPBEAR_SITE = https://matt.ucc.asn.au/dropbear/releases\n", map[string]string{"pkg:generic/dropbear@2022.83": "2022.83"}},
		{"/poky/meta/recipes-core/busybox/busybox_1.36.1.bb", "SUMMARY = \"Tiny versions of many common UNIX utilities\"\n", map[string]string{"pkg:generic/busybox@1.36.1": "1.36.1"}},
		{"/meta-x/recipes/foo/foo.bb", "PV = \"3.2.1\"\n", map[string]string{"pkg:generic/foo@3.2.1": "3.2.1"}},
	} {
		got := names(Parse(tt.path, []byte(tt.doc), model.Location{Path: tt.path}))
		if len(got) != len(tt.want) {
			t.Errorf("%s: got %v, want %v", tt.path, got, tt.want)
			continue
		}
		for p, v := range tt.want {
			if got[p] != v {
				t.Errorf("%s: got %v, want %s", tt.path, got, p)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("/x/package-lock.json", []byte(`{"packages":{"node_modules/a":{"version":"1"}}}`))
	f.Add("/x/Cargo.lock", []byte("[[package]]\nname = \"a\"\n"))
	f.Fuzz(func(t *testing.T, p string, b []byte) {
		Parse(p, b, model.Location{})
	})
}

func TestLicences(t *testing.T) {
	for _, tt := range []struct {
		path, doc string
		want      string // the expression of the one component
		reason    bool   // NOASSERTION with a reason
	}{
		{"/usr/lib/node_modules/semver/package.json", `{"name":"semver","version":"7.5.4","license":"ISC"}`, "ISC", false},
		{"/usr/lib/node_modules/old/package.json", `{"name":"old","version":"1.0.0","license":{"type":"MIT","url":"x"}}`, "MIT", false},
		{"/usr/lib/node_modules/older/package.json", `{"name":"older","version":"1.0.0","licenses":[{"type":"MIT"},{"type":"Apache-2.0"}]}`, "(MIT) AND (Apache-2.0)", false},
		{"/usr/lib/node_modules/none/package.json", `{"name":"none","version":"1.0.0"}`, "NOASSERTION", true},
		{"/app/package-lock.json", `{"lockfileVersion":3,"packages":{"node_modules/express":{"version":"4.18.2","license":"MIT"}}}`, "MIT", false},
		{"/usr/lib/python3/dist-packages/a-1.dist-info/METADATA", "Metadata-Version: 2.4\nName: a\nVersion: 1\nLicense-Expression: MIT OR Apache-2.0\n\n", "MIT OR Apache-2.0", false},
		{"/usr/lib/python3/dist-packages/b-1.dist-info/METADATA", "Metadata-Version: 2.1\nName: b\nVersion: 1\nClassifier: License :: OSI Approved :: BSD License\nClassifier: License :: OSI Approved :: MIT License\n\n", "LicenseRef-BSD-License AND MIT", false},
		{"/usr/lib/python3/dist-packages/c-1.dist-info/METADATA", "Metadata-Version: 2.1\nName: c\nVersion: 1\nLicense: GPLv2+\n\n", "GPL-2.0-or-later", false},
		{"/openwrt/package/utils/busybox/Makefile", "PKG_NAME:=busybox\nPKG_VERSION:=1.36.1\nPKG_LICENSE:=GPL-2.0-only\n", "GPL-2.0-only", false},
		{"/buildroot/package/busybox/busybox.mk", "BUSYBOX_VERSION = 1.36.1\nBUSYBOX_LICENSE = GPL-2.0, bzip2-1.0.4\n", "GPL-2.0 AND LicenseRef-bzip2-1.0.4", false},
		{"/poky/meta/recipes-core/zlib/zlib_1.3.bb", "LICENSE = \"Zlib\"\n", "Zlib", false},
		{"/src/Cargo.lock", "[[package]]\nname = \"serde\"\nversion = \"1.0.188\"\n", "NOASSERTION", true},
	} {
		cs := Parse(tt.path, []byte(tt.doc), model.Location{Path: tt.path})
		if len(cs) != 1 {
			t.Errorf("%s: %d components", tt.path, len(cs))
			continue
		}
		l := cs[0].License
		if l == nil || l.Expression != tt.want || (l.Reason != "") != tt.reason {
			t.Errorf("%s: licence %+v, want %s", tt.path, l, tt.want)
		}
	}
}
