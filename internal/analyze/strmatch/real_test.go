package strmatch_test

import (
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/binver"
	"github.com/thingsec/thingsec/internal/analyze/secrets"
	"github.com/thingsec/thingsec/internal/analyze/strmatch"
	"github.com/thingsec/thingsec/internal/benchtree"
)

// realSet is one Set of the real keyword packs and its keywords.
type realSet struct {
	name string
	set  *strmatch.Set
	kws  []string
}

// realSets compiles the keyword packs of the string-rule analyzers: the
// secret rules, the version catalog, and both in one Set as a scan makes.
func realSets(t testing.TB) []realSet {
	rs, err := secrets.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	sec := secrets.NewScanner(rs).Pack()
	bv, err := binver.New()
	if err != nil {
		t.Fatal(err)
	}
	ver := bv.StringPacks()[0]
	texts := func(packs ...*strmatch.Pack) []string {
		var kws []string
		for _, p := range packs {
			for _, k := range p.Keywords() {
				kws = append(kws, k.Text)
			}
		}
		return kws
	}
	return []realSet{
		{"secrets", strmatch.Compile(sec), texts(sec)},
		{"versions", strmatch.Compile(ver), texts(ver)},
		{"both", strmatch.Compile(sec, ver), texts(sec, ver)},
	}
}

// benchTree reads every regular file of THINGSEC_BENCH_TREE (tests: or
// the usual place of the extracted HG-100 root filesystem).
func benchTree(t testing.TB, fallback bool) (paths []string, files [][]byte, n int64) {
	dir := os.Getenv(benchtree.Env)
	if dir == "" && fallback {
		dir = benchtree.DefaultDir
	}
	if dir == "" {
		t.Skip(benchtree.Env + " is not set (a directory to read, such as an unsquashfs tree)")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no tree at %s (set %s to an extracted root filesystem): %v", dir, benchtree.Env, err)
	}
	paths, files, n, err := benchtree.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	return paths, files, n
}

// TestRealPacksScanSame compares the scalar and the vector scan with the
// real keyword packs on text made of their keywords (whole, cut short,
// in mixed case) among random and high bytes, at every length to 300.
func TestRealPacksScanSame(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, rs := range realSets(t) {
		kws := rs.kws
		for n := 0; n <= 300; n++ {
			var b []byte
			for len(b) < n {
				switch r.IntN(6) {
				case 0:
					k := kws[r.IntN(len(kws))]
					if r.IntN(2) == 0 {
						k = strings.ToUpper(k)
					}
					b = append(b, k[:1+r.IntN(len(k))]...)
				case 1:
					b = append(b, kws[r.IntN(len(kws))]...)
				case 2:
					b = append(b, byte(0x80+r.IntN(128)))
				default:
					b = append(b, byte(r.IntN(256)))
				}
			}
			b = b[:n]
			s, vs := strmatch.ScanBoth(rs.set, b)
			for _, v := range vs {
				if !slices.Equal(s, v) {
					t.Fatalf("%s on %q:\nscalar %v\nvector %v", rs.name, b, s, v)
				}
			}
		}
	}
}

// TestRealPacksScanSameTree compares the scans with the real packs on
// every file of the extracted HG-100 root filesystem.
func TestRealPacksScanSameTree(t *testing.T) {
	paths, files, _ := benchTree(t, true)
	for _, rs := range realSets(t) {
		for i, f := range files {
			if strmatch.RaceOn && i%16 != 0 {
				continue
			}
			s, vs := strmatch.ScanBoth(rs.set, f)
			for _, v := range vs {
				if !slices.Equal(s, v) {
					t.Fatalf("%s on %s: scalar %d reports, vector %d", rs.name, paths[i], len(s)/2, len(v)/2)
				}
			}
		}
	}
	t.Logf("%d files", len(files))
}

// BenchmarkKeywordPassTree measures the keyword pass of each real Set
// over every file of THINGSEC_BENCH_TREE: scalar, with the AVX-512 masks
// and with the AVX2 masks.
func BenchmarkKeywordPassTree(b *testing.B) {
	_, files, n := benchTree(b, false)
	for _, rs := range realSets(b) {
		for _, kind := range []string{"scalar", "avx512", "avx2"} {
			b.Run(rs.name+"/"+kind, func(b *testing.B) {
				switch {
				case kind == "avx512" && !strmatch.HasAVX512:
					b.Skip("no AVX-512 VBMI on this CPU (or purego)")
				case kind == "avx2" && !strmatch.HasVector:
					b.Skip("no AVX2 on this CPU (or purego)")
				}
				defer strmatch.UseVector(kind != "scalar", kind == "avx512")()
				b.SetBytes(n)
				for b.Loop() {
					for _, f := range files {
						rs.set.Scan(f)
					}
				}
			})
		}
	}
}

// BenchmarkCandidateDensity reports, for each real Set over every file of
// THINGSEC_BENCH_TREE, the share of positions in six-byte windows that
// pass the scalar spans test (the positions the scalar scan looks at one
// by one), and the share of positions that pass the vector
// filter's pair classes (the positions the AVX-512 scan looks at one by
// one), its nibble tables (AVX2), the scalar firsts table and the whole
// scalar prefilter (where the automaton starts).
func BenchmarkCandidateDensity(b *testing.B) {
	_, files, _ := benchTree(b, false)
	for _, rs := range realSets(b) {
		b.Run(rs.name, func(b *testing.B) {
			var pos, cls, nib, fst, pas, spn int
			for b.Loop() {
				pos, cls, nib, fst, pas, spn = 0, 0, 0, 0, 0, 0
				for _, f := range files {
					p, c, n, fi, pa, sp := strmatch.CandidateCounts(rs.set, f)
					pos, cls, nib, fst, pas, spn = pos+p, cls+c, nib+n, fst+fi, pas+pa, spn+sp
				}
			}
			b.ReportMetric(float64(spn)/float64(pos)*100, "%spans")
			b.ReportMetric(float64(cls)/float64(pos)*100, "%classes")
			b.ReportMetric(float64(nib)/float64(pos)*100, "%nibbles")
			b.ReportMetric(float64(fst)/float64(pos)*100, "%firsts")
			b.ReportMetric(float64(pas)/float64(pos)*100, "%passes")
		})
	}
}
