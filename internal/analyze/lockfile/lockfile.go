// Package lockfile reads dependency manifests and lock files found in
// source trees and installed language packages: go.mod, go.sum,
// package-lock.json, node_modules/*/package.json, requirements.txt,
// Python *.dist-info/METADATA, Cargo.lock, conanfile.txt, conan.lock,
// OpenWrt package Makefiles, Buildroot *.mk and Yocto *.bb recipes.
package lockfile

import (
	"context"
	"encoding/json"
	"path"
	"sort"
	"strings"

	"github.com/package-url/packageurl-go"
	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/lazyre"
	"github.com/thingsec/thingsec/internal/license"
	"github.com/thingsec/thingsec/internal/model"
)

// Kind is the evidence kind of every component found here.
const Kind = "manifest"

type parser func(p string, data []byte) []found

type found struct {
	typ, ns, name, version, match string
	line                          int
	application                   bool
	// license is the licence the manifest states; hasLicense says the
	// manifest has a licence field at all (lock files and go.mod do not).
	license    string
	hasLicense bool
}

// parserFor picks a parser from the path alone.
func parserFor(p string) parser {
	base := path.Base(p)
	dir := path.Base(path.Dir(p))
	switch {
	case base == "go.mod":
		return goMod
	case base == "go.sum":
		return goSum
	case base == "package-lock.json":
		return npmLock
	case base == "package.json" && installedNpm(p):
		return npmPackage
	case base == "requirements.txt" || (strings.HasPrefix(base, "requirements") && strings.HasSuffix(base, ".txt")):
		return requirements
	case base == "METADATA" && strings.HasSuffix(dir, ".dist-info"), base == "PKG-INFO" && strings.HasSuffix(dir, ".egg-info"):
		return pyMetadata
	case base == "Cargo.lock":
		return cargoLock
	case base == "conanfile.txt":
		return conanfile
	case base == "conan.lock":
		return conanLock
	case base == "Makefile" && strings.Contains(p, "/package/"):
		return openwrtMakefile
	case strings.HasSuffix(base, ".mk") && strings.Contains(p, "/package/"):
		return buildrootMk
	case strings.HasSuffix(base, ".bb"):
		return yoctoRecipe
	}
	return nil
}

// Analyzer is the manifest FileAnalyzer.
type Analyzer struct{}

// New returns the analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements plugin.FileAnalyzer.
func (*Analyzer) Name() string { return "lockfile" }

// FileRequired implements plugin.FileAnalyzer.
func (*Analyzer) FileRequired(fi *plugin.FileInfo) bool {
	if fi.Size == 0 { // larger than 16 MiB: Analyze records the skip
		return false
	}
	switch fi.Type.Type {
	case filetype.Text, filetype.Script, filetype.Data:
	default:
		return false
	}
	return parserFor(fi.Path) != nil
}

// Analyze implements plugin.FileAnalyzer.
func (a *Analyzer) Analyze(_ context.Context, in *plugin.Input, out *plugin.Results) error {
	if in.Data == nil || in.Size > 16<<20 {
		out.SkipLarge(a.Name(), in, 16<<20)
		return nil
	}
	out.Components = append(out.Components, Parse(in.Path, in.Data, in.Loc)...)
	return nil
}

// Parse reads one manifest into components.
func Parse(p string, data []byte, loc model.Location) []model.Component {
	pf := parserFor(p)
	if pf == nil {
		return nil
	}
	var out []model.Component
	seen := map[string]bool{}
	for _, f := range pf(p, data) {
		if f.name == "" || f.version == "" {
			continue
		}
		pu := packageurl.NewPackageURL(f.typ, f.ns, f.name, f.version, nil, "").ToString()
		if seen[pu] {
			continue
		}
		seen[pu] = true
		name := f.name
		if f.ns != "" {
			name = f.ns + "/" + f.name
		}
		l := loc
		l.Line = f.line
		typ := "library"
		if f.application {
			typ = "application"
		}
		lic := license.Unknown(path.Base(p) + " records no licence")
		if f.hasLicense {
			lic = license.Declared(f.license, loc.Path)
		}
		out = append(out, model.Component{
			Name: name, Version: f.version, Type: typ, PURL: pu,
			Locations: []model.Location{l},
			Evidence:  []model.Evidence{{Kind: Kind, Path: loc.Path, Match: f.match}},
			License:   lic,
		})
	}
	return out
}

func lines(data []byte) []string {
	return strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
}

func splitGo(mod string) (ns, name string) {
	if i := strings.LastIndexByte(mod, '/'); i >= 0 {
		return mod[:i], mod[i+1:]
	}
	return "", mod
}

func goMod(_ string, data []byte) []found {
	var out []found
	block := false
	for i, l := range lines(data) {
		l = strings.TrimSpace(l)
		if c := strings.Index(l, "//"); c >= 0 {
			l = strings.TrimSpace(l[:c])
		}
		switch {
		case l == "require (":
			block = true
			continue
		case block && l == ")":
			block = false
			continue
		case strings.HasPrefix(l, "require "):
			l = strings.TrimSpace(strings.TrimPrefix(l, "require "))
		case !block:
			continue
		}
		f := strings.Fields(l)
		if len(f) >= 2 {
			ns, n := splitGo(f[0])
			out = append(out, found{typ: "golang", ns: ns, name: n, version: f[1], match: f[0] + " " + f[1], line: i + 1})
		}
	}
	return out
}

func goSum(_ string, data []byte) []found {
	var out []found
	for i, l := range lines(data) {
		f := strings.Fields(l)
		if len(f) != 3 || strings.HasSuffix(f[1], "/go.mod") {
			continue
		}
		ns, n := splitGo(f[0])
		out = append(out, found{typ: "golang", ns: ns, name: n, version: f[1], match: f[0] + " " + f[1], line: i + 1})
	}
	return out
}

func splitNpm(full string) (ns, name string) {
	if strings.HasPrefix(full, "@") {
		if i := strings.IndexByte(full, '/'); i > 0 {
			return full[:i], full[i+1:]
		}
	}
	return "", full
}

func npmLock(_ string, data []byte) []found {
	var doc struct {
		Packages map[string]struct {
			Version string          `json:"version"`
			Name    string          `json:"name"`
			License json.RawMessage `json:"license"`
		} `json:"packages"`
		Dependencies map[string]struct {
			Version string `json:"version"`
		} `json:"dependencies"`
	}
	if json.Unmarshal(data, &doc) != nil {
		return nil
	}
	var out []found
	for k, p := range doc.Packages {
		if k == "" {
			continue
		}
		name := p.Name
		if i := strings.LastIndex(k, "node_modules/"); i >= 0 {
			name = k[i+len("node_modules/"):]
		}
		ns, n := splitNpm(name)
		out = append(out, found{typ: "npm", ns: ns, name: n, version: p.Version, match: name + "@" + p.Version, license: npmLicense(p.License, nil), hasLicense: true})
	}
	if len(doc.Packages) == 0 {
		for k, d := range doc.Dependencies {
			ns, n := splitNpm(k)
			out = append(out, found{typ: "npm", ns: ns, name: n, version: d.Version, match: k + "@" + d.Version})
		}
	}
	sortFound(out)
	return out
}

func npmPackage(_ string, data []byte) []found {
	var doc struct {
		Name     string            `json:"name"`
		Version  string            `json:"version"`
		License  json.RawMessage   `json:"license"`
		Licenses []json.RawMessage `json:"licenses"`
	}
	if json.Unmarshal(data, &doc) != nil {
		return nil
	}
	ns, n := splitNpm(doc.Name)
	return []found{{typ: "npm", ns: ns, name: n, version: doc.Version, match: doc.Name + "@" + doc.Version, license: npmLicense(doc.License, doc.Licenses), hasLicense: true}}
}

// npmLicense reads package.json's "license" (an SPDX expression, or the
// deprecated {"type": ...} object) or the deprecated "licenses" list,
// whose entries all apply.
func npmLicense(one json.RawMessage, many []json.RawMessage) string {
	name := func(raw json.RawMessage) string {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		var o struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(raw, &o) == nil {
			return o.Type
		}
		return ""
	}
	if s := name(one); s != "" {
		return s
	}
	var all []string
	for _, raw := range many {
		if s := name(raw); s != "" {
			all = append(all, "("+s+")")
		}
	}
	if len(all) == 1 {
		return strings.Trim(all[0], "()")
	}
	return strings.Join(all, " AND ")
}

var reqLine = lazyre.New(`^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([A-Za-z0-9.+!_-]+)`)

func pyName(n string) string {
	return strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(n))
}

func requirements(_ string, data []byte) []found {
	var out []found
	for i, l := range lines(data) {
		if m := reqLine.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			out = append(out, found{typ: "pypi", name: pyName(m[1]), version: m[2], match: strings.TrimSpace(l), line: i + 1})
		}
	}
	return out
}

// pyMetadata reads a Python core-metadata file. The licence is
// License-Expression (metadata 2.4), else a "License ::" classifier, else
// the free-text License field when it is one line (a whole licence text
// is not a name).
func pyMetadata(_ string, data []byte) []found {
	var name, ver, expr, text string
	var classifiers []string
	for _, l := range lines(data) {
		if l == "" {
			break // the headers end at the first blank line
		}
		if v, ok := strings.CutPrefix(l, "Name: "); ok {
			name = strings.TrimSpace(v)
		} else if v, ok := strings.CutPrefix(l, "Version: "); ok {
			ver = strings.TrimSpace(v)
		} else if v, ok := strings.CutPrefix(l, "License-Expression: "); ok {
			expr = strings.TrimSpace(v)
		} else if v, ok := strings.CutPrefix(l, "License: "); ok {
			text = strings.TrimSpace(v)
		} else if v, ok := strings.CutPrefix(l, "Classifier: License :: "); ok {
			parts := strings.Split(v, " :: ")
			if c := strings.TrimSpace(parts[len(parts)-1]); c != "OSI Approved" {
				classifiers = append(classifiers, c)
			}
		}
	}
	lic := expr
	if lic == "" && len(classifiers) > 0 {
		// Several classifiers do not say whether they are a choice: read
		// them as all applying, which never understates an obligation.
		lic = strings.Join(classifiers, " AND ")
	}
	if lic == "" && len(text) <= 64 {
		lic = text
	}
	return []found{{typ: "pypi", name: pyName(name), version: ver, match: "Name: " + name + " Version: " + ver, license: lic, hasLicense: true}}
}

func cargoLock(_ string, data []byte) []found {
	var out []found
	var cur found
	flush := func() {
		if cur.name != "" {
			out = append(out, cur)
		}
		cur = found{}
	}
	for i, l := range lines(data) {
		l = strings.TrimSpace(l)
		if l == "[[package]]" {
			flush()
			cur.typ, cur.line = "cargo", i+1
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok || cur.typ == "" {
			continue
		}
		v = strings.Trim(strings.TrimSpace(v), `"`)
		switch strings.TrimSpace(k) {
		case "name":
			cur.name = v
		case "version":
			cur.version = v
			cur.match = cur.name + " " + v
		}
	}
	flush()
	return out
}

// conanRef parses "name/version[@user/channel][#rev]".
func conanRef(ref string) (string, string) {
	ref, _, _ = strings.Cut(ref, "#")
	ref, _, _ = strings.Cut(ref, "@")
	n, v, _ := strings.Cut(strings.TrimSpace(ref), "/")
	return n, v
}

func conanfile(_ string, data []byte) []found {
	var out []found
	section := ""
	for i, l := range lines(data) {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "[") {
			section = l
			continue
		}
		if (section == "[requires]" || section == "[tool_requires]" || section == "[build_requires]") && l != "" && !strings.HasPrefix(l, "#") {
			if n, v := conanRef(l); n != "" {
				out = append(out, found{typ: "conan", name: n, version: v, match: l, line: i + 1})
			}
		}
	}
	return out
}

func conanLock(_ string, data []byte) []found {
	var doc struct {
		Requires      []string `json:"requires"`
		BuildRequires []string `json:"build_requires"`
		GraphLock     struct {
			Nodes map[string]struct {
				Ref string `json:"ref"`
			} `json:"nodes"`
		} `json:"graph_lock"`
	}
	if json.Unmarshal(data, &doc) != nil {
		return nil
	}
	refs := append(doc.Requires, doc.BuildRequires...)
	for _, n := range doc.GraphLock.Nodes {
		refs = append(refs, n.Ref)
	}
	var out []found
	for _, r := range refs {
		if n, v := conanRef(r); n != "" {
			out = append(out, found{typ: "conan", name: n, version: v, match: r})
		}
	}
	sortFound(out)
	return out
}

var makeVar = lazyre.New(`^([A-Z0-9_]+)\s*[:?]?=\s*(.*)$`)

var makeRef = lazyre.New(`\$\(([A-Z0-9_]+)\)`)

// makeVars reads simple "VAR:=value" assignments, expanding $(VAR) once.
func makeVars(data []byte) (map[string]string, map[string]int) {
	vars, at := map[string]string{}, map[string]int{}
	for i, l := range lines(data) {
		if m := makeVar.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			if _, ok := vars[m[1]]; !ok {
				vars[m[1]], at[m[1]] = strings.TrimSpace(m[2]), i+1
			}
		}
	}
	for k, v := range vars {
		vars[k] = makeRef.ReplaceAllStringFunc(v, func(s string) string {
			return vars[s[2:len(s)-1]]
		})
	}
	return vars, at
}

func openwrtMakefile(_ string, data []byte) []found {
	vars, at := makeVars(data)
	n, v := vars["PKG_NAME"], vars["PKG_VERSION"]
	if n == "" || v == "" || strings.Contains(n+v, "$") {
		return nil
	}
	return []found{{typ: "generic", name: n, version: v, match: "PKG_NAME:=" + n + " PKG_VERSION:=" + v, line: at["PKG_VERSION"], license: vars["PKG_LICENSE"], hasLicense: true}}
}

func buildrootMk(p string, data []byte) []found {
	pkg := strings.TrimSuffix(path.Base(p), ".mk")
	key := strings.ToUpper(strings.ReplaceAll(pkg, "-", "_")) + "_VERSION"
	vars, at := makeVars(data)
	v := vars[key]
	if v == "" || strings.Contains(v, "$") {
		return nil
	}
	lic := strings.TrimSuffix(key, "_VERSION") + "_LICENSE"
	return []found{{typ: "generic", name: pkg, version: v, match: key + " = " + v, line: at[key], license: vars[lic], hasLicense: true}}
}

var pvLine = lazyre.New(`^PV\s*[?:]?=\s*"([^"$]+)"`)

// licLine is a recipe's LICENSE ("GPL-2.0-only & MIT", "|" for a choice).
var licLine = lazyre.New(`^LICENSE\s*[?:]?=\s*"([^"$]*)"`)

var bbName = lazyre.New(`^([A-Za-z0-9+.-]+?)_([0-9][A-Za-z0-9.+~-]*)\.bb$`)

func yoctoRecipe(p string, data []byte) []found {
	base := path.Base(p)
	name, ver := strings.TrimSuffix(base, ".bb"), ""
	if m := bbName.FindStringSubmatch(base); m != nil {
		name, ver = m[1], m[2]
	}
	line, lic := 0, ""
	for i, l := range lines(data) {
		l = strings.TrimSpace(l)
		if m := pvLine.FindStringSubmatch(l); m != nil && line == 0 {
			ver, line = m[1], i+1
		}
		if m := licLine.FindStringSubmatch(l); m != nil && lic == "" {
			lic = m[1]
		}
	}
	if ver == "" || ver == "git" {
		return nil
	}
	return []found{{typ: "generic", name: name, version: ver, match: base + " PV=" + ver, line: line, license: lic, hasLicense: true}}
}

func sortFound(f []found) {
	sort.Slice(f, func(i, j int) bool {
		return f[i].ns+"/"+f[i].name+"@"+f[i].version < f[j].ns+"/"+f[j].name+"@"+f[j].version
	})
}

// installedNpm says whether p is node_modules/<pkg>/package.json or
// node_modules/@scope/<pkg>/package.json.
func installedNpm(p string) bool {
	d := path.Dir(path.Dir(p))
	if path.Base(d) == "node_modules" {
		return true
	}
	return strings.HasPrefix(path.Base(d), "@") && path.Base(path.Dir(d)) == "node_modules"
}
