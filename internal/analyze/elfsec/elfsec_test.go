package elfsec

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/model"
)

// The testdata binaries are built by scripts/fixtures/elfsec.sh with gcc
// and cross gcc; want is checksec 2.6.0's output for each, recorded when
// they were built (TestChecksecCompiled re-checks the same flags against
// a live checksec).
var testdataVerdicts = []struct {
	file string
	want string
}{
	{"hardened-x86_64", "Full RELRO,Canary found,NX enabled,PIE enabled,No RPATH,No RUNPATH,No Symbols,Yes,3,4"},
	{"hardened-aarch64", "Full RELRO,Canary found,NX enabled,PIE enabled,No RPATH,No RUNPATH,No Symbols,Yes,3,4"},
	{"hardened-armhf", "Full RELRO,Canary found,NX enabled,PIE enabled,No RPATH,No RUNPATH,No Symbols,Yes,3,4"},
	{"hardened-mips", "Full RELRO,Canary found,NX enabled,PIE enabled,No RPATH,No RUNPATH,No Symbols,Yes,3,4"},
	{"hardened-mipsel", "Full RELRO,Canary found,NX enabled,PIE enabled,No RPATH,No RUNPATH,No Symbols,Yes,3,4"},
	{"none-x86_64", "No RELRO,No Canary found,NX disabled,No PIE,No RPATH,No RUNPATH,No Symbols,No,0,3"},
	{"none-aarch64", "No RELRO,No Canary found,NX disabled,No PIE,No RPATH,No RUNPATH,No Symbols,No,0,3"},
	{"none-armhf", "No RELRO,No Canary found,NX disabled,No PIE,No RPATH,No RUNPATH,No Symbols,No,0,3"},
	{"none-mips", "No RELRO,No Canary found,NX disabled,No PIE,No RPATH,No RUNPATH,No Symbols,No,0,3"},
	{"none-mipsel", "No RELRO,No Canary found,NX disabled,No PIE,No RPATH,No RUNPATH,No Symbols,No,0,3"},
	{"lib-rpath-x86_64.so", "Partial RELRO,No Canary found,NX enabled,DSO,No RPATH,RUNPATH,No Symbols,No,0,3"},
	// checksec sees no symbols without section headers; the dynamic
	// segment still names __stack_chk_fail and the *_chk functions
	{"sectionless-armhf", "Full RELRO,No Canary found,NX enabled,PIE enabled,No RPATH,No RUNPATH,No Symbols,No,0,0"},
}

func TestTestdataVerdicts(t *testing.T) {
	for _, tc := range testdataVerdicts {
		t.Run(tc.file, func(t *testing.T) {
			fx, err := inspectFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			want, _, err := parseChecksecCSV(tc.want + ",x")
			if err != nil {
				t.Fatal(err)
			}
			got := ours(fx)
			if got == want {
				return
			}
			if why := knownDifference(fx, want, got); why != "" {
				t.Logf("explained: %s", why)
				return
			}
			t.Errorf("\n  checksec %v\n  thingsec %v", want, got)
		})
	}
}

func input(t *testing.T, name, path string, mode os.FileMode) *plugin.Input {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	head := data[:min(len(data), filetype.HeadSize)]
	return &plugin.Input{
		FileInfo: plugin.FileInfo{Layer: "L1", Path: path, Mode: mode, Size: int64(len(data)), Type: filetype.Detect(path, head, int64(len(data))), Head: head},
		Data:     data, R: bytes.NewReader(data), Loc: model.Location{Layer: "L1", Path: path},
	}
}

func TestAnalyzerRecords(t *testing.T) {
	a := MustNew()
	tests := []struct {
		file, path string
		mode       os.FileMode
		kind, abi  string
		missing    []string
		severity   model.Severity // "" = no finding
		dangerous  []string
	}{
		{"hardened-x86_64", "/usr/sbin/httpd", 0o755, "executable", "sysv", nil, "", nil},
		{"hardened-mipsel", "/usr/sbin/httpd", 0o755, "executable", "sysv o32", nil, "", nil},
		{"none-x86_64", "/usr/sbin/httpd", 0o755, "executable", "sysv", []string{"nx", "canary", "pie", "relro", "fortify"}, model.Medium, []string{"sprintf", "stpcpy", "system"}},
		// no NX on MIPS is the toolchain's default, not a choice
		{"none-mipsel", "/usr/bin/tool", 0o755, "executable", "sysv o32", []string{"canary", "pie", "relro", "fortify"}, model.Medium, nil},
		{"none-armhf", "/usr/bin/tool", 0o755 | os.ModeSetuid, "executable", "sysv eabi5 hard-float", []string{"nx", "canary", "pie", "relro", "fortify"}, model.High, nil},
		{"none-aarch64", "/usr/bin/tool", 0o755, "executable", "sysv", []string{"nx", "canary", "pie", "relro", "fortify"}, model.Medium, nil},
		{"lib-rpath-x86_64.so", "/usr/lib/libx.so", 0o644, "shared-library", "sysv", nil, "", nil},
		{"sectionless-armhf", "/bin/x", 0o755, "executable", "sysv eabi5 hard-float", nil, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			var out plugin.Results
			in := input(t, tc.file, tc.path, tc.mode)
			if !a.FileRequired(&in.FileInfo) {
				t.Fatal("not required")
			}
			if err := a.Analyze(context.Background(), in, &out); err != nil {
				t.Fatal(err)
			}
			if len(out.Binaries) != 1 {
				t.Fatalf("%d binary records", len(out.Binaries))
			}
			b := out.Binaries[0]
			expect(t, "kind", b.Kind, tc.kind)
			expect(t, "abi", b.ABI, tc.abi)
			expect(t, "missing", strings.Join(b.Missing, ","), strings.Join(tc.missing, ","))
			var hard []model.Finding
			for _, f := range out.Findings {
				if f.RuleID == RuleMitigations {
					hard = append(hard, f)
				}
			}
			if tc.severity == "" {
				if len(hard) > 0 {
					t.Errorf("unexpected finding %s", hard[0].Evidence)
				}
			} else if len(hard) != 1 || hard[0].Severity != tc.severity {
				t.Errorf("findings %+v, want one of severity %s", hard, tc.severity)
			}
			for _, d := range tc.dangerous {
				if !slices.ContainsFunc(b.Dangerous, func(c model.DangerousCall) bool { return c.Name == d && c.Count > 0 }) {
					t.Errorf("dangerous %v lacks %s", b.Dangerous, d)
				}
			}
			if strings.HasPrefix(tc.file, "none-") || strings.HasPrefix(tc.file, "hardened-") {
				expect(t, "listens", b.Listens, true)
				expect(t, "runs commands", b.RunsCommands, true)
				expect(t, "stripped", b.Stripped, true)
				if b.BuildID == "" {
					t.Error("no build ID")
				}
			}
		})
	}
}

func TestWritableRunPath(t *testing.T) {
	var out plugin.Results
	if err := MustNew().Analyze(context.Background(), input(t, "lib-rpath-x86_64.so", "/usr/lib/libx.so", 0o644), &out); err != nil {
		t.Fatal(err)
	}
	b := out.Binaries[0]
	expect(t, "runpath", strings.Join(b.RunPath, ":"), "/tmp/lib")
	expect(t, "writable", strings.Join(b.WritablePaths, ":"), "/tmp/lib")
	if len(out.Findings) != 1 || out.Findings[0].RuleID != RuleWritablePath {
		t.Fatalf("findings %+v", out.Findings)
	}
	for _, tc := range []struct {
		p    string
		want bool
	}{{"", true}, {".", true}, {"lib", true}, {"/tmp", true}, {"/var/tmp/x", true}, {"$ORIGIN/../lib", false}, {"/usr/lib", false}, {"/opt/tmpfoo", false}} {
		expect(t, tc.p, writableDir(tc.p), tc.want)
	}
}

func TestKernelConfig(t *testing.T) {
	a := MustNew()
	for _, tc := range []struct{ file, path, kind string }{
		{"kernel-ikconfig.bin", "/part0", "kernel"},
		{"kernel.config", "/boot/config-5.10.120", "kernel-config"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var out plugin.Results
			in := input(t, tc.file, tc.path, 0o644)
			if err := a.kernel(context.Background(), in, &out); err != nil {
				t.Fatal(err)
			}
			// a file too large to be held in memory (Data nil) is
			// searched in windows first, then read: the same record
			var streamed plugin.Results
			big := *in
			big.Data = nil
			if err := a.kernel(context.Background(), &big, &streamed); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(streamed, out) {
				t.Fatalf("streamed %+v\nheld %+v", streamed, out)
			}
			if len(out.Binaries) != 1 {
				t.Fatalf("%d records, problems %v", len(out.Binaries), out.Problems)
			}
			b := out.Binaries[0]
			expect(t, "kind", b.Kind, tc.kind)
			k := b.Kernel
			expect(t, "version", k.Version, "5.10.120")
			expect(t, "config", k.Config, true)
			expect(t, "STACKPROTECTOR", k.Options["STACKPROTECTOR"], "y")
			expect(t, "RANDOMIZE_BASE", k.Options["RANDOMIZE_BASE"], "n")
			expect(t, "MODULE_SIG", k.Options["MODULE_SIG"], "n")
			// not offered on this architecture: not in the config
			expect(t, "STRICT_KERNEL_RWX", k.Options["STRICT_KERNEL_RWX"], "")
			expect(t, "missing", strings.Join(b.Missing, ","), "CONFIG_RANDOMIZE_BASE,CONFIG_MODULE_SIG")
			if len(out.Findings) != 1 || out.Findings[0].RuleID != RuleKernel {
				t.Fatalf("findings %+v", out.Findings)
			}
		})
	}
	in := input(t, "kernel.config", "/boot/config", 0o644)
	if !a.FileRequired(&in.FileInfo) {
		t.Error("kernel config not required")
	}
}

// TestMayHoldKernel: the window search finds a banner across a window
// edge, and says no for data with neither banner nor configuration.
func TestMayHoldKernel(t *testing.T) {
	ctx := context.Background()
	data := bytes.Repeat([]byte{0xa5}, 3<<20)
	if mayHoldKernel(ctx, bytes.NewReader(data), int64(len(data))) {
		t.Fatal("no banner, yet may hold a kernel")
	}
	copy(data[1<<20-5:], bannerText) // straddles the first window's end
	if !mayHoldKernel(ctx, bytes.NewReader(data), int64(len(data))) {
		t.Fatal("banner across a window edge not seen")
	}
	cfg := input(t, "kernel.config", "/boot/config", 0o644)
	if !mayHoldKernel(ctx, cfg.R, cfg.Size) {
		t.Fatal("kernel configuration not seen")
	}
}

// TestMalformed: truncated and corrupted ELF files are problems, never
// panics or lost scans.
func TestMalformed(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "hardened-x86_64"))
	if err != nil {
		t.Fatal(err)
	}
	a := MustNew()
	for _, n := range []int{4, 16, 52, 64, 200, 1000, len(data) / 2} {
		d := data[:n]
		in := &plugin.Input{FileInfo: plugin.FileInfo{Path: "/x", Size: int64(n), Type: filetype.Result{Type: filetype.ELF}}, Data: d, R: bytes.NewReader(d)}
		var out plugin.Results
		if err := a.Analyze(context.Background(), in, &out); err != nil {
			t.Fatal(err)
		}
		if len(out.Binaries)+len(out.Problems) == 0 {
			t.Errorf("truncated to %d: neither a record nor a problem", n)
		}
	}
}

func TestRulesLoad(t *testing.T) {
	rs, err := loadRules()
	if err != nil {
		t.Fatal(err)
	}
	for id, r := range rs {
		if !strings.HasPrefix(id, "TS-HARD-") || r.Title == "" || r.Summary == "" || r.Help == "" || r.Remediation == "" || r.Category != "binary-hardening" || len(r.CWE) == 0 || len(r.Standards) == 0 {
			t.Errorf("%s: incomplete rule %+v", id, r)
		}
		if strings.Contains(r.Summary, "\n") {
			t.Errorf("%s: summary is more than one line", id)
		}
	}
}

func TestSummarize(t *testing.T) {
	var out plugin.Results
	a := MustNew()
	for _, f := range []string{"hardened-x86_64", "none-x86_64", "lib-rpath-x86_64.so"} {
		if err := a.Analyze(context.Background(), input(t, f, "/bin/"+f, 0o755), &out); err != nil {
			t.Fatal(err)
		}
	}
	s := model.SummarizeHardening(out.Binaries)
	expect(t, "executables", s.Executables, 2)
	expect(t, "libraries", s.SharedLibraries, 1)
	got := map[string]model.MitigationStat{}
	for _, m := range s.Mitigations {
		got[m.Name] = m
	}
	expect(t, "pie", got["pie"], model.MitigationStat{Name: "pie", Have: 1, Of: 2, Percent: 50})
	expect(t, "canary", got["canary"], model.MitigationStat{Name: "canary", Have: 1, Of: 3, Percent: 33.3})
	expect(t, "relro", got["relro"], model.MitigationStat{Name: "relro", Have: 2, Of: 3, Percent: 66.7})
	expect(t, "shell+net", s.ShellAndNetwork, 3) // the library is the same program
}

func FuzzInspect(f *testing.F) {
	for _, tc := range testdataVerdicts {
		if b, err := os.ReadFile(filepath.Join("testdata", tc.file)); err == nil {
			f.Add(b)
		}
	}
	recoverPanics = false
	f.Fuzz(func(t *testing.T, b []byte) {
		fx, err := Inspect(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		fx.RELRO()
		fx.PIE()
		fx.Canary()
		fx.Fortify()
		fx.CFI()
		fx.Imports()
		fx.Kind("/x")
		fx.ABI()
	})
}

type fakeTree struct {
	files []model.File
	data  map[string][]byte
}

func (f *fakeTree) Files() []model.File   { return f.files }
func (f *fakeTree) Chain(l string) string { return "fw.bin > " + l }
func (f *fakeTree) ReadFile(layer, p string, max int64) ([]byte, error) {
	return f.data[layer+":"+p], nil
}

// TestKernelTree: a kernel whose banner sits in a part of the file that a
// carved stream claimed is still found, once, by the tree pass.
func TestKernelTree(t *testing.T) {
	k, err := os.ReadFile(filepath.Join("testdata", "kernel-ikconfig.bin"))
	if err != nil {
		t.Fatal(err)
	}
	k = append(k, make([]byte, minKernel)...)
	elfData, err := os.ReadFile(filepath.Join("testdata", "none-armhf"))
	if err != nil {
		t.Fatal(err)
	}
	tr := &fakeTree{
		files: []model.File{
			{Layer: "L4", Path: "/data", Size: int64(len(k)), Type: filetype.Data, Unpacked: []string{"L9"}},
			{Layer: "L5", Path: "/data", Size: int64(len(k)), Type: filetype.Data, Unpacked: []string{"L10"}},
			{Layer: "L6", Path: "/bin/busybox", Size: 1 << 20, Type: filetype.ELF},
			// an ELF program with an archive inside: shown to the file
			// pass only in pieces
			{Layer: "L6", Path: "/usr/sbin/sfx", Mode: "-rwsr-xr-x", Size: int64(len(elfData)), Type: filetype.ELF, Unpacked: []string{"L11"}},
		},
		data: map[string][]byte{"L4:/data": k, "L5:/data": k, "L6:/usr/sbin/sfx": elfData},
	}
	// L5 was already found by the file pass
	rep := &model.Report{Binaries: []model.Binary{{Layer: "L5", Path: "/data", Kind: "kernel", Kernel: &model.Kernel{}}}}
	var out plugin.Results
	if err := MustNewKernelTree().AnalyzeTree(context.Background(), tr, rep, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Binaries) != 2 || out.Binaries[0].Layer != "L4" || out.Binaries[0].Kernel.Version != "5.10.120" {
		t.Fatalf("binaries %+v", out.Binaries)
	}
	if b := out.Binaries[1]; b.Path != "/usr/sbin/sfx" || !b.Setuid || b.RELRO != "none" {
		t.Errorf("ELF with children: %+v", b)
	}
	if len(out.Findings) != 2 || out.Findings[0].Location.Chain != "fw.bin > L4" || out.Findings[1].Severity != model.High {
		t.Fatalf("findings %+v", out.Findings)
	}
}
