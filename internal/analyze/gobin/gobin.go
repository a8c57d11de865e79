// Package gobin reads the build information Go embeds in its binaries
// (main module, dependencies, Go version) and the dependency list that
// cargo-auditable embeds in Rust binaries (.dep-v0 section). When those
// are gone it recovers what it can, with weaker evidence: a Go binary's
// modules and toolchain from its pclntab and data, a Rust binary's crates
// and rustc from the source paths of its panic locations.
package gobin

import (
	"bytes"
	"compress/zlib"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"io"
	"runtime/debug"
	"strings"

	"github.com/package-url/packageurl-go"
	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/license"
	"github.com/thingsec/thingsec/internal/model"
)

// Evidence kinds.
const (
	KindBuildInfo = "buildinfo"
	KindCargo     = "cargo-auditable"
)

// Analyzer is the Go/Rust build-metadata FileAnalyzer.
type Analyzer struct{}

// New returns the analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements plugin.FileAnalyzer.
func (*Analyzer) Name() string { return "gobin" }

// FileRequired implements plugin.FileAnalyzer.
func (*Analyzer) FileRequired(fi *plugin.FileInfo) bool {
	return fi.Type.Type == filetype.ELF && (fi.Type.Sub == "exec" || fi.Type.Sub == "dyn")
}

// Analyze implements plugin.FileAnalyzer.
func (*Analyzer) Analyze(_ context.Context, in *plugin.Input, out *plugin.Results) error {
	f, err := elf.NewFile(in.R)
	if err != nil {
		out.Skip("gobin", in, "ELF headers not readable: "+err.Error())
		return nil
	}
	defer f.Close()
	goSections := f.Section(".go.buildinfo") != nil || f.Section(".note.go.buildid") != nil || f.Section(".gopclntab") != nil
	// Without section headers (sstrip, a damaged header) the pclntab is
	// looked for by its magic.
	if goSections || len(f.Sections) <= 1 {
		comps := Go(in.R, in.Loc)
		if comps == nil {
			comps = recoverGo(f, in, out)
		}
		out.Components = append(out.Components, comps...)
	}
	if s := f.Section(".dep-v0"); s != nil {
		out.Components = append(out.Components, Cargo(s.Open(), in.Loc)...)
	} else if !goSections && in.Data != nil {
		crates, rustc, commit := RustPaths(rodata(f, in.Data))
		out.Components = append(out.Components, RustComponents(crates, rustc, commit, in.Loc)...)
	}
	return nil
}

// rodata is the read-only data section, where string literals and panic
// locations live, else the whole file (section headers stripped).
func rodata(f *elf.File, data []byte) []byte {
	if s := f.Section(".rodata"); s != nil && s.Type == elf.SHT_PROGBITS && s.Offset+s.Size <= uint64(len(data)) {
		return data[s.Offset : s.Offset+s.Size]
	}
	return data
}

// recoverGo reads the module list and toolchain of a Go binary whose
// build info blob is missing or damaged.
func recoverGo(f *elf.File, in *plugin.Input, out *plugin.Results) []model.Component {
	if in.Data == nil {
		if f.Section(".gopclntab") != nil {
			out.Skip("gobin", in, "Go binary without readable build info, too large to search its tables in memory")
		}
		return nil
	}
	rec, ok := Recover(f, in.Data)
	if !ok {
		return nil
	}
	return RecoveredComponents(rec, in.Loc)
}

func goPURL(path, version string) string {
	ns, name := "", path
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		ns, name = path[:i], path[i+1:]
	}
	return packageurl.NewPackageURL("golang", ns, name, version, nil, "").ToString()
}

// Go reads a Go binary's build info: the toolchain (as the "stdlib"
// component), the main module and every dependency (replacements win).
func Go(r io.ReaderAt, loc model.Location) []model.Component {
	bi, err := buildinfo.Read(r)
	if err != nil {
		return nil
	}
	return fromBuildInfo(bi, loc, KindBuildInfo, 0)
}

// fromBuildInfo makes the components of a module list; conf is the
// evidence confidence (0: the kind's own).
func fromBuildInfo(bi *debug.BuildInfo, loc model.Location, kind string, conf float64) []model.Component {
	ev := func(s string) []model.Evidence {
		return []model.Evidence{{Kind: kind, Path: loc.Path, Match: s, Confidence: conf}}
	}
	// Go build info records module paths and versions, never licences.
	lic := func() *model.License {
		return license.Unknown("Go build info records no licence")
	}
	var out []model.Component
	var deps []string
	for _, d := range bi.Deps {
		m := d
		if d.Replace != nil {
			m = d.Replace
		}
		if m.Path == "" || m.Version == "" {
			continue
		}
		out = append(out, model.Component{
			Name: m.Path, Version: m.Version, Type: "library", PURL: goPURL(m.Path, m.Version),
			Locations: []model.Location{loc}, Evidence: ev("dep " + m.Path + " " + m.Version),
			License: lic(),
		})
		deps = append(deps, goPURL(m.Path, m.Version))
	}
	if v := strings.TrimSpace(bi.GoVersion); v != "" {
		out = append(out, stdlib(v, loc, ev("go " + v)[0]))
		deps = append(deps, out[len(out)-1].PURL)
	}
	if p := bi.Main.Path; p != "" {
		v := bi.Main.Version
		if v == "(devel)" {
			v = ""
		}
		c := model.Component{
			Name: p, Version: v, Type: "application", PURL: goPURL(p, v),
			Locations: []model.Location{loc}, Evidence: ev("mod " + p + " " + bi.Main.Version),
			Dependencies: deps,
			License:      lic(),
		}
		out = append(out, c)
	}
	return out
}

// Cargo reads cargo-auditable's zlib-compressed JSON dependency list.
func Cargo(r io.Reader, loc model.Location) []model.Component {
	zr, err := zlib.NewReader(r)
	if err != nil {
		return nil
	}
	raw, err := io.ReadAll(io.LimitReader(zr, 8<<20))
	if err != nil && len(raw) == 0 {
		return nil
	}
	var doc struct {
		Packages []struct {
			Name         string `json:"name"`
			Version      string `json:"version"`
			Source       string `json:"source"`
			Kind         string `json:"kind"`
			Root         bool   `json:"root"`
			Dependencies []int  `json:"dependencies"`
		} `json:"packages"`
	}
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&doc); err != nil {
		return nil
	}
	purls := make([]string, len(doc.Packages))
	for i, p := range doc.Packages {
		purls[i] = packageurl.NewPackageURL("cargo", "", p.Name, p.Version, nil, "").ToString()
	}
	var out []model.Component
	for i, p := range doc.Packages {
		if p.Kind == "build" || p.Name == "" {
			continue
		}
		c := model.Component{
			Name: p.Name, Version: p.Version, Type: "library", PURL: purls[i],
			Locations: []model.Location{loc},
			Evidence:  []model.Evidence{{Kind: KindCargo, Path: loc.Path, Match: p.Name + " " + p.Version}},
			License:   license.Unknown("cargo-auditable records no licence"),
		}
		if p.Root {
			c.Type = "application"
		}
		for _, d := range p.Dependencies {
			if d >= 0 && d < len(purls) {
				c.Dependencies = append(c.Dependencies, purls[d])
			}
		}
		out = append(out, c)
	}
	return out
}
