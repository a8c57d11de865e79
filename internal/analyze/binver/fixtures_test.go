package binver

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
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

// archs are the Debian architectures the fixtures come from: 32- and
// 64-bit ARM and MIPS (little endian), and x86.
var archs = []string{"armhf", "arm64", "mipsel", "mips64el", "i386", "amd64"}

// minArchs is how many architectures every tested rule must be proved on.
const minArchs = 2

// row is one line of the test table: a rule matched a real binary. sha256
// is the digest of the whole binary the snippet was cut from.
type row struct {
	rule, arch, pkg, debVersion, path, sha256, snippet, version string
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
		if len(c) != 8 {
			t.Fatalf("bad table line %q", l)
		}
		rows = append(rows, row{c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]})
	}
	return rows
}

// TestFingerprintTable runs every rule on the snippets cut from real
// Debian binaries of six architectures and checks the version against the
// Debian package's upstream version; every rule not marked untested must
// be proved on at least minArchs architectures. With -v it reports per
// rule the architectures, the version found and the package version.
func TestFingerprintTable(t *testing.T) {
	cat, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	rows := readTable(t)
	tested := map[string][]row{}
	for _, r := range rows {
		t.Run(r.rule+"/"+r.arch, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "snippets", r.snippet))
			if err != nil {
				t.Fatal(err)
			}
			checkRow(t, cat, r, cat.Scan(r.path, data))
		})
		tested[r.rule] = append(tested[r.rule], r)
	}
	untested := 0
	for _, r := range cat.Rules {
		rs := tested[r.ID]
		if r.Untested != "" {
			untested++
			if len(rs) > 0 {
				t.Errorf("rule %s is marked untested but has %d test binaries", r.ID, len(rs))
			}
			continue
		}
		if len(rs) < minArchs {
			t.Errorf("rule %s has %d test architectures, want %d (mark it untested: with a reason, or fix it)", r.ID, len(rs), minArchs)
			continue
		}
		var as []string
		for _, x := range rs {
			as = append(as, x.arch)
		}
		t.Logf("%-20s %-40s found %-12s package %s %s", r.ID, strings.Join(as, ","), rs[0].version, rs[0].pkg, rs[0].debVersion)
	}
	if max := len(cat.Rules) / 10; untested > max {
		t.Errorf("%d of %d rules untested, at most %d allowed", untested, len(cat.Rules), max)
	}
}

// checkRow checks the matches of one table row's input.
func checkRow(t *testing.T, cat *Catalog, r row, ms []Match) {
	t.Helper()
	var got *Match
	for _, m := range ms {
		if m.Rule.ID == r.rule {
			got = &m
		}
	}
	if got == nil {
		t.Fatalf("%s (%s %s %s): rule %s does not match", r.path, r.arch, r.pkg, r.debVersion, r.rule)
	}
	if got.Version != r.version {
		t.Errorf("%s: version %q, want %q", r.path, got.Version, r.version)
	}
	if !versionAgrees(got.Rule, r.debVersion, got.Version) {
		t.Errorf("%s: version %q does not agree with Debian package %s %s", r.path, got.Version, r.pkg, r.debVersion)
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
	// a Debian repack of the upstream tarball (1.9.21~dfsg)
	up, _, _ = strings.Cut(up, "~dfsg")
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
	return up == got || strings.HasPrefix(up, got+".") || strings.HasPrefix(got, up+".") || strings.HasPrefix(up, got+"p") || strings.ReplaceAll(up, "~", "") == got || strings.ReplaceAll(up, "~", "-") == got
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
	for _, arch := range archs {
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
					sum := sha256.Sum256(data)
					best[key] = row{m.Rule.ID, arch, pkg, deb, rel, hex.EncodeToString(sum[:]), name, m.Version}
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
	b.WriteString("# rule\tarch\tdebian package\tdebian version\tpath in package\tsha256 of the binary\tsnippet\tversion (generated by scripts/fixtures/components.sh)\n")
	for _, k := range keys {
		r := best[k]
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.rule, r.arch, r.pkg, r.debVersion, r.path, r.sha256, r.snippet, r.version)
	}
	if err := os.WriteFile(table, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, r := range rejected {
		t.Log("version disagrees:", r)
	}
	for _, r := range cat.Rules {
		for _, a := range archs {
			if _, ok := best[r.ID+"/"+a]; !ok && r.Untested == "" {
				t.Logf("no %s binary for rule %s", a, r.ID)
			}
		}
	}
}
