// Package pkgdb reads package databases (opkg, dpkg, apk) and the files
// that name the operating system (os-release, openwrt_release, vendor
// *_release files, Buildroot and Yocto markers) into components.
package pkgdb

import (
	"bytes"
	"context"
	"net/url"
	"path"
	"strings"

	"github.com/package-url/packageurl-go"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/license"
	"github.com/thingsec/thingsec/internal/model"
)

// Evidence kinds written by this package.
const (
	KindPackageDB = "package-db"
	KindOSRelease = "os-release"
)

// Analyzer is the package-database FileAnalyzer.
type Analyzer struct{}

// New returns the package-database analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements plugin.FileAnalyzer.
func (*Analyzer) Name() string { return "pkgdb" }

type kind int

const (
	none kind = iota
	opkgStatus
	opkgControl
	dpkgStatus
	apkInstalled
	osRelease
	keyValueRelease
	versionFile
)

// classify says what database a path is, from the path alone.
func classify(p string) kind {
	dir, base := path.Split(p)
	switch {
	case p == "/usr/lib/opkg/status" || p == "/var/lib/opkg/status":
		return opkgStatus
	case (dir == "/usr/lib/opkg/info/" || dir == "/var/lib/opkg/info/") && strings.HasSuffix(base, ".control"):
		return opkgControl
	case p == "/var/lib/dpkg/status" || dir == "/var/lib/dpkg/status.d/":
		return dpkgStatus
	case p == "/lib/apk/db/installed":
		return apkInstalled
	case p == "/etc/os-release" || p == "/usr/lib/os-release":
		return osRelease
	case dir == "/etc/" && (strings.HasSuffix(base, "_release") || (strings.HasSuffix(base, "-release") && base != "os-release" && base != "lsb-release")):
		return keyValueRelease
	case p == "/etc/lsb-release":
		return keyValueRelease
	case p == "/etc/version" || p == "/etc/buildroot_version" || p == "/etc/build":
		return versionFile
	}
	return none
}

// FileRequired implements plugin.FileAnalyzer.
func (*Analyzer) FileRequired(fi *plugin.FileInfo) bool {
	return fi.Size > 0 && classify(fi.Path) != none // 64 MiB and more: Analyze records the skip
}

// Analyze implements plugin.FileAnalyzer.
func (a *Analyzer) Analyze(_ context.Context, in *plugin.Input, out *plugin.Results) error {
	data := in.Data
	if data == nil || in.Size >= 64<<20 {
		out.SkipLarge(a.Name(), in, 64<<20-1)
		return nil
	}
	var comps []model.Component
	var reqs []plugin.Requirement
	switch classify(in.Path) {
	case opkgStatus, opkgControl:
		comps, reqs = Opkg(data, in.Loc)
	case dpkgStatus:
		comps, reqs = Dpkg(data, in.Loc)
	case apkInstalled:
		comps, reqs = Apk(data, in.Loc)
	case osRelease, keyValueRelease:
		if c, ok := OSRelease(data, in.Loc); ok {
			comps = append(comps, c)
		}
	case versionFile:
		if c, ok := versionMarker(in.Path, data, in.Loc); ok {
			comps = append(comps, c)
		}
	}
	out.Components = append(out.Components, comps...)
	out.Requires = append(out.Requires, reqs...)
	return nil
}

// stanzas splits an RFC 822-style database ("Key: value" lines, blank line
// between records, indented continuation lines) into records.
func stanzas(data []byte) []map[string]string {
	var out []map[string]string
	cur := map[string]string{}
	last := ""
	// Every line, however long: a line limit would drop the rest of the
	// database unsaid.
	for raw := range bytes.Lines(data) {
		line := strings.TrimRight(string(raw), "\r\n")
		if strings.TrimSpace(line) == "" {
			if len(cur) > 0 {
				out = append(out, cur)
				cur = map[string]string{}
			}
			last = ""
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if last != "" {
				cur[last] += "\n" + strings.TrimSpace(line)
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		last = strings.TrimSpace(k)
		cur[last] = strings.TrimSpace(v)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// depNames turns "a (>= 1), b | c, d:any" into [a b c d]: every
// alternative is a possible dependency.
func depNames(s string) []string {
	var out []string
	for _, alt := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '|' }) {
		f := strings.Fields(alt)
		if len(f) == 0 {
			continue
		}
		n, _, _ := strings.Cut(f[0], ":")
		n, _, _ = strings.Cut(n, "(")
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

func installed(st string) bool {
	if st == "" {
		return true // control files and status.d entries have no Status
	}
	f := strings.Fields(st)
	return len(f) == 3 && f[2] == "installed"
}

func purl(typ, ns, name, version string, q map[string]string) string {
	var qs packageurl.Qualifiers
	for _, k := range []string{"arch", "distro", "epoch", "upstream"} {
		if v := q[k]; v != "" {
			qs = append(qs, packageurl.Qualifier{Key: k, Value: v})
		}
	}
	return packageurl.NewPackageURL(typ, ns, name, version, qs, "").ToString()
}

// requires lists the requirements of the package c on the named packages
// of database db.
func requires(reqs []plugin.Requirement, c *model.Component, db string, names []string) []plugin.Requirement {
	for _, n := range names {
		reqs = append(reqs, plugin.Requirement{From: c.PURL, DB: db, Name: n})
	}
	return reqs
}

// Opkg parses an opkg status file or an info/<pkg>.control file. OpenWrt
// versions are PKG_VERSION-PKG_RELEASE; the component version is the whole
// package version, as in the purl (the CPE carries the upstream
// PKG_VERSION that advisories name). The requirements are the packages
// each one depends on.
func Opkg(data []byte, loc model.Location) ([]model.Component, []plugin.Requirement) {
	var out []model.Component
	var reqs []plugin.Requirement
	for _, s := range stanzas(data) {
		name, ver := s["Package"], s["Version"]
		if name == "" || !installed(s["Status"]) {
			continue
		}
		c := model.Component{
			Name:      name,
			Version:   ver,
			Type:      "application",
			PURL:      purl("opkg", "", name, ver, map[string]string{"arch": s["Architecture"]}),
			Locations: []model.Location{loc},
			Evidence:  []model.Evidence{{Kind: KindPackageDB, Path: loc.Path, Match: "Package: " + name + " Version: " + ver}},
			License:   license.Declared(s["License"], loc.Path),
			Supplier:  s["Maintainer"],
		}
		reqs = requires(reqs, &c, "opkg", depNames(s["Depends"]))
		out = append(out, c)
	}
	return out, reqs
}

// Dpkg parses /var/lib/dpkg/status or a status.d entry. The version is the
// full Debian version, as dpkg and scanners of Debian systems report it.
func Dpkg(data []byte, loc model.Location) ([]model.Component, []plugin.Requirement) {
	var out []model.Component
	var reqs []plugin.Requirement
	for _, s := range stanzas(data) {
		name, ver := s["Package"], s["Version"]
		if name == "" || ver == "" || !installed(s["Status"]) {
			continue
		}
		q := map[string]string{"arch": s["Architecture"]}
		if e, _, ok := strings.Cut(ver, ":"); ok {
			q["epoch"] = e
		}
		if src := s["Source"]; src != "" {
			q["upstream"] = strings.ReplaceAll(src, " ", "")
		}
		c := model.Component{
			Name:      name,
			Version:   ver,
			Type:      "application",
			PURL:      purl("deb", "debian", name, ver, q),
			Locations: []model.Location{loc},
			Evidence:  []model.Evidence{{Kind: KindPackageDB, Path: loc.Path, Match: "Package: " + name + " Version: " + ver}},
			// The dpkg database has no licence field: the licence is read
			// from the package's copyright file when the image has it.
			License:  license.Unknown("the dpkg database has no licence field and /usr/share/doc/" + name + "/copyright was not read"),
			Supplier: s["Maintainer"],
		}
		deps := depNames(s["Depends"])
		deps = append(deps, depNames(s["Pre-Depends"])...)
		reqs = requires(reqs, &c, "deb", deps)
		out = append(out, c)
	}
	return out, reqs
}

// Apk parses Alpine's lib/apk/db/installed ("P:name", "V:version" lines).
func Apk(data []byte, loc model.Location) ([]model.Component, []plugin.Requirement) {
	var out []model.Component
	var reqs []plugin.Requirement
	var name, ver, arch, deps, lic, maint string
	flush := func() {
		if name != "" && ver != "" {
			c := model.Component{
				Name: name, Version: ver, Type: "application",
				PURL:      purl("apk", "alpine", name, ver, map[string]string{"arch": arch}),
				Locations: []model.Location{loc},
				Evidence:  []model.Evidence{{Kind: KindPackageDB, Path: loc.Path, Match: "P:" + name + " V:" + ver}},
				License:   license.Declared(lic, loc.Path),
				Supplier:  maint,
			}
			var names []string
			for _, d := range strings.Fields(deps) {
				if strings.ContainsAny(d[:1], "/!") || strings.Contains(d, ":") {
					continue // so:, cmd:, pc: and negated entries are not packages
				}
				d, _, _ = strings.Cut(d, "=")
				d, _, _ = strings.Cut(d, ">")
				d, _, _ = strings.Cut(d, "<")
				names = append(names, d)
			}
			reqs = requires(reqs, &c, "apk", names)
			out = append(out, c)
		}
		name, ver, arch, deps, lic, maint = "", "", "", "", "", ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			flush()
			continue
		}
		if len(line) < 2 || line[1] != ':' {
			continue
		}
		v := line[2:]
		switch line[0] {
		case 'P':
			name = v
		case 'V':
			ver = v
		case 'A':
			arch = v
		case 'D':
			deps = v
		case 'L':
			lic = v
		case 'm':
			maint = v
		}
	}
	flush()
	return out, reqs
}

// keyValues parses shell-style KEY=value lines with optional quotes.
func keyValues(data []byte) map[string]string {
	kv := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.ContainsAny(k, " \t") {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		kv[k] = v
	}
	return kv
}

// OSRelease reads os-release, openwrt_release, lsb-release and vendor
// *_release files into an operating-system component.
func OSRelease(data []byte, loc model.Location) (model.Component, bool) {
	kv := keyValues(data)
	name := first(kv, "NAME", "DISTRIB_ID", "ID")
	id := strings.ToLower(first(kv, "ID", "DISTRIB_ID", "NAME"))
	ver := first(kv, "VERSION_ID", "DISTRIB_RELEASE", "VERSION")
	if name == "" || ver == "" {
		return model.Component{}, false
	}
	match := "NAME=" + name + " VERSION_ID=" + ver
	if _, ok := kv["VERSION_ID"]; !ok {
		match = "DISTRIB_ID=" + name + " DISTRIB_RELEASE=" + ver
	}
	c := model.Component{
		Name: name, Version: ver, Type: "operating-system",
		PURL:      purl("generic", "", url.PathEscape(strings.ToLower(strings.ReplaceAll(id, " ", "-"))), ver, nil),
		Locations: []model.Location{loc},
		Evidence:  []model.Evidence{{Kind: KindOSRelease, Path: loc.Path, Match: match}},
		License:   license.Unknown("an OS release file (" + loc.Path + ") names no licence"),
		// systemd's VENDOR_NAME, OpenWrt's device manufacturer
		Supplier: first(kv, "VENDOR_NAME", "OPENWRT_DEVICE_MANUFACTURER", "DISTRIB_VENDOR"),
	}
	return c, true
}

// versionMarker reads single-line version files: Buildroot's
// /etc/buildroot_version ("2023.02.1"), Yocto's /etc/version (a build
// timestamp, not a version: only reported when it looks like one) and
// vendor /etc/version files.
func versionMarker(p string, data []byte, loc model.Location) (model.Component, bool) {
	line, _, _ := strings.Cut(strings.TrimSpace(string(data)), "\n")
	line = strings.TrimSpace(line)
	if line == "" || len(line) > 64 || !strings.ContainsAny(line[:1], "0123456789vV") || !strings.Contains(line, ".") {
		return model.Component{}, false
	}
	name := "firmware"
	if strings.Contains(p, "buildroot") {
		name = "buildroot"
	}
	ver := strings.TrimPrefix(strings.TrimPrefix(line, "v"), "V")
	return model.Component{
		Name: name, Version: ver, Type: "operating-system",
		PURL:      purl("generic", "", name, ver, nil),
		Locations: []model.Location{loc},
		Evidence:  []model.Evidence{{Kind: KindOSRelease, Path: loc.Path, Match: line}},
		License:   license.Unknown("a version file (" + loc.Path + ") names no licence"),
	}, true
}

func first(kv map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := kv[k]; v != "" {
			return v
		}
	}
	return ""
}
