package binver

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/thingsec/thingsec/rules"
)

var benchFiles struct {
	once  sync.Once
	paths []string
	data  [][]byte
	total int64
}

// benchTree loads up to n ELF files from $THINGSEC_FP_TREE, or from the
// unpacked Debian packages of scripts/fixtures/components.sh, once per
// process (-count reruns the benchmark on the same bytes).
func benchTree(b *testing.B, n int) (paths []string, data [][]byte, total int64) {
	f := &benchFiles
	f.once.Do(func() { f.paths, f.data, f.total = loadTree(n) })
	if len(f.paths) == 0 {
		b.Skipf("no ELF files under the tree (set THINGSEC_FP_TREE or run scripts/fixtures/components.sh download)")
	}
	return f.paths, f.data, f.total
}

func loadTree(n int) (paths []string, data [][]byte, total int64) {
	root := os.Getenv("THINGSEC_FP_TREE")
	if root == "" {
		root = filepath.Join(os.TempDir(), "thingsec-components", "root")
	}
	var all []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			all = append(all, p)
		}
		return nil
	})
	sort.Strings(all)
	for _, p := range all {
		if len(paths) == n {
			break
		}
		f, err := os.ReadFile(p)
		if err != nil || len(f) < 4 || string(f[:4]) != "\x7fELF" || len(f) > 64<<20 {
			continue
		}
		paths, data, total = append(paths, p), append(data, f), total+int64(len(f))
	}
	return paths, data, total
}

// BenchmarkFingerprintPass is the fingerprint pass (one keyword pass per
// file, regular expressions only near hits) over 2,000 real ELF files of
// six architectures: with the first rule pack alone, with every pack, and
// with the rule count grown four times, from the first pack's count and
// from every pack's (the cost of growing the table). The grown rules are
// copies of real rules whose keywords are rotations of the real ones
// ("OpenSSL " becomes "penSSL O", "enSSL Op", ...): as many distinct
// keywords as rules, with the byte pairs and lengths of real product
// strings, so that they cost the automaton and its prefilter what new
// rules would. Besides wall-clock MB/s (noisy on a shared machine) each
// case reports MB per CPU-second of the process. scripts/bench
// fingerprints prints the ratios.
func BenchmarkFingerprintPass(b *testing.B) {
	paths, data, total := benchTree(b, 2000)
	first := loadPack(b, "binaries.yaml")
	full, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	x4first := grow(b, full, first, 4*len(first.Rules))
	x4full := grow(b, full, full, 4*len(full.Rules))
	for _, c := range []struct {
		name string
		cat  *Catalog
	}{{"first-pack", first}, {"all-packs", full}, {"4x-first-pack", x4first}, {"4x-all-packs", x4full}} {
		b.Run(fmt.Sprintf("%s/%d-rules/%d-keywords/%d-files", c.name, len(c.cat.Rules), len(c.cat.keywords), len(paths)), func(b *testing.B) {
			b.SetBytes(total)
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				for j, d := range data {
					c.cat.Scan(paths[j], d)
				}
			}
			b.ReportMetric(float64(total)*float64(b.N)/1e6/(cpuTime()-cpu0).Seconds(), "MB/cpu-s")
		})
	}
}

// grow returns base's rules plus copies of from's rules with rotated,
// distinct keywords up to n rules.
func grow(b *testing.B, base, from *Catalog, n int) *Catalog {
	rs := append([]*Rule{}, base.Rules...)
	seen := map[string]bool{}
	for _, k := range base.keywords {
		seen[k] = true
	}
	for i := 0; len(rs) < n; i++ {
		src := from.Rules[i%len(from.Rules)]
		r := *src
		r.ID = fmt.Sprintf("%s-grown-%d", r.ID, i)
		r.Keywords = nil
		round := 1 + i/len(from.Rules)
		for _, k := range src.Keywords {
			if g, ok := rotation(k, round, seen); ok {
				r.Keywords = append(r.Keywords, g)
			}
		}
		if len(r.Keywords) == 0 { // name-only rules, or keywords too short to rotate
			r.Keywords = []string{fmt.Sprintf("%s version %d.", r.Product, round)}
		}
		r.Files, r.Paths, r.PathRegex, r.Packages = nil, nil, false, nil
		rs = append(rs, &r)
	}
	c, err := Compile(rs)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// rotation returns the first rotation of k, from round on, that is not a
// keyword yet.
func rotation(k string, round int, seen map[string]bool) (string, bool) {
	for j := round; j < len(k); j++ {
		g := k[j:] + k[:j]
		if !seen[g] {
			seen[g] = true
			return g, true
		}
	}
	return "", false
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadPack(b *testing.B, name string) *Catalog {
	raw, err := fs.ReadFile(rules.FS, "components/"+name)
	if err != nil {
		b.Fatal(err)
	}
	c, err := Load(fstest.MapFS{name: {Data: raw}})
	if err != nil {
		b.Fatal(err)
	}
	if !strings.HasSuffix(name, ".yaml") || len(c.Rules) == 0 {
		b.Fatal("empty pack")
	}
	return c
}
