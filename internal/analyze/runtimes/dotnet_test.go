package runtimes

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
)

// TestDotnetDeps: the real deps.json of a .NET Core 2.1 application (see
// testdata/README.md) lists its five NuGet packages; its own project,
// the other project it builds and the framework reference are not
// packages.
func TestDotnetDeps(t *testing.T) {
	p := "/usr/lib/node_modules/fable-compiler/bin/fable-cli/Fable.Cli.deps.json"
	got := run(t, p, read(t, "fable-cli-2.13.0.deps.json"))
	want := []string{
		"pkg:nuget/Dotnet.ProjInfo@0.39.1",
		"pkg:nuget/FSharp.Core@4.7.2",
		"pkg:nuget/Microsoft.NETFramework.ReferenceAssemblies@1.0.0",
		"pkg:nuget/Newtonsoft.Json@12.0.3",
		"pkg:nuget/System.ValueTuple@4.4.0",
	}
	var purls []string
	for _, c := range got {
		purls = append(purls, c.PURL)
		if c.Type != "library" || c.Version == "" || len(c.Evidence) != 1 || c.Evidence[0].Kind != KindManifest ||
			!strings.HasSuffix(c.Evidence[0].Match, " for .NETCoreApp,Version=v2.1") || c.Locations[0].Path != p {
			t.Errorf("%+v", c)
		}
		if c.License == nil || c.License.Expression != model.NoAssertion {
			t.Errorf("licence %+v", c.License)
		}
	}
	if strings.Join(purls, " ") != strings.Join(want, " ") {
		t.Errorf("got %v\nwant %v", purls, want)
	}
}

// TestDotnetFrameworks: the shared runtime's directory, confirmed by the
// files in it, and the frameworks applications ask for.
func TestDotnetFrameworks(t *testing.T) {
	deps := read(t, "netcoreapp-8.0.0.deps.json")
	version := read(t, "netcoreapp-8.0.0.version")
	type want struct {
		name, ver, purl, cpe string
		conf                 float64
		match                string
	}
	runtime800 := want{".NET runtime", "8.0.0", "pkg:generic/dotnet-runtime@8.0.0", "cpe:2.3:a:microsoft:.net:8.0.0:*:*:*:*:*:*:*", 0, ""}
	for _, tc := range []struct {
		path string
		data []byte
		want []want
	}{
		{"/usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.0/Microsoft.NETCore.App.deps.json", deps,
			[]want{{runtime800.name, runtime800.ver, runtime800.purl, runtime800.cpe, 0, "runtime pack Microsoft.NETCore.App.Runtime.linux-arm64/8.0.0"}}},
		{"/opt/dotnet/shared/Microsoft.NETCore.App/8.0.0/.version", version,
			[]want{{runtime800.name, runtime800.ver, runtime800.purl, runtime800.cpe, 0, ".version: 8.0.0"}}},
		// the same series, another patch: only the directory names the release
		{"/usr/lib/dotnet/shared/Microsoft.NETCore.App/8.0.11/Microsoft.NETCore.App.deps.json", deps,
			[]want{{".NET runtime", "8.0.11", "pkg:generic/dotnet-runtime@8.0.11", "cpe:2.3:a:microsoft:.net:8.0.11:*:*:*:*:*:*:*", confDotnetDir, "targets .NETCoreApp,Version=v8.0/linux-arm64"}}},
		// the directory and the file disagree
		{"/usr/lib/dotnet/shared/Microsoft.NETCore.App/6.0.36/Microsoft.NETCore.App.deps.json", deps, nil},
		{"/usr/lib/dotnet/shared/Microsoft.NETCore.App/8.0.1/.version", version, nil},
		// ASP.NET Core's version file; .NET Core 3.1 is filed as .net_core
		{"/usr/share/dotnet/shared/Microsoft.AspNetCore.App/8.0.0/.version", version,
			[]want{{"ASP.NET Core runtime", "8.0.0", "pkg:generic/dotnet-aspnetcore@8.0.0", "cpe:2.3:a:microsoft:asp.net_core:8.0.0:*:*:*:*:*:*:*", 0, ""}}},
		{"/usr/share/dotnet/shared/Microsoft.NETCore.App/3.1.32/.version", []byte("abc\n3.1.32\n"),
			[]want{{".NET runtime", "3.1.32", "pkg:generic/dotnet-runtime@3.1.32", "cpe:2.3:a:microsoft:.net_core:3.1.32:*:*:*:*:*:*:*", 0, ""}}},
		// an application's runtimeconfig.json: a requirement, no version
		{"/app/Fable.Cli.runtimeconfig.json", read(t, "fable-cli-2.13.0.runtimeconfig.json"),
			[]want{{".NET runtime", "", "pkg:generic/dotnet-runtime", "", confDotnetRequires, "requires Microsoft.NETCore.App 2.1.0"}}},
		{"/app/Microsoft.JavaScript.NodeApi.runtimeconfig.json", read(t, "nodeapi-0.9.27-net8.0.runtimeconfig.json"),
			[]want{{".NET runtime", "", "pkg:generic/dotnet-runtime", "", confDotnetRequires, "requires Microsoft.NETCore.App 8.0.0"}}},
		// .NET Framework: no shared framework named
		{"/app/Microsoft.JavaScript.NodeApi.runtimeconfig.json", read(t, "nodeapi-0.9.27-net472.runtimeconfig.json"), nil},
		// .NET 6 and later: an application on ASP.NET Core asks for two frameworks
		{"/app/Fable.Cli.runtimeconfig.json", []byte(`{"runtimeOptions":{"tfm":"net8.0","frameworks":[{"name":"Microsoft.NETCore.App","version":"8.0.0"},{"name":"Microsoft.AspNetCore.App","version":"8.0.0"}]}}`),
			[]want{{".NET runtime", "", "pkg:generic/dotnet-runtime", "", confDotnetRequires, "requires Microsoft.NETCore.App 8.0.0"},
				{"ASP.NET Core runtime", "", "pkg:generic/dotnet-aspnetcore", "", confDotnetRequires, "requires Microsoft.AspNetCore.App 8.0.0"}}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			got := run(t, tc.path, tc.data)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d components, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, w := range tc.want {
				c := got[i]
				if c.Name != w.name || c.Version != w.ver || c.PURL != w.purl || len(c.Evidence) != 1 || c.Evidence[0].Confidence != w.conf ||
					!strings.Contains(c.Evidence[0].Match, w.match) {
					t.Errorf("got %+v\nwant %+v", c, w)
				}
				if w.cpe != "" && (len(c.CPEs) != 1 || c.CPEs[0] != w.cpe) || w.cpe == "" && len(c.CPEs) != 0 {
					t.Errorf("CPEs %v, want %q", c.CPEs, w.cpe)
				}
			}
		})
	}
}

// TestDotnetLookalikes: JSON that is not what the tooling writes names
// nothing, and a framework's deps.json is not read as an application's.
func TestDotnetLookalikes(t *testing.T) {
	for p, text := range map[string]string{
		"/www/app.deps.json":            `{"name":"app","version":"1.0.0","dependencies":{"left-pad":"1.3.0"}}`,
		"/www/libs.deps.json":           `{"libraries":{"Newtonsoft.Json/12.0.3":{"type":"package"}}}`,
		"/www/target.deps.json":         `{"runtimeTarget":{"name":"web"},"libraries":{"Newtonsoft.Json/12.0.3":{"type":"package"}}}`,
		"/www/odd.deps.json":            `{"runtimeTarget":{"name":".NETCoreApp,Version=v8.0"},"libraries":{"../etc/passwd":{"type":"package"},"Name/latest":{"type":"package"},"NoVersion":{"type":"package"}}}`,
		"/www/array.deps.json":          `[1,2,3]`,
		"/www/typed.deps.json":          `{"runtimeTarget":{"name":7},"libraries":{}}`,
		"/www/cfg.runtimeconfig.json":   `{"runtimeOptions":{"framework":{"name":"Microsoft.NETCore.App","version":"latest"}}}`,
		"/www/other.runtimeconfig.json": `{"runtimeOptions":{"framework":{"name":"Microsoft.WindowsDesktop.App","version":"8.0.0"}}}`,
		"/www/x.runtimeconfig.json":     `{"framework":{"name":"Microsoft.NETCore.App","version":"8.0.0"}}`,
		"/docs/.deps.json":              `{"runtimeTarget":{"name":".NETCoreApp,Version=v8.0"},"libraries":{"A/1.0.0":{"type":"package"}}}`,
		"/usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.0/.version":                        "8.0.0\n",
		"/usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.0/Microsoft.NETCore.App.deps.json": `{"oops"`,
		"/usr/share/doc/dotnet/README.version":                                                 "8.0.0\n",
	} {
		if got := run(t, p, []byte(text)); len(got) != 0 {
			t.Errorf("%s: found %+v", p, got)
		}
	}
	// the runtime's own deps.json names the runtime, not a NuGet package
	got := run(t, "/usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.0/Microsoft.NETCore.App.deps.json", read(t, "netcoreapp-8.0.0.deps.json"))
	if len(got) != 1 || got[0].Name != ".NET runtime" {
		t.Errorf("got %+v", got)
	}
}

// TestDotnetSelfContained: a self-contained application names the
// runtime it carries, with its release, besides its packages.
func TestDotnetSelfContained(t *testing.T) {
	got := run(t, "/opt/gateway/Gateway.deps.json", read(t, "selfcontained-8.0.11.deps.json"))
	want := []string{
		"MQTTnet 4.3.7.1207 pkg:nuget/MQTTnet@4.3.7.1207 ",
		"ASP.NET Core runtime 8.0.11 pkg:generic/dotnet-aspnetcore@8.0.11 cpe:2.3:a:microsoft:asp.net_core:8.0.11:*:*:*:*:*:*:*",
		".NET runtime 8.0.11 pkg:generic/dotnet-runtime@8.0.11 cpe:2.3:a:microsoft:.net:8.0.11:*:*:*:*:*:*:*",
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i, c := range got {
		if s := c.Name + " " + c.Version + " " + c.PURL + " " + strings.Join(c.CPEs, ","); s != want[i] {
			t.Errorf("got  %s\nwant %s", s, want[i])
		}
		if len(c.Evidence) != 1 || c.Evidence[0].Confidence != 0 || c.Evidence[0].Kind != KindManifest {
			t.Errorf("evidence %+v", c.Evidence)
		}
	}
	// a runtime pack of a framework not known, or not named as one
	for _, lib := range []string{"runtimepack.Microsoft.WindowsDesktop.App.Runtime.win-x64/8.0.11", "Microsoft.NETCore.App.Runtime.linux-x64/8.0.11", "runtimepack.Microsoft.NETCore.App/8.0.11"} {
		doc := `{"runtimeTarget":{"name":".NETCoreApp,Version=v8.0/linux-x64"},"libraries":{"` + lib + `":{"type":"runtimepack"}}}`
		if got := run(t, "/opt/app/App.deps.json", []byte(doc)); len(got) != 0 {
			t.Errorf("%s: got %+v", lib, got)
		}
	}
}

func FuzzDotnet(f *testing.F) {
	for _, n := range []string{"fable-cli-2.13.0.deps.json", "fable-cli-2.13.0.runtimeconfig.json", "netcoreapp-8.0.0.deps.json", "netcoreapp-8.0.0.version", "selfcontained-8.0.11.deps.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	paths := []string{
		"/usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.0/Microsoft.NETCore.App.deps.json",
		"/usr/share/dotnet/shared/Microsoft.AspNetCore.App/8.0.0-rc.1/.version",
		"/app/App.deps.json", "/app/App.runtimeconfig.json",
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range paths {
			for _, c := range Parse(p, data, model.Location{Path: p}) {
				if c.Name == "" || c.PURL == "" || len(c.Evidence) != 1 {
					t.Fatalf("%s: %+v", p, c)
				}
			}
		}
	})
}
