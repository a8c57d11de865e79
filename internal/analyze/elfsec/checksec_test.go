package elfsec

import (
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The comparison with Debian's checksec (2.6.0, a shell script over
// readelf -W). Every verdict thingsec gives for NX, PIE, RELRO, canary,
// FORTIFY (and the counts), symbols, RPATH and RUNPATH must equal
// checksec's, or the difference must be one of the checksec limitations
// that knownDifference names and proves from the file's own facts.

var checksecFull = flag.Bool("checksec.full", false, "compare every ELF file under /usr/bin, /usr/sbin and /usr/lib, and every unpacked Debian package (slow; scripts/bench checksec)")

// csVerdict is one line of checksec --output=csv.
type csVerdict struct {
	RELRO, Canary, NX, PIE, RPath, RunPath, Symbols, Fortify string
	Fortified, Fortifiable                                   int
}

func (v csVerdict) String() string {
	return fmt.Sprintf("%s, %s, %s, %s, %s, %s, %s, FORTIFY %s %d/%d", v.RELRO, v.Canary, v.NX, v.PIE, v.RPath, v.RunPath, v.Symbols, v.Fortify, v.Fortified, v.Fortifiable)
}

func parseChecksecCSV(line string) (csVerdict, string, error) {
	r := csv.NewReader(strings.NewReader(line))
	r.FieldsPerRecord = -1
	rec, err := r.Read()
	if err != nil {
		return csVerdict{}, "", err
	}
	if len(rec) < 11 {
		return csVerdict{}, "", fmt.Errorf("checksec csv: %d fields in %q", len(rec), line)
	}
	v := csVerdict{RELRO: rec[0], Canary: rec[1], NX: rec[2], PIE: rec[3], RPath: rec[4], RunPath: rec[5], Symbols: rec[6], Fortify: rec[7]}
	v.Fortified, _ = strconv.Atoi(rec[8])
	v.Fortifiable, _ = strconv.Atoi(rec[9])
	return v, strings.Join(rec[10:], ","), nil
}

// ours renders thingsec's facts in checksec's words.
func ours(fx *Facts) csVerdict {
	v := csVerdict{
		RELRO:   map[string]string{"none": "No RELRO", "partial": "Partial RELRO", "full": "Full RELRO"}[fx.RELRO()],
		Canary:  "No Canary found",
		NX:      "NX disabled",
		PIE:     map[string]string{"yes": "PIE enabled", "no": "No PIE", "dso": "DSO", "rel": "REL"}[fx.PIE()],
		RPath:   "No RPATH",
		RunPath: "No RUNPATH",
		Symbols: "No Symbols",
		Fortify: "No",
	}
	if fx.Canary() {
		v.Canary = "Canary found"
	}
	if fx.NX() {
		v.NX = "NX enabled"
	}
	if len(fx.RPath) > 0 {
		v.RPath = "RPATH"
	}
	if len(fx.RunPath) > 0 {
		v.RunPath = "RUNPATH"
	}
	if fx.HasSymtab {
		v.Symbols = "Symbols"
	}
	var fort bool
	fort, v.Fortified, v.Fortifiable = fx.Fortify()
	if fort {
		v.Fortify = "Yes"
	}
	return v
}

// knownDifference explains a disagreement with checksec by a limitation
// of checksec, shown from the file's facts; "" when there is none and the
// difference is a thingsec bug.
func knownDifference(fx *Facts, cs, us csVerdict) string {
	var why []string
	if cs.RELRO == "Partial RELRO" && us.RELRO == "Full RELRO" && fx.Flags1Now && !fx.BindNow {
		why = append(why, "checksec greps readelf -d for BIND_NOW; this file has only DF_1_NOW (FLAGS_1: NOW), which ld.so honours the same way")
		cs.RELRO = us.RELRO
	}
	if cs.PIE == "DSO" && us.PIE == "PIE enabled" && fx.Flags1PIE && !fx.HasDebug {
		why = append(why, "checksec's PIE test is DT_DEBUG; this executable has DF_1_PIE without DT_DEBUG")
		cs.PIE = us.PIE
	}
	if fx.SymbolSource == "dynamic-segment" {
		why = append(why, "no section headers: readelf -s prints no symbols, thingsec reads them through the dynamic segment (DT_SYMTAB) as the loader does")
		cs.Canary, cs.Fortify, cs.Fortified, cs.Fortifiable = us.Canary, us.Fortify, us.Fortified, us.Fortifiable
	}
	if cs != us || len(why) == 0 {
		return ""
	}
	return strings.Join(why, "; ")
}

// runChecksec runs checksec --file on each file, in parallel.
func runChecksec(t *testing.T, files []string) map[string]csVerdict {
	t.Helper()
	out := map[string]csVerdict{}
	var mu sync.Mutex
	ch := make(chan string)
	var wg sync.WaitGroup
	for i := 0; i < max(2, runtime.NumCPU()); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range ch {
				b, err := exec.Command("checksec", "--output=csv", "--file="+f).Output()
				if err != nil {
					t.Errorf("checksec %s: %v", f, err)
					continue
				}
				v, _, err := parseChecksecCSV(strings.TrimSpace(string(b)))
				if err != nil {
					t.Errorf("checksec %s: %v", f, err)
					continue
				}
				mu.Lock()
				out[f] = v
				mu.Unlock()
			}
		}()
	}
	for _, f := range files {
		ch <- f
	}
	close(ch)
	wg.Wait()
	return out
}

func needChecksec(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("checksec"); err != nil {
		t.Skip("checksec not installed (Debian package checksec)")
	}
	if _, err := exec.LookPath("readelf"); err != nil {
		t.Skip("readelf not installed (checksec needs binutils)")
	}
}

// compare checks thingsec against checksec on files; it returns how many
// agreed exactly and how many differed for a known reason.
func compare(t *testing.T, files []string) (same, explained int) {
	t.Helper()
	cs := runChecksec(t, files)
	for _, f := range files {
		want, ok := cs[f]
		if !ok {
			continue
		}
		fx, err := inspectFile(f)
		if err != nil {
			t.Errorf("%s: %v (checksec: %v)", f, err, want)
			continue
		}
		got := ours(fx)
		if got == want {
			same++
			continue
		}
		if why := knownDifference(fx, want, got); why != "" {
			explained++
			t.Logf("%s: checksec %v, thingsec %v: %s", f, want, got, why)
			continue
		}
		t.Errorf("%s:\n  checksec %v\n  thingsec %v", f, want, got)
	}
	return same, explained
}

func inspectFile(p string) (*Facts, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return Inspect(f, st.Size())
}

// elfFiles lists the regular ELF files under the roots, sorted.
func elfFiles(roots ...string) []string {
	var out []string
	for _, root := range roots {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			f, err := os.Open(p)
			if err != nil {
				return nil
			}
			var m [4]byte
			n, _ := f.Read(m[:])
			f.Close()
			if n == 4 && string(m[:]) == "\x7fELF" {
				out = append(out, p)
			}
			return nil
		})
	}
	sort.Strings(out)
	return out
}

// sample takes n files spread evenly over the sorted list: the same files
// on every run of one machine.
func sample(files []string, n int) []string {
	if *checksecFull || len(files) <= n {
		return files
	}
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, files[i*len(files)/n])
	}
	return out
}

// TestChecksecHost compares with checksec on the machine's own binaries:
// a deterministic sample of /usr/bin, /usr/sbin and /usr/lib, or all of
// them with -checksec.full.
func TestChecksecHost(t *testing.T) {
	needChecksec(t)
	n := 40
	if testing.Short() {
		n = 10
	}
	files := sample(elfFiles("/usr/bin", "/usr/sbin", "/usr/lib"), n)
	if len(files) == 0 {
		t.Skip("no ELF files under /usr")
	}
	same, explained := compare(t, files)
	t.Logf("host: %d files, %d identical, %d explained", len(files), same, explained)
}

// TestChecksecDebianArchs compares on binaries of real Debian packages of
// other architectures (scripts/fixtures/elf-debs.sh unpacks them).
func TestChecksecDebianArchs(t *testing.T) {
	needChecksec(t)
	root := filepath.Join(os.Getenv("THINGSEC_CACHE"), "thingsec-elf-debs", "root")
	if os.Getenv("THINGSEC_CACHE") == "" {
		root = filepath.Join(os.TempDir(), "thingsec-elf-debs", "root")
	}
	archs, _ := os.ReadDir(root)
	if len(archs) == 0 {
		t.Skipf("no unpacked Debian packages in %s (run scripts/fixtures/elf-debs.sh)", root)
	}
	n := 12
	if testing.Short() {
		n = 4
	}
	for _, a := range archs {
		t.Run(a.Name(), func(t *testing.T) {
			files := sample(elfFiles(filepath.Join(root, a.Name())), n)
			if len(files) == 0 {
				t.Skip("no ELF files")
			}
			same, explained := compare(t, files)
			t.Logf("%s: %d files, %d identical, %d explained", a.Name(), len(files), same, explained)
		})
	}
}

// toolchains are the compilers the flag matrix is built with; the host
// gcc is required, a missing cross compiler is skipped.
var toolchains = []string{"gcc", "arm-linux-gnueabihf-gcc", "aarch64-linux-gnu-gcc", "mipsel-linux-gnu-gcc",
	"mips-linux-gnu-gcc", "powerpc-linux-gnu-gcc", "riscv64-linux-gnu-gcc", "i686-linux-gnu-gcc"}

const testProgram = `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
char *copy(const char *s) { char b[64]; strcpy(b, s); strcat(b, "!"); return strdup(b); }
int main(int argc, char **argv) {
	char line[128];
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {0};
	bind(fd, (struct sockaddr *)&a, sizeof a);
	listen(fd, 1);
	memcpy(line, argv[0], strlen(argv[0]) % sizeof line);
	sprintf(line, "%s %d", argc > 1 ? argv[1] : "x", argc);
	if (fgets(line, sizeof line, stdin) == NULL) return 1;
	puts(copy(line));
	return system(line);
}
`

// flagSet is one build configuration and what it must give, whatever
// checksec says.
type flagSet struct {
	name  string
	flags []string
	want  func(t *testing.T, cc string, fx *Facts)
}

var flagSets = []flagSet{
	{"hardened", []string{"-O2", "-fstack-protector-strong", "-D_FORTIFY_SOURCE=2", "-fPIE", "-pie", "-Wl,-z,relro,-z,now", "-Wl,-z,noexecstack"},
		func(t *testing.T, cc string, fx *Facts) {
			expect(t, "relro", fx.RELRO(), "full")
			expect(t, "pie", fx.PIE(), "yes")
			expect(t, "canary", fx.Canary(), true)
			expect(t, "nx", fx.NX(), true)
			fort, _, _ := fx.Fortify()
			expect(t, "fortify", fort, true)
		}},
	{"none", []string{"-O2", "-fno-stack-protector", "-U_FORTIFY_SOURCE", "-D_FORTIFY_SOURCE=0", "-fno-PIE", "-no-pie", "-z", "execstack", "-Wl,-z,norelro"},
		func(t *testing.T, cc string, fx *Facts) {
			expect(t, "relro", fx.RELRO(), "none")
			expect(t, "pie", fx.PIE(), "no")
			expect(t, "canary", fx.Canary(), false)
			expect(t, "nx", fx.NX(), false)
			expect(t, "execstack", fx.ExecStack(), true)
			fort, _, n := fx.Fortify()
			expect(t, "fortify", fort, false)
			if n == 0 {
				t.Errorf("fortifiable = 0, want strcpy, sprintf, ... counted")
			}
		}},
	{"lazy", []string{"-O2", "-fstack-protector-all", "-fPIE", "-pie", "-Wl,-z,relro", "-Wl,-z,lazy"},
		func(t *testing.T, cc string, fx *Facts) {
			expect(t, "relro", fx.RELRO(), "partial")
			expect(t, "canary", fx.Canary(), true)
		}},
	{"shared", []string{"-O2", "-fPIC", "-shared", "-Wl,-z,relro,-z,now"},
		func(t *testing.T, cc string, fx *Facts) {
			expect(t, "pie", fx.PIE(), "dso")
			expect(t, "kind", fx.Kind("/lib/x.so"), "shared-library")
		}},
	{"static", []string{"-O2", "-static", "-fstack-protector-strong"},
		func(t *testing.T, cc string, fx *Facts) {
			expect(t, "interp", fx.Interp, "")
			expect(t, "canary", fx.Canary(), true)
		}},
	{"rpath", []string{"-O2", "-Wl,--disable-new-dtags", "-Wl,-rpath,/tmp/lib:/opt/x"},
		func(t *testing.T, cc string, fx *Facts) {
			expect(t, "rpath", strings.Join(fx.RPath, ":"), "/tmp/lib:/opt/x")
		}},
	{"runpath", []string{"-O2", "-Wl,--enable-new-dtags", "-Wl,-rpath,$ORIGIN/../lib"},
		func(t *testing.T, cc string, fx *Facts) {
			expect(t, "runpath", strings.Join(fx.RunPath, ":"), "$ORIGIN/../lib")
		}},
	{"object", []string{"-O2", "-c", "-fstack-protector-all"},
		func(t *testing.T, cc string, fx *Facts) {
			expect(t, "pie", fx.PIE(), "rel")
			expect(t, "kind", fx.Kind("/x.o"), "relocatable")
		}},
}

func expect[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// TestChecksecCompiled builds one program with each hardening flag on and
// off, with gcc and every cross gcc present, and checks the verdicts
// against the flags and against checksec.
func TestChecksecCompiled(t *testing.T) {
	needChecksec(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "t.c")
	if err := os.WriteFile(src, []byte(testProgram), 0o644); err != nil {
		t.Fatal(err)
	}
	ccs := toolchains
	if testing.Short() {
		ccs = ccs[:2]
	}
	type built struct{ cc, set, path string }
	var bins []built
	for _, cc := range ccs {
		if _, err := exec.LookPath(cc); err != nil {
			if cc == "gcc" {
				t.Fatal("gcc not installed")
			}
			t.Logf("%s not installed: skipped", cc)
			continue
		}
		for i, fs := range flagSets {
			// the first four compilers get the whole matrix, the others
			// the two ends of it, to keep the test's runtime bounded
			if i >= 2 && slices.Index(toolchains, cc) >= 4 && !*checksecFull {
				continue
			}
			out := filepath.Join(dir, cc+"-"+fs.name)
			args := append(append([]string{}, fs.flags...), "-o", out, src)
			if msg, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
				t.Errorf("%s %s: %v\n%s", cc, strings.Join(args, " "), err, msg)
				continue
			}
			bins = append(bins, built{cc, fs.name, out})
		}
	}
	var paths []string
	for _, b := range bins {
		paths = append(paths, b.path)
	}
	for _, b := range bins {
		t.Run(b.cc+"/"+b.set, func(t *testing.T) {
			fx, err := inspectFile(b.path)
			if err != nil {
				t.Fatal(err)
			}
			for _, fs := range flagSets {
				if fs.name == b.set {
					fs.want(t, b.cc, fx)
				}
			}
		})
	}
	same, explained := compare(t, paths)
	t.Logf("compiled: %d binaries, %d identical to checksec, %d explained", len(paths), same, explained)
}

// TestChecksecSectionless: with the section headers removed (what sstrip
// does to firmware binaries) checksec sees no symbols at all; thingsec
// still finds the canary and FORTIFY through the dynamic segment, and the
// difference is explained.
func TestChecksecSectionless(t *testing.T) {
	needChecksec(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "t.c")
	os.WriteFile(src, []byte(testProgram), 0o644)
	for _, cc := range []string{"gcc", "mipsel-linux-gnu-gcc", "arm-linux-gnueabihf-gcc"} {
		if _, err := exec.LookPath(cc); err != nil {
			continue
		}
		out := filepath.Join(dir, cc)
		if msg, err := exec.Command(cc, append(flagSets[0].flags, "-o", out, src)...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", cc, err, msg)
		}
		b, _ := os.ReadFile(out)
		stripSections(t, b)
		os.WriteFile(out, b, 0o755)
		fx, err := inspectFile(out)
		if err != nil {
			t.Fatal(err)
		}
		expect(t, cc+" symbol source", fx.SymbolSource, "dynamic-segment")
		expect(t, cc+" canary", fx.Canary(), true)
		fort, _, _ := fx.Fortify()
		expect(t, cc+" fortify", fort, true)
		cs := runChecksec(t, []string{out})[out]
		if cs.Canary != "No Canary found" || cs.Fortify != "No" {
			t.Errorf("%s: checksec now sees symbols without section headers (%v): drop the explanation", cc, cs)
		}
		if why := knownDifference(fx, cs, ours(fx)); why == "" {
			t.Errorf("%s: difference not explained: checksec %v, thingsec %v", cc, cs, ours(fx))
		}
	}
}

// stripSections zeroes e_shoff, e_shnum and e_shstrndx, as sstrip does.
func stripSections(t *testing.T, b []byte) {
	t.Helper()
	le := b[5] == 1
	put16 := func(off int) { b[off], b[off+1] = 0, 0 }
	_ = le
	if b[4] == 2 {
		copy(b[0x28:0x30], make([]byte, 8))
		put16(0x3c)
		put16(0x3e)
	} else {
		copy(b[0x20:0x24], make([]byte, 4))
		put16(0x30)
		put16(0x32)
	}
	if !bytes.HasPrefix(b, []byte("\x7fELF")) {
		t.Fatal("not ELF")
	}
}
