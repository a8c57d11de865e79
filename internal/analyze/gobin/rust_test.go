package gobin

import (
	"bytes"
	"compress/zlib"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
)

// builtUsing reads the Built-Using and X-Cargo-Built-Using fields kept
// beside each snippet: Debian package name -> upstream version.
func builtUsing(t *testing.T, name string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "rust", name+".built-using"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`([a-z0-9.+-]+) \(= (?:\d+:)?([^)]+)\)`).FindAllStringSubmatch(string(b), -1) {
		up := m[2]
		if i := strings.LastIndexByte(up, '-'); i > 0 {
			up = up[:i]
		}
		up, _, _ = strings.Cut(up, "+")
		out[m[1]] = up
	}
	return out
}

// TestRustPanicPaths: Debian's ripgrep (amd64) and fd (arm64) carry no
// cargo-auditable data; the crates and the rustc release named by their
// panic-location paths are the ones Debian says it built them with.
func TestRustPanicPaths(t *testing.T) {
	for _, tc := range []struct {
		name      string
		minCrates int
	}{
		{"ripgrep-amd64", 35},
		{"fd-find-arm64", 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "rust", tc.name+".paths"))
			if err != nil {
				t.Fatal(err)
			}
			deb := builtUsing(t, tc.name)
			crates, rustc, commit := RustPaths(data)
			if rustc == "" || rustc != deb["rustc"] || commit != "" {
				t.Errorf("rustc %q commit %q, Debian built with %q", rustc, commit, deb["rustc"])
			}
			for _, c := range crates {
				// rust-<crate>, or rust-<crate>-<major[.minor]> for a
				// second semver line packaged beside the newest
				base := "rust-" + strings.ReplaceAll(strings.ToLower(c.Path), "_", "-")
				ok := false
				for pkg, v := range deb {
					if (pkg == base || strings.HasPrefix(pkg, base+"-") && strings.HasPrefix(c.Version, strings.TrimPrefix(pkg, base+"-")+".")) && v == c.Version {
						ok = true
					}
				}
				if !ok {
					t.Errorf("crate %s %s is not what Debian built with", c.Path, c.Version)
				}
			}
			if len(crates) < tc.minCrates {
				t.Errorf("%d crates, want at least %d: %+v", len(crates), tc.minCrates, crates)
			}
			t.Logf("%s: %d crates of the %d packages Debian built with, rustc %s", tc.name, len(crates), len(deb)-1, rustc)
			comps := RustComponents(crates, rustc, commit, model.Location{Path: "/usr/bin/x"})
			if len(comps) != len(crates)+1 {
				t.Fatalf("%d components", len(comps))
			}
			for _, c := range comps {
				if c.Version == "" || c.Evidence[0].Kind != KindRustPath || c.Evidence[0].Confidence <= 0 || c.Evidence[0].Confidence >= 1 {
					t.Errorf("%+v", c)
				}
			}
			if std := comps[len(comps)-1]; std.Name != "rust" || std.CPEs[0] != "cpe:2.3:a:rust-lang:rust:"+rustc+":*:*:*:*:*:*:*" {
				t.Errorf("toolchain %+v", std)
			}
		})
	}
}

// TestRustCommitOnly: an upstream toolchain's paths carry its commit, not
// its release; the standard library is listed unversioned, weakly, with
// the commit in the evidence.
func TestRustCommitOnly(t *testing.T) {
	commit := "90c541806f23a127002de5b4038be731ba1458ca"
	data := []byte("called `Option::unwrap()` on a `None` value/rustc/" + commit + "/library/core/src/fmt/mod.rs\x00/home/u/.cargo/registry/src/index.crates.io-6f17d22bba15001f/tokio-1.32.0-rc.1/src/runtime/mod.rs")
	crates, rustc, got := RustPaths(data)
	if rustc != "" || got != commit || len(crates) != 1 || crates[0] != (Module{"tokio", "1.32.0-rc.1"}) {
		t.Fatalf("crates %v rustc %q commit %q", crates, rustc, got)
	}
	comps := RustComponents(crates, rustc, got, model.Location{Path: "/usr/bin/x"})
	std := comps[len(comps)-1]
	if std.Version != "" || len(std.CPEs) != 0 || std.Evidence[0].Confidence != confRustCommit || !strings.Contains(std.Evidence[0].Match, commit) {
		t.Errorf("%+v", std)
	}
}

// TestRustNoPaths: text without registry or rustc paths gives nothing,
// and a path without a version is not a crate.
func TestRustNoPaths(t *testing.T) {
	for _, s := range []string{"", "plain C program", "/usr/share/cargo/registry/README", "/home/u/.cargo/registry/src/index.crates.io-x/serde/src/lib.rs"} {
		if c, r, m := RustPaths([]byte(s)); len(c) != 0 || r != "" || m != "" {
			t.Errorf("%q: %v %q %q", s, c, r, m)
		}
	}
}

// TestCargoAuditable: the .dep-v0 format (zlib-compressed JSON) made with
// a real zlib: crates with versions, the root an application, build
// dependencies left out, dependency edges kept.
func TestCargoAuditable(t *testing.T) {
	doc := `{"packages":[{"name":"fwtool","version":"0.3.1","source":"local","root":true,"dependencies":[1,2]},` +
		`{"name":"serde","version":"1.0.188","source":"crates.io"},` +
		`{"name":"libc","version":"0.2.148","source":"crates.io"},` +
		`{"name":"cc","version":"1.0.83","source":"crates.io","kind":"build"}]}`
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(doc))
	zw.Close()
	got := Cargo(bytes.NewReader(z.Bytes()), model.Location{Path: "/usr/bin/fwtool"})
	if len(got) != 3 {
		t.Fatalf("%d components: %+v", len(got), got)
	}
	if r := got[0]; r.Type != "application" || r.PURL != "pkg:cargo/fwtool@0.3.1" || len(r.Dependencies) != 2 || r.Dependencies[0] != "pkg:cargo/serde@1.0.188" {
		t.Errorf("root %+v", r)
	}
	if got[1].PURL != "pkg:cargo/serde@1.0.188" || got[1].Evidence[0].Kind != KindCargo {
		t.Errorf("%+v", got[1])
	}
	if Cargo(bytes.NewReader([]byte(doc)), model.Location{}) != nil {
		t.Error("uncompressed JSON read as cargo-auditable data")
	}
}

// TestRustWholeBinaries runs the analyzer on the whole Debian binaries
// the snippets were cut from, when scripts/fixtures/rust.sh's cache is
// there: the same crates and rustc release.
func TestRustWholeBinaries(t *testing.T) {
	cache := filepath.Join(os.Getenv("THINGSEC_CACHE"), "thingsec-rust")
	if os.Getenv("THINGSEC_CACHE") == "" {
		cache = filepath.Join(os.TempDir(), "thingsec-rust")
	}
	for _, b := range []struct{ pkg, arch, bin string }{{"ripgrep", "amd64", "usr/bin/rg"}, {"fd-find", "arm64", "usr/lib/cargo/bin/fd"}} {
		pkg, arch, bin, name := b.pkg, b.arch, b.bin, b.pkg+"-"+b.arch
		roots, _ := filepath.Glob(filepath.Join(cache, "root-"+pkg+"_*_"+arch, bin))
		if len(roots) == 0 {
			t.Skipf("no %s under %s (scripts/fixtures/rust.sh)", name, cache)
		}
		data, err := os.ReadFile(roots[0])
		if err != nil {
			t.Fatal(err)
		}
		out := analyzeBytes(t, data)
		snip, _ := os.ReadFile(filepath.Join("testdata", "rust", name+".paths"))
		crates, rustc, _ := RustPaths(snip)
		if len(out.Components) != len(crates)+1 {
			t.Errorf("%s: %d components from the binary, %d crates and rustc %s from the snippet", name, len(out.Components), len(crates), rustc)
		}
	}
}
