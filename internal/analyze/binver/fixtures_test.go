package binver

import (
	"bufio"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
)

var generate = flag.String("generate", "", "regenerate testdata from the unpacked Debian packages under DIR/<arch>/<package>_<version>_<arch>/ (scripts/fixtures/components.sh)")

const table = "testdata/fingerprints.tsv"

// row is one line of the test table: a rule matched a real binary.
type row struct {
	rule, arch, pkg, debVersion, path, snippet, version string
}

func readTable(t *testing.T) []row {
	t.Helper()
	f, err := os.Open(table)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []row
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || l[0] == '#' {
			continue
		}
		c := strings.Split(l, "\t")
		if len(c) != 7 {
			t.Fatalf("bad table line %q", l)
		}
		rows = append(rows, row{c[0], c[1], c[2], c[3], c[4], c[5], c[6]})
	}
	return rows
}

// TestFingerprintTable runs every rule on the snippets cut from real
// Debian armhf and mipsel binaries and checks the version against the
// Debian package's upstream version; every tested rule must have both
// architectures.
func TestFingerprintTable(t *testing.T) {
	cat, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	rows := readTable(t)
	archs := map[string]map[string]bool{}
	for _, r := range rows {
		t.Run(r.rule+"/"+r.arch, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "snippets", r.snippet))
			if err != nil {
				t.Fatal(err)
			}
			var got *Match
			for _, m := range cat.Scan(r.path, data) {
				if m.Rule.ID == r.rule {
					got = &m
				}
			}
			if got == nil {
				t.Fatalf("%s (%s %s): rule %s does not match", r.path, r.pkg, r.debVersion, r.rule)
			}
			if got.Version != r.version {
				t.Errorf("%s: version %q, want %q", r.path, got.Version, r.version)
			}
			if !versionAgrees(got.Rule, r.debVersion, got.Version) {
				t.Errorf("%s: version %q does not agree with Debian package %s %s", r.path, got.Version, r.pkg, r.debVersion)
			}
		})
		if archs[r.rule] == nil {
			archs[r.rule] = map[string]bool{}
		}
		archs[r.rule][r.arch] = true
	}
	for _, r := range cat.Rules {
		if r.Untested != "" {
			continue
		}
		for _, a := range []string{"armhf", "mipsel"} {
			if !archs[r.ID][a] {
				t.Errorf("rule %s has no %s test binary (mark it untested: with a reason, or fix it)", r.ID, a)
			}
		}
	}
}

// versionAgrees compares a fingerprint version with a Debian package
// version: equal upstream, or a dot-boundary prefix. Debian's kernel
// banner and module vermagic carry the ABI name (6.1.0-N), so kernels only
// agree on major.minor.
func versionAgrees(r *Rule, deb, got string) bool {
	if deb == "-" {
		return true // not from a Debian package (the corpus kernel)
	}
	up := deb
	if i := strings.IndexByte(up, ':'); i >= 0 {
		up = up[i+1:]
	}
	if i := strings.LastIndexByte(up, '-'); i > 0 {
		up = up[:i]
	}
	up = strings.TrimSuffix(strings.SplitN(up, "+", 2)[0], "-stable")
	if r.VersionScheme == "soname" {
		return true // the library's own ABI version, not the package's
	}
	if r.Product == "linux_kernel" {
		mm := func(v string) string {
			p := strings.SplitN(v, ".", 3)
			return strings.Join(p[:min(2, len(p))], ".")
		}
		return mm(up) == mm(got)
	}
	return up == got || strings.HasPrefix(up, got+".") || strings.HasPrefix(got, up+".") || strings.HasPrefix(up, got+"p") || strings.ReplaceAll(up, "~", "") == got
}

// TestGenerateFixtures writes testdata from unpacked Debian packages; it
// runs only with -generate DIR (scripts/fixtures/components.sh).
func TestGenerateFixtures(t *testing.T) {
	if *generate == "" {
		t.Skip("only with -generate DIR")
	}
	cat, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	snipDir := filepath.Join("testdata", "snippets")
	os.RemoveAll(snipDir)
	if err := os.MkdirAll(snipDir, 0o755); err != nil {
		t.Fatal(err)
	}
	best := map[string]row{} // rule/arch -> first agreeing row
	var rejected []string
	for _, arch := range []string{"armhf", "mipsel"} {
		pkgDirs, _ := os.ReadDir(filepath.Join(*generate, arch))
		for _, pd := range pkgDirs {
			parts := strings.Split(pd.Name(), "_")
			pkg, deb := parts[0], "-"
			if len(parts) >= 2 {
				deb = strings.ReplaceAll(parts[1], "%3a", ":")
			}
			root := filepath.Join(*generate, arch, pd.Name())
			filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err != nil || !d.Type().IsRegular() {
					return nil
				}
				if strings.Contains(p, "/usr/share/doc/") || strings.Contains(p, "/usr/share/man/") {
					return nil
				}
				data, err := os.ReadFile(p)
				if err != nil {
					return nil
				}
				rel := "/" + filepath.ToSlash(strings.TrimPrefix(p, root+"/"))
				ft := filetype.Detect(rel, data[:min(len(data), filetype.HeadSize)], int64(len(data)))
				ms := cat.ScanPath(rel)
				if Binary(ft.Type) {
					ms = cat.Scan(rel, data)
				}
				for _, m := range ms {
					key := m.Rule.ID + "/" + arch
					if _, ok := best[key]; ok {
						continue
					}
					if !versionAgrees(m.Rule, deb, m.Version) {
						rejected = append(rejected, fmt.Sprintf("%s %s: %s %s found %q (%s)", key, rel, pkg, deb, m.Version, m.Text))
						continue
					}
					name := fmt.Sprintf("%s_%s.bin", m.Rule.ID, arch)
					var snip []byte
					if m.Rule.PathRegex {
						snip = []byte{} // the evidence is the path itself
					} else {
						lo := max(0, m.Offset-(window+64))
						hi := min(int64(len(data)), m.Offset+int64(len(m.Text))+window+64)
						snip = data[lo:hi]
					}
					if err := os.WriteFile(filepath.Join(snipDir, name), snip, 0o644); err != nil {
						t.Fatal(err)
					}
					best[key] = row{m.Rule.ID, arch, pkg, deb, rel, name, m.Version}
				}
				return nil
			})
		}
	}
	keys := make([]string, 0, len(best))
	for k := range best {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# rule\tarch\tdebian package\tdebian version\tpath in package\tsnippet\tversion (generated by scripts/fixtures/components.sh)\n")
	for _, k := range keys {
		r := best[k]
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.rule, r.arch, r.pkg, r.debVersion, r.path, r.snippet, r.version)
	}
	if err := os.WriteFile(table, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, r := range rejected {
		t.Log("version disagrees:", r)
	}
	for _, r := range cat.Rules {
		for _, a := range []string{"armhf", "mipsel"} {
			if _, ok := best[r.ID+"/"+a]; !ok && r.Untested == "" {
				t.Logf("no %s binary for rule %s", a, r.ID)
			}
		}
	}
}
