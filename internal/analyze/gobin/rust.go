package gobin

import (
	"bytes"
	"sort"

	"github.com/package-url/packageurl-go"
	"github.com/thingsec/thingsec/internal/lazyre"
	"github.com/thingsec/thingsec/internal/license"
	"github.com/thingsec/thingsec/internal/model"
)

// KindRustPath is the evidence of a Rust binary without cargo-auditable
// data: the source paths rustc embeds for panic messages name each
// registry crate's directory, <crate>-<version>, and the standard
// library's.
const KindRustPath = "rust-panic-path"

const (
	confRustCrate     = 0.7 // a registry source directory: name and version, but only for crates that can panic
	confRustToolchain = 0.7 // a distribution's rustc source path with its version
	confRustCommit    = 0.3 // the rustc commit alone: which release is not known here
)

var (
	// Cargo's registry checkout (…/registry/src/index.crates.io-<hash>/,
	// …/registry/src/github.com-<hash>/) and Debian's
	// (/usr/share/cargo/registry/). Crate names never contain
	// "-<digits>.<digits>.<digits>", so the lazy name stops at the version.
	rustCratePath = lazyre.New(`/(?:registry/src/[^/\x00]+|share/cargo/registry)/([A-Za-z0-9_][A-Za-z0-9_-]*?)-(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)/`)
	// rustc's own library paths: the commit of an upstream toolchain,
	// the version of a distribution's (Debian: /usr/src/rustc-1.63.0/).
	rustcCommit  = lazyre.New(`/rustc/([0-9a-f]{40})/library/`)
	rustcVersion = lazyre.New(`/rustc-(\d+\.\d+\.\d+)/library/`)
)

// RustPaths lists the crates, rustc version and rustc commit that the
// panic-location paths in a binary's read-only data name.
func RustPaths(data []byte) (crates []Module, rustc, commit string) {
	if !bytes.Contains(data, []byte("/registry/")) && !bytes.Contains(data, []byte("/rustc")) {
		return nil, "", ""
	}
	seen := map[Module]bool{}
	for _, m := range rustCratePath.FindAllSubmatch(data, -1) {
		c := Module{Path: string(m[1]), Version: string(m[2])}
		if !seen[c] {
			seen[c] = true
			crates = append(crates, c)
		}
	}
	sort.Slice(crates, func(i, j int) bool {
		if crates[i].Path != crates[j].Path {
			return crates[i].Path < crates[j].Path
		}
		return crates[i].Version < crates[j].Version
	})
	if m := rustcVersion.FindSubmatch(data); m != nil {
		rustc = string(m[1])
	}
	if m := rustcCommit.FindSubmatch(data); m != nil {
		commit = string(m[1])
	}
	return crates, rustc, commit
}

// RustComponents makes components of what RustPaths found: the crates
// and the Rust standard library (the toolchain's, linked into every Rust
// binary), versioned when the path says the release.
func RustComponents(crates []Module, rustc, commit string, loc model.Location) []model.Component {
	var out []model.Component
	for _, c := range crates {
		out = append(out, model.Component{
			Name: c.Path, Version: c.Version, Type: "library",
			PURL:      packageurl.NewPackageURL("cargo", "", c.Path, c.Version, nil, "").ToString(),
			Locations: []model.Location{loc},
			Evidence:  []model.Evidence{{Kind: KindRustPath, Path: loc.Path, Match: "registry source path " + c.Path + "-" + c.Version, Confidence: confRustCrate}},
			License:   license.Unknown("a source path records no licence"),
		})
	}
	if rustc == "" && commit == "" {
		return out
	}
	std := model.Component{
		Name: "rust", Type: "library", PURL: "pkg:generic/rust",
		Locations: []model.Location{loc},
		License:   license.Unknown("a source path records no licence"),
	}
	if rustc != "" {
		std.Version = rustc
		std.PURL = "pkg:generic/rust@" + rustc
		std.CPEs = []string{"cpe:2.3:a:rust-lang:rust:" + rustc + ":*:*:*:*:*:*:*"}
		std.Evidence = []model.Evidence{{Kind: KindRustPath, Path: loc.Path, Match: "standard library path rustc-" + rustc, Confidence: confRustToolchain}}
	} else {
		std.Evidence = []model.Evidence{{Kind: KindRustPath, Path: loc.Path, Match: "standard library of rustc commit " + commit + " (release not known)", Confidence: confRustCommit}}
	}
	return append(out, std)
}
