package runtimes

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/binver"
	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/model"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// run offers one file to the analyzer the way the engine does.
func run(t *testing.T, p string, data []byte) []model.Component {
	t.Helper()
	a := New()
	fi := plugin.FileInfo{Path: p, Size: int64(len(data)), Type: filetype.Detect(p, data[:min(len(data), filetype.HeadSize)], int64(len(data)))}
	if !a.FileRequired(&fi) {
		return nil
	}
	var out plugin.Results
	if err := a.Analyze(context.Background(), &plugin.Input{FileInfo: fi, Data: data, R: bytes.NewReader(data), Loc: model.Location{Path: p}}, &out); err != nil {
		t.Fatal(err)
	}
	return out.Components
}

// jarMember reads one member of a real jar, as the unpacker hands it over.
func jarMember(t *testing.T, jar, member string) []byte {
	t.Helper()
	b := read(t, jar)
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	f, err := zr.Open(member)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestRealFiles runs the analyzer on files from Debian packages (see
// testdata/README.md) at the paths they are installed at.
func TestRealFiles(t *testing.T) {
	for _, tc := range []struct {
		path       string
		data       []byte
		name, ver  string
		purl, cpe  string
		kind       string
		confidence float64 // the evidence's own; 0: its kind's
	}{
		{"/usr/lib/jvm/java-17-openjdk-amd64/release", read(t, "openjdk-17-amd64.release"),
			"openjdk", "17.0.21.1", "pkg:generic/openjdk@17.0.21.1", "cpe:2.3:a:oracle:openjdk:17.0.21.1:*:*:*:*:*:*:*", KindRelease, 0},
		{"/META-INF/maven/org.slf4j/jul-to-slf4j/pom.properties", jarMember(t, "jul-to-slf4j.jar", "META-INF/maven/org.slf4j/jul-to-slf4j/pom.properties"),
			"org.slf4j:jul-to-slf4j", "1.7.32", "pkg:maven/org.slf4j/jul-to-slf4j@1.7.32", "", KindManifest, 0},
		// Maven built the jar: its pom.properties names it, the manifest does not
		{"/META-INF/MANIFEST.MF", jarMember(t, "jul-to-slf4j.jar", "META-INF/MANIFEST.MF"), "", "", "", "", "", 0},
		{"/META-INF/MANIFEST.MF", read(t, "hamcrest-2.2.MANIFEST.MF"), "org.hamcrest", "2.2", "pkg:generic/org.hamcrest@2.2", "", KindManifest, confJarManifest},
		{"/META-INF/MANIFEST.MF", read(t, "jzlib-1.1.3.MANIFEST.MF"), "com.jcraft.jzlib", "1.1.3", "pkg:generic/com.jcraft.jzlib@1.1.3", "", KindManifest, confJarManifest},
		// the JDK's own jar: its release file names the runtime
		{"/META-INF/MANIFEST.MF", read(t, "jrt-fs.MANIFEST.MF"), "", "", "", "", "", 0},
		{"/usr/lib/python3.11/os.py", read(t, "python3.11-os.py.head"), "python", "", "pkg:generic/python", "", KindFileName, confPythonDir},
		{"/usr/lib/python3.11/os.pyc", read(t, "python3.11-os.pyc.head"), "python", "", "pkg:generic/python", "", KindFileName, confPythonPyc},
		{"/usr/lib/python3.11/__pycache__/os.cpython-311.pyc", read(t, "python3.11-os.pyc.head"), "python", "", "pkg:generic/python", "", KindFileName, confPythonPyc},
		// bytecode of another series in a 3.12 directory: not believed
		{"/usr/lib/python3.12/os.pyc", read(t, "python3.11-os.pyc.head"), "", "", "", "", "", 0},
		// an os.py that is not the standard library's
		{"/usr/lib/python3.11/os.py", []byte("import sys\n"), "", "", "", "", "", 0},
	} {
		t.Run(tc.path, func(t *testing.T) {
			got := run(t, tc.path, tc.data)
			if tc.name == "" {
				if len(got) != 0 {
					t.Fatalf("got %+v, want nothing", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("got %d components: %+v", len(got), got)
			}
			c := got[0]
			if c.Name != tc.name || c.Version != tc.ver || c.PURL != tc.purl || len(c.Evidence) != 1 || c.Evidence[0].Kind != tc.kind || c.Evidence[0].Confidence != tc.confidence {
				t.Errorf("got %+v", c)
			}
			if tc.cpe != "" && (len(c.CPEs) != 1 || c.CPEs[0] != tc.cpe) {
				t.Errorf("CPEs %v, want %s", c.CPEs, tc.cpe)
			}
			if c.License == nil || c.License.Expression != model.NoAssertion || c.License.Reason == "" {
				t.Errorf("licence %+v", c.License)
			}
		})
	}
}

// TestMentionsAreNotComponents: scripts, documents and configuration that
// mention a runtime and its version name no component, neither here nor
// in the binary fingerprints.
func TestMentionsAreNotComponents(t *testing.T) {
	bv, err := binver.New()
	if err != nil {
		t.Fatal(err)
	}
	for p, text := range map[string]string{
		"/usr/bin/tool.py":                       "#!/usr/bin/python3\n# needs Python 3.11.2 or later\nimport os\nprint('Python 3.11.2')\n",
		"/usr/share/doc/python3.11/README":       "This is Python version 3.11.2\n===========================\nOS routines for NT or Posix\n",
		"/etc/release":                           "NAME=acme\nVERSION=1.2\n",
		"/opt/app/release":                       "# JAVA_VERSION=\"17.0.9\" is what we test with\nJAVA_HOME=/opt/jdk\n",
		"/usr/share/doc/ruby/README":             "ruby 3.1.2p20 (2022-04-12 revision 4491bb740a) by Yukihiro Matsumoto\n",
		"/www/lib/python3.11/os.txt":             "OS routines for NT or Posix",
		"/srv/META-INF/maven/g/a/pom.properties": "#Created by Apache Maven\nartifactId=a\n",
	} {
		data := []byte(text)
		if got := run(t, p, data); len(got) != 0 {
			t.Errorf("%s: runtimes found %+v", p, got)
		}
		fi := plugin.FileInfo{Path: p, Size: int64(len(data)), Type: filetype.Detect(p, data, int64(len(data)))}
		if bv.FileRequired(&fi) {
			var out plugin.Results
			if err := bv.Analyze(context.Background(), &plugin.Input{FileInfo: fi, Data: data, R: bytes.NewReader(data), Loc: model.Location{Path: p}}, &out); err != nil {
				t.Fatal(err)
			}
			if len(out.Components) != 0 {
				t.Errorf("%s: binver found %+v", p, out.Components)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, n := range []string{"openjdk-17-amd64.release", "hamcrest-2.2.MANIFEST.MF", "python3.11-os.pyc.head"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	paths := []string{"/usr/lib/jvm/x/release", "/META-INF/maven/g/a/pom.properties", "/META-INF/MANIFEST.MF", "/usr/lib/python3.11/os.pyc", "/usr/lib/python3.11/os.py"}
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
