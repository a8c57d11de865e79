package gobin

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/model"
)

// The modules testdata/fwagent imports, as its go.mod pins them (the
// thingsec module depends on the same versions, so they are in the module
// cache wherever thingsec builds).
var fwagentDeps = map[string]string{
	"github.com/BurntSushi/toml": "v1.6.0",
	"github.com/anchore/go-lzo":  "v0.1.1",
	"github.com/ulikunitz/xz":    "v0.5.17",
}

// buildFwagent cross-compiles testdata/fwagent with the toolchain running
// the test: stripped (-s -w), no build ID, no cgo, offline.
func buildFwagent(t *testing.T, goarch string, extra ...string) []byte {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	src, err := filepath.Abs("testdata/fwagent")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, n := range []string{"main.go", "go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(src, n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod")
	if len(extra) > 0 && extra[0] == "vendor" {
		cmd := exec.Command(gobin, "mod", "vendor")
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go mod vendor: %v\n%s", err, out)
		}
		env = append(env, "GOFLAGS=-mod=vendor")
		extra = extra[1:]
	}
	exe := filepath.Join(dir, "fwagent")
	args := append([]string{"build", "-ldflags=-s -w -buildid=", "-o", exe}, extra...)
	cmd := exec.Command(gobin, append(args, ".")...)
	cmd.Dir, cmd.Env = dir, env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", goarch, err, out)
	}
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func analyzeBytes(t *testing.T, data []byte) plugin.Results {
	t.Helper()
	a := New()
	fi := plugin.FileInfo{Path: "/usr/bin/fwagent", Size: int64(len(data)), Type: filetype.Detect("fwagent", data[:filetype.HeadSize], int64(len(data)))}
	if !a.FileRequired(&fi) {
		t.Fatalf("not required: %+v", fi.Type)
	}
	var out plugin.Results
	in := &plugin.Input{FileInfo: fi, Data: data, R: bytes.NewReader(data), Loc: model.Location{Path: "/usr/bin/fwagent"}}
	if err := a.Analyze(context.Background(), in, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// zeroAll overwrites every occurrence of pat.
func zeroAll(b, pat []byte) int {
	n := 0
	for i := bytes.Index(b, pat); i >= 0; i = bytes.Index(b, pat) {
		copy(b[i:], make([]byte, len(pat)))
		n++
	}
	return n
}

// Damage levels: each removes more of what identifies the modules.
const (
	intact      = iota
	noBlob      // the "\xff Go buildinf:" header zeroed: debug/buildinfo fails
	noModInfo   // and every copy of the module list text
	noSections  // and the section headers (sstrip), so the pclntab is found by its magic
	damageCount //
)

func damage(t *testing.T, exe []byte, level int) []byte {
	b := append([]byte(nil), exe...)
	if level >= noBlob && zeroAll(b, []byte("\xff Go buildinf:")) == 0 {
		t.Fatal("no build info blob")
	}
	if level >= noModInfo && zeroAll(b, modinfoStart) == 0 {
		t.Fatal("no module list text")
	}
	if level >= noSections {
		f, err := elf.NewFile(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		// e_shoff, e_shnum, e_shstrndx zeroed
		if f.Class == elf.ELFCLASS64 {
			f.ByteOrder.PutUint64(b[0x28:], 0)
			f.ByteOrder.PutUint16(b[0x3c:], 0)
			f.ByteOrder.PutUint16(b[0x3e:], 0)
		} else {
			f.ByteOrder.PutUint32(b[0x20:], 0)
			f.ByteOrder.PutUint16(b[0x30:], 0)
			f.ByteOrder.PutUint16(b[0x32:], 0)
		}
	}
	return b
}

// goArches are the architectures TestRecoverStripped builds for: by
// default one 64-bit little-endian, one 32-bit little-endian and one
// big-endian target (each cold cross build compiles the runtime, about
// 25 s of CPU); THINGSEC_GOARCHES=all builds every Linux target firmware
// runs, or a comma-separated list those named.
func goArches() []string {
	switch v := os.Getenv("THINGSEC_GOARCHES"); v {
	case "":
		return []string{"amd64", "arm", "mips"}
	case "all":
		return []string{"amd64", "386", "arm", "arm64", "mips", "mipsle", "mips64", "mips64le", "riscv64", "ppc64le", "ppc64", "s390x", "loong64"}
	default:
		return strings.Split(v, ",")
	}
}

// TestRecoverStripped builds testdata/fwagent stripped for each
// architecture and damages its build info step by step: the modules and
// the Go version stay found, and the evidence says how it was found.
func TestRecoverStripped(t *testing.T) {
	arches := goArches()
	if testing.Short() {
		arches = []string{runtime.GOARCH}
	}
	wantKind := [damageCount]string{KindBuildInfo, KindModInfo, KindPclntab, KindPclntab}
	for _, arch := range arches {
		t.Run(arch, func(t *testing.T) {
			// -trimpath records module sources as module@version/file.go.
			exe := buildFwagent(t, arch, "-trimpath")
			for level := intact; level < damageCount; level++ {
				checkDamaged(t, analyzeBytes(t, damage(t, exe, level)), level, wantKind[level])
			}
		})
	}
}

func checkDamaged(t *testing.T, out plugin.Results, level int, wantKind string) {
	t.Helper()
	goVersion := "v" + strings.TrimPrefix(strings.Fields(runtime.Version())[0], "go")
	got := map[string]model.Component{}
	for _, c := range out.Components {
		got[c.Name] = c
	}
	for p, v := range fwagentDeps {
		c, ok := got[p]
		if !ok || c.Version != v || c.PURL != goPURL(p, v) {
			t.Errorf("damage %d: %s = %+v, want %s", level, p, c, v)
			continue
		}
		if c.Evidence[0].Kind != wantKind {
			t.Errorf("damage %d: %s evidence %+v, want kind %s", level, p, c.Evidence, wantKind)
		}
		if level == intact && c.Evidence[0].Confidence != 0 || level > intact && (c.Evidence[0].Confidence <= 0 || c.Evidence[0].Confidence >= 1) {
			t.Errorf("damage %d: %s confidence %v", level, p, c.Evidence[0].Confidence)
		}
	}
	if std := got["stdlib"]; std.Version != goVersion || len(std.CPEs) != 1 {
		t.Errorf("damage %d: stdlib %+v, want %s", level, std, goVersion)
	}
	if level <= noBlob && got["example.com/fwagent"].Type != "application" {
		t.Errorf("damage %d: no main module in %+v", level, out.Components)
	}
	for _, c := range out.Components {
		if c.Version == "" && c.Name != "example.com/fwagent" {
			t.Errorf("damage %d: unversioned %s although the file table names every module's version", level, c.Name)
		}
	}
	if len(got) != len(fwagentDeps)+2 && level <= noBlob || len(got) != len(fwagentDeps)+1 && level > noBlob {
		t.Errorf("damage %d: %d components: %+v", level, len(got), out.Components)
	}
}

// TestRecoverModulePaths: absolute module-cache source paths (a build
// without -trimpath) give the same versions.
func TestRecoverModulePaths(t *testing.T) {
	out := analyzeBytes(t, damage(t, buildFwagent(t, runtime.GOARCH), noModInfo))
	n := 0
	for _, c := range out.Components {
		if want, ok := fwagentDeps[c.Name]; ok && c.Version == want && c.Evidence[0].Kind == KindPclntab {
			n++
		}
	}
	if n != len(fwagentDeps) {
		t.Errorf("found %d of %d modules in %+v", n, len(fwagentDeps), out.Components)
	}
}

// TestRecoverVendored: a vendored build without -trimpath records its
// sources in the vendor directory, without versions, so only the function names are left: the module paths come
// out unversioned, with the low confidence that says they are a guess.
func TestRecoverVendored(t *testing.T) {
	out := analyzeBytes(t, damage(t, buildFwagent(t, runtime.GOARCH, "vendor"), noModInfo))
	got := map[string]model.Component{}
	for _, c := range out.Components {
		got[c.Name] = c
	}
	for p := range fwagentDeps {
		c, ok := got[p]
		if !ok || c.Version != "" || c.PURL != "pkg:golang/"+p || len(c.Evidence) != 1 || c.Evidence[0].Confidence > 0.5 || !strings.Contains(c.Evidence[0].Match, "no version") {
			t.Errorf("%s = %+v", p, c)
		}
	}
	if len(got) != len(fwagentDeps)+1 {
		t.Errorf("components %d, want the %d modules and stdlib: %+v", len(got), len(fwagentDeps), out.Components)
	}
}

func TestPackageOf(t *testing.T) {
	for sym, want := range map[string]string{
		"github.com/google/uuid.NewString":                     "github.com/google/uuid",
		"go.yaml.in/yaml/v3.(*decoder).unmarshal":              "go.yaml.in/yaml/v3",
		"github.com/a/b/c.F[go.shape.interface { M() }].func1": "github.com/a/b/c",
		"sync/atomic.(*Pointer[github.com/a/b.T]).Load":        "",
		"runtime.main": "",
		"main.main":    "",
		"vendor/golang.org/x/crypto/chacha20.(*Cipher).XORKeyStream":        "",
		"type:.eq.github.com/a/b.T":                                         "",
		"go:buildid":                                                        "",
		"gopkg.in/yaml%2ev2.Unmarshal":                                      "gopkg.in/yaml.v2",
		"k8s.io/apimachinery/pkg/util/runtime.HandleError":                  "k8s.io/apimachinery/pkg/util/runtime",
		"golang.org/x/net/http2/hpack.(*Decoder).Write":                     "golang.org/x/net/http2/hpack",
		"github.com/aws/aws-sdk-go-v2/service/s3.(*Client).GetObject.func1": "github.com/aws/aws-sdk-go-v2/service/s3",
	} {
		if got := packageOf(sym); got != want {
			t.Errorf("packageOf(%q) = %q, want %q", sym, got, want)
		}
	}
}

func TestGuessModule(t *testing.T) {
	for pkg, want := range map[string]string{
		"github.com/google/uuid":               "github.com/google/uuid",
		"github.com/a/b/v2/internal/x":         "github.com/a/b/v2",
		"go.yaml.in/yaml/v3":                   "go.yaml.in/yaml/v3",
		"gopkg.in/yaml.v2":                     "gopkg.in/yaml.v2",
		"gopkg.in/src-d/go-git.v4/plumbing":    "gopkg.in/src-d/go-git.v4",
		"golang.org/x/net/http2/hpack":         "golang.org/x/net",
		"k8s.io/apimachinery/pkg/util/runtime": "k8s.io/apimachinery",
		"github.com/short":                     "",
	} {
		if got := guessModule(pkg); got != want {
			t.Errorf("guessModule(%q) = %q, want %q", pkg, got, want)
		}
	}
}

func TestUnescapeModPath(t *testing.T) {
	if got := unescapeModPath("github.com/!burnt!sushi/toml"); got != "github.com/BurntSushi/toml" {
		t.Error(got)
	}
}

// TestNotGoELF: a C program's ELF has no pclntab; Recover says so.
func TestRecoverNotGo(t *testing.T) {
	b := make([]byte, 4096)
	copy(b, "\x7fELF\x02\x01\x01")
	binary.LittleEndian.PutUint16(b[16:], uint16(elf.ET_EXEC))
	binary.LittleEndian.PutUint16(b[18:], uint16(elf.EM_X86_64))
	binary.LittleEndian.PutUint32(b[20:], 1)
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := Recover(f, b); ok {
		t.Error("recovered from zeros")
	}
}

// FuzzRecover: the table readers take any bytes, as a damaged binary
// gives them.
func FuzzRecover(f *testing.F) {
	f.Add([]byte("\xf1\xff\xff\xff\x00\x00\x01\x08"), []byte("github.com/a/b@v1.2.3/x.go\x00"))
	f.Add([]byte("\xff\xff\xff\xf0\x00\x00\x04\x04"+strings.Repeat("\x00\x00\x00\x10", 8)), []byte("/x/pkg/mod/golang.org/toolchain@v0.0.1-go1.22.1.linux-amd64/src/a.go"))
	f.Fuzz(func(t *testing.T, tab, files []byte) {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			if fn, fl, ok := pclnTables(tab, order); ok {
				modulesFromTables(fn, fl)
			}
		}
		modulesFromTables(tab, files)
		findModInfo(append(append(append([]byte(nil), modinfoStart...), files...), modinfoEnd...))
		RustPaths(files)
		for _, m := range bytes.Split(tab, []byte{0}) {
			if p := packageOf(string(m)); p != "" {
				guessModule(p)
			}
		}
	})
}
