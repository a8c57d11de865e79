// Package runtimes names language runtimes and Java libraries from the
// files they install rather than from version strings in a binary: a
// JDK's release file, the Maven coordinates and manifests inside jars
// (the unpacker opens jars, so their members arrive as files), a
// Python standard library directory, and .NET's shared frameworks,
// deps.json and runtimeconfig.json. Interpreter binaries themselves are
// fingerprinted by binver.
package runtimes

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"path"
	"strconv"
	"strings"

	"github.com/package-url/packageurl-go"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/lazyre"
	"github.com/thingsec/thingsec/internal/license"
	"github.com/thingsec/thingsec/internal/model"
)

// Evidence kinds.
const (
	// KindRelease is a runtime's release file (a JDK's "release").
	KindRelease = "runtime-release"
	// KindManifest is a package manifest (pom.properties, MANIFEST.MF).
	KindManifest = "manifest"
	// KindFileName is a file's name and place alone: the weakest hint.
	KindFileName = "file-name"
)

// Confidences where they are weaker than the kind's usual.
const (
	confJarManifest = 0.6 // a jar manifest's title is free text, not coordinates
	confPythonDir   = 0.3 // a directory name: the series, not the release
	confPythonPyc   = 0.4 // the directory name agrees with a compiled module's magic number
)

// maxSize bounds the files read: all of them are small text or bytecode.
const maxSize = 1 << 20

// Analyzer is the runtime-layout FileAnalyzer.
type Analyzer struct{}

// New returns the analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements plugin.FileAnalyzer.
func (*Analyzer) Name() string { return "runtimes" }

type kind int

const (
	none kind = iota
	javaRelease
	pomProperties
	jarManifest
	pythonStdlib
	dotnetShared
	dotnetDeps
	dotnetRuntimeConfig
)

var (
	pomPath    = lazyre.New(`(?:^|/)META-INF/maven/[^/]+/[^/]+/pom\.properties$`)
	pythonPath = lazyre.New(`/lib/python(\d+\.\d+)/(?:os\.pyc?|__pycache__/os\.cpython-(\d+)\.pyc)$`)
)

func classify(p string) kind {
	switch base := path.Base(p); {
	case base == "release":
		return javaRelease
	case base == "pom.properties" && pomPath.MatchString(p):
		return pomProperties
	case base == "MANIFEST.MF" && strings.HasSuffix(p, "META-INF/MANIFEST.MF"):
		return jarManifest
	case strings.HasPrefix(base, "os.") && pythonPath.MatchString(p):
		return pythonStdlib
	}
	return classifyDotnet(p, path.Base(p))
}

// FileRequired implements plugin.FileAnalyzer.
func (*Analyzer) FileRequired(fi *plugin.FileInfo) bool {
	return fi.Size > 0 && fi.Size <= maxSize && classify(fi.Path) != none
}

// Analyze implements plugin.FileAnalyzer.
func (*Analyzer) Analyze(_ context.Context, in *plugin.Input, out *plugin.Results) error {
	if in.Data == nil {
		return nil
	}
	out.Components = append(out.Components, Parse(in.Path, in.Data, in.Loc)...)
	return nil
}

// Parse reads one file into the components it shows.
func Parse(p string, data []byte, loc model.Location) []model.Component {
	var c *model.Component
	switch classify(p) {
	case dotnetShared:
		return parseDotnetShared(p, data, loc)
	case dotnetDeps:
		return parseDotnetDeps(data, loc)
	case dotnetRuntimeConfig:
		return parseDotnetRuntimeConfig(data, loc)
	case javaRelease:
		c = parseJavaRelease(data, loc)
	case pomProperties:
		c = parsePom(data, loc)
	case jarManifest:
		c = parseJarManifest(data, loc)
	case pythonStdlib:
		c = parsePython(p, data, loc)
	}
	if c == nil {
		return nil
	}
	return []model.Component{*c}
}

// keyValues reads KEY=VALUE lines (quotes removed), as in a JDK release
// file and a Java properties file.
func keyValues(data []byte) map[string]string {
	kv := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), maxSize)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || l[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		kv[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"`)
	}
	return kv
}

var javaVersion = lazyre.New(`^\d+(?:\.\d+)*(?:_\d+)?$`)

// parseJavaRelease reads a JDK/JRE release file: JAVA_VERSION names the
// release (OpenJDK is what NVD files Java SE flaws under, as
// oracle:openjdk, besides Oracle's own jdk/jre).
func parseJavaRelease(data []byte, loc model.Location) *model.Component {
	kv := keyValues(data)
	v := kv["JAVA_VERSION"]
	if !javaVersion.MatchString(v) {
		return nil
	}
	match := `JAVA_VERSION="` + v + `"`
	if impl := kv["IMPLEMENTOR"]; impl != "" {
		match = `IMPLEMENTOR="` + impl + `" ` + match
	}
	return &model.Component{
		Name: "openjdk", Version: v, Type: "application",
		PURL:      packageurl.NewPackageURL("generic", "", "openjdk", v, nil, "").ToString(),
		CPEs:      []string{"cpe:2.3:a:oracle:openjdk:" + v + ":*:*:*:*:*:*:*"},
		Supplier:  kv["IMPLEMENTOR"],
		Locations: []model.Location{loc},
		Evidence:  []model.Evidence{{Kind: KindRelease, Path: loc.Path, Match: match}},
		License:   license.Unknown("a JDK release file names no licence"),
	}
}

// parsePom reads the Maven coordinates a jar carries.
func parsePom(data []byte, loc model.Location) *model.Component {
	kv := keyValues(data)
	g, a, v := kv["groupId"], kv["artifactId"], kv["version"]
	if g == "" || a == "" || v == "" {
		return nil
	}
	return &model.Component{
		Name: g + ":" + a, Version: v, Type: "library",
		PURL:      packageurl.NewPackageURL("maven", g, a, v, nil, "").ToString(),
		Locations: []model.Location{loc},
		Evidence:  []model.Evidence{{Kind: KindManifest, Path: loc.Path, Match: "groupId=" + g + " artifactId=" + a + " version=" + v}},
		License:   license.Unknown("pom.properties records no licence"),
	}
}

// manifestAttrs reads a jar manifest's main section; continuation lines
// start with one space.
func manifestAttrs(data []byte) map[string]string {
	kv := map[string]string{}
	var last string
	for _, l := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		if l == "" {
			break // end of the main section
		}
		if l[0] == ' ' && last != "" {
			kv[last] += l[1:]
			continue
		}
		k, v, ok := strings.Cut(l, ": ")
		if !ok {
			continue
		}
		last = k
		kv[k] = v
	}
	return kv
}

// parseJarManifest names a jar from its manifest when Maven did not build
// it (a Maven jar carries pom.properties, whose coordinates are better):
// the OSGi symbolic name and version, else the implementation title and
// version. The title is free text, hence the lower confidence.
func parseJarManifest(data []byte, loc model.Location) *model.Component {
	kv := manifestAttrs(data)
	if strings.Contains(kv["Created-By"], "Maven") || strings.Contains(kv["Built-By"], "Maven") {
		return nil
	}
	name, ver := kv["Bundle-SymbolicName"], kv["Bundle-Version"]
	name, _, _ = strings.Cut(name, ";") // "org.x.y;singleton:=true"
	if name == "" || ver == "" {
		name, ver = kv["Implementation-Title"], kv["Implementation-Version"]
	}
	name, ver = strings.TrimSpace(name), strings.TrimSpace(ver)
	// The JDK's own jars (jrt-fs.jar) name the runtime, which its release
	// file names better.
	if name == "" || ver == "" || name == "Java Runtime Environment" || !startsWithDigit(ver) {
		return nil
	}
	return &model.Component{
		Name: name, Version: ver, Type: "library",
		PURL:      packageurl.NewPackageURL("generic", "", name, ver, nil, "").ToString(),
		Locations: []model.Location{loc},
		Evidence:  []model.Evidence{{Kind: KindManifest, Path: loc.Path, Match: "jar manifest " + name + " " + ver, Confidence: confJarManifest}},
		License:   license.Unknown("a jar manifest records no licence"),
	}
}

func startsWithDigit(s string) bool { return s != "" && s[0] >= '0' && s[0] <= '9' }

// pycMagic is the bytecode magic number of each CPython release series
// (the first two bytes of a .pyc, little endian, then "\r\n").
var pycMagic = map[uint16]string{
	3379: "3.6", 3394: "3.7", 3413: "3.8", 3425: "3.9", 3439: "3.10", 3495: "3.11", 3531: "3.12", 3571: "3.13",
}

var pyDocstring = []byte(`OS routines for`)

// parsePython names the Python series from its standard library
// directory (lib/python3.11/os.py). No release is known, so there is no
// version: a series would match every CVE of the series.
func parsePython(p string, data []byte, loc model.Location) *model.Component {
	m := pythonPath.FindStringSubmatch(p)
	series := m[1]
	conf := confPythonDir
	match := "lib/python" + series + "/" + path.Base(p) + ": the Python " + series + " standard library (series only)"
	if strings.HasSuffix(p, ".pyc") {
		if len(data) < 4 || data[2] != '\r' || data[3] != '\n' {
			return nil
		}
		got, ok := pycMagic[binary.LittleEndian.Uint16(data)]
		if m[2] != "" && strings.ReplaceAll(series, ".", "") != m[2] || ok && got != series {
			return nil // the directory and the bytecode disagree
		}
		if ok {
			conf = confPythonPyc
			match += ", bytecode magic " + strconv.Itoa(int(binary.LittleEndian.Uint16(data)))
		}
	} else if !bytes.Contains(data[:min(len(data), 512)], pyDocstring) {
		return nil
	}
	return &model.Component{
		Name: "python", Type: "application",
		PURL:      "pkg:generic/python",
		Locations: []model.Location{loc},
		Evidence:  []model.Evidence{{Kind: KindFileName, Path: loc.Path, Match: match, Confidence: conf}},
		License:   license.Unknown("a standard library directory names no licence"),
	}
}
