package runtimes

import (
	"encoding/json"
	"path"
	"sort"
	"strings"

	"github.com/package-url/packageurl-go"
	"github.com/thingsec/thingsec/internal/lazyre"
	"github.com/thingsec/thingsec/internal/license"
	"github.com/thingsec/thingsec/internal/model"
)

// .NET leaves three kinds of files behind: a shared framework's
// directory (dotnet/shared/<framework>/<version>/) with its own deps.json
// and .version file, an application's <app>.deps.json listing the NuGet
// packages it was built with, and an application's runtimeconfig.json
// naming the framework it asks for.

// Confidences of the .NET evidence where weaker than the kind's usual.
const (
	confDotnetDir      = 0.6 // the directory name, and a deps.json of the right series
	confDotnetRequires = 0.3 // what an application asks for, not what is installed
)

// dotnetFramework describes a shared framework: the component it is and
// the NVD names its flaws are filed under.
type dotnetFramework struct {
	name, purlName string
	cpe            func(major int) string // vendor:product for a major version
}

var dotnetFrameworks = map[string]dotnetFramework{
	"Microsoft.NETCore.App": {".NET runtime", "dotnet-runtime", func(major int) string {
		if major >= 5 { // .NET 5 dropped "Core" from the name, and NVD followed
			return "microsoft:.net"
		}
		return "microsoft:.net_core"
	}},
	"Microsoft.AspNetCore.App": {"ASP.NET Core runtime", "dotnet-aspnetcore", func(int) string { return "microsoft:asp.net_core" }},
}

var (
	// dotnet/shared/Microsoft.NETCore.App/8.0.0/Microsoft.NETCore.App.deps.json, or .version
	dotnetSharedPath = lazyre.New(`(?:^|/)shared/(Microsoft\.NETCore\.App|Microsoft\.AspNetCore\.App)/((\d+)\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)/(\.version|Microsoft\.(?:NETCore|AspNetCore)\.App\.deps\.json)$`)
	nugetID          = lazyre.New(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
	nugetVersion     = lazyre.New(`^\d+(?:\.\d+){1,3}(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$`)
)

// classifyDotnet tells the .NET files apart by name and place.
func classifyDotnet(p string, base string) kind {
	switch {
	case (base == ".version" || strings.HasSuffix(base, ".deps.json")) && dotnetSharedPath.MatchString(p):
		if m := dotnetSharedPath.FindStringSubmatch(p); m[4] == ".version" || m[4] == m[1]+".deps.json" {
			return dotnetShared
		}
	case strings.HasSuffix(base, ".deps.json") && len(base) > len(".deps.json"):
		return dotnetDeps
	case strings.HasSuffix(base, ".runtimeconfig.json") && len(base) > len(".runtimeconfig.json"):
		return dotnetRuntimeConfig
	}
	return none
}

// depsJSON is the part of a deps.json read here.
type depsJSON struct {
	RuntimeTarget struct {
		Name string `json:"name"`
	} `json:"runtimeTarget"`
	Targets   map[string]map[string]json.RawMessage `json:"targets"`
	Libraries map[string]struct {
		Type string `json:"type"`
	} `json:"libraries"`
}

func parseDeps(data []byte) *depsJSON {
	var d depsJSON
	if json.Unmarshal(data, &d) != nil || !strings.HasPrefix(d.RuntimeTarget.Name, ".NET") || d.Libraries == nil {
		return nil
	}
	return &d
}

// splitLibrary splits a deps.json library key, "Name/Version".
func splitLibrary(key string) (name, ver string, ok bool) {
	name, ver, ok = strings.Cut(key, "/")
	return name, ver, ok && nugetID.MatchString(name) && nugetVersion.MatchString(ver)
}

// parseDotnetShared names a shared framework from its directory, when
// the file inside agrees: the .version file (commit, then version) must
// state the directory's version; the framework's deps.json must target
// the directory's series, and confirms the release when its runtime pack
// has the directory's version.
func parseDotnetShared(p string, data []byte, loc model.Location) []model.Component {
	m := dotnetSharedPath.FindStringSubmatch(p)
	fw, ver, file := dotnetFrameworks[m[1]], m[2], m[4]
	major := atoi(m[3])
	var match string
	conf := 0.0
	if file == ".version" {
		lines := strings.Fields(string(data))
		if len(lines) < 2 || lines[1] != ver {
			return nil
		}
		match = m[1] + "/" + ver + "/.version: " + ver
	} else {
		d := parseDeps(data)
		series := ver[:strings.LastIndexByte(strings.SplitN(ver, "-", 2)[0], '.')]
		if d == nil || !strings.HasPrefix(d.RuntimeTarget.Name, ".NETCoreApp,Version=v"+series) {
			return nil
		}
		match = m[1] + "/" + ver + " targets " + d.RuntimeTarget.Name
		conf = confDotnetDir
		for key := range d.Libraries {
			if n, v, ok := splitLibrary(key); ok && v == ver && strings.HasPrefix(n, m[1]+".Runtime.") {
				match += ", runtime pack " + key
				conf = 0
				break
			}
		}
	}
	return []model.Component{{
		Name: fw.name, Version: ver, Type: "application",
		PURL:      packageurl.NewPackageURL("generic", "", fw.purlName, ver, nil, "").ToString(),
		CPEs:      []string{"cpe:2.3:a:" + fw.cpe(major) + ":" + ver + ":*:*:*:*:*:*:*"},
		Supplier:  "Microsoft",
		Locations: []model.Location{loc},
		Evidence:  []model.Evidence{{Kind: KindRelease, Path: loc.Path, Match: match, Confidence: conf}},
		License:   license.Unknown("a .NET shared framework directory names no licence"),
	}}
}

// parseDotnetDeps lists the NuGet packages an application's deps.json
// says it was built with, and the runtime a self-contained one carries.
// Projects (the application itself) and references are not packages.
func parseDotnetDeps(data []byte, loc model.Location) []model.Component {
	d := parseDeps(data)
	if d == nil {
		return nil
	}
	keys := make([]string, 0, len(d.Libraries))
	for k, l := range d.Libraries {
		if l.Type == "package" || l.Type == "runtimepack" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []model.Component
	for _, k := range keys {
		name, ver, ok := splitLibrary(k)
		if !ok {
			continue
		}
		if d.Libraries[k].Type == "runtimepack" {
			if c := runtimePack(name, ver, k, d.RuntimeTarget.Name, loc); c != nil {
				out = append(out, *c)
			}
			continue
		}
		out = append(out, model.Component{
			Name: name, Version: ver, Type: "library",
			PURL:      packageurl.NewPackageURL("nuget", "", name, ver, nil, "").ToString(),
			Locations: []model.Location{loc},
			Evidence:  []model.Evidence{{Kind: KindManifest, Path: loc.Path, Match: "deps.json package " + k + " for " + d.RuntimeTarget.Name}},
			License:   license.Unknown("a deps.json records no licence"),
		})
	}
	return out
}

// runtimePack names the runtime a self-contained application carries in
// its own directory: its deps.json lists the framework's runtime pack,
// "runtimepack.Microsoft.NETCore.App.Runtime.linux-arm64/8.0.11", as a
// library of type runtimepack.
func runtimePack(name, ver, key, target string, loc model.Location) *model.Component {
	fwName, _, ok := strings.Cut(strings.TrimPrefix(name, "runtimepack."), ".Runtime.")
	fw, known := dotnetFrameworks[fwName]
	if !ok || !known || !strings.HasPrefix(name, "runtimepack.") {
		return nil
	}
	major, _, _ := strings.Cut(ver, ".")
	return &model.Component{
		Name: fw.name, Version: ver, Type: "application",
		PURL:      packageurl.NewPackageURL("generic", "", fw.purlName, ver, nil, "").ToString(),
		CPEs:      []string{"cpe:2.3:a:" + fw.cpe(atoi(major)) + ":" + ver + ":*:*:*:*:*:*:*"},
		Supplier:  "Microsoft",
		Locations: []model.Location{loc},
		Evidence:  []model.Evidence{{Kind: KindManifest, Path: loc.Path, Match: "deps.json runtime pack " + key + " for " + target + " (self-contained)"}},
		License:   license.Unknown("a deps.json records no licence"),
	}
}

type runtimeConfigFramework struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// parseDotnetRuntimeConfig names the frameworks an application asks for.
// The version there is the lowest it accepts (the host rolls forward to
// a newer patch, or further as rollForward allows), not the one installed, so the component carries no
// version and weak evidence.
func parseDotnetRuntimeConfig(data []byte, loc model.Location) []model.Component {
	var rc struct {
		RuntimeOptions struct {
			Framework  *runtimeConfigFramework  `json:"framework"`
			Frameworks []runtimeConfigFramework `json:"frameworks"`
		} `json:"runtimeOptions"`
	}
	if json.Unmarshal(data, &rc) != nil {
		return nil
	}
	fws := rc.RuntimeOptions.Frameworks
	if rc.RuntimeOptions.Framework != nil {
		fws = append([]runtimeConfigFramework{*rc.RuntimeOptions.Framework}, fws...)
	}
	var out []model.Component
	for _, f := range fws {
		fw, ok := dotnetFrameworks[f.Name]
		if !ok || !nugetVersion.MatchString(f.Version) {
			continue
		}
		out = append(out, model.Component{
			Name: fw.name, Type: "application",
			PURL:      "pkg:generic/" + fw.purlName,
			Supplier:  "Microsoft",
			Locations: []model.Location{loc},
			Evidence: []model.Evidence{{Kind: KindManifest, Path: loc.Path, Confidence: confDotnetRequires,
				Match: path.Base(loc.Path) + " requires " + f.Name + " " + f.Version + " or, as the host rolls forward, a later one (the installed release is not known)"}},
			License: license.Unknown("a runtimeconfig.json records no licence"),
		})
	}
	return out
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
		if n > 1<<20 {
			return n
		}
	}
	return n
}
