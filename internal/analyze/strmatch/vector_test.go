package strmatch

import (
	"bytes"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/benchtree"
)

// vectorKeywordSets are keyword sets for the scalar/vector comparisons:
// the other tests' sets, sets with two- and three-byte keywords, with
// non-letter and high bytes, and with bytes that equal a keyword byte
// only once folded with 0x20 ('@' and '`', 0x00 and ' ', 0xc1 and 0xe1).
var vectorKeywordSets = [][]string{
	{"pass", "password", "passwd", "sk_live_", "akia", "ss", "as", "xoxb-", "github_pat_", "word", "wo", "d\x00", "\xff\xffpa"},
	{"pass", "password", "sk_live_", "akia", "ss", "xoxb-", "github_pat_", "d\x00", "\xff\xffpa"},
	{"pass", "password", "ss", "sss", "as", "xoxb-", "word", "wo", "d\x00", "\xff\xffpa", "openssl ", "l o"},
	{"nc", "q~", "ab", "zz", "-p"},
	{"abc", "x y", "\x00\x01\x02", "`a`", "@@@"},
	{"` ", " `", "``", "\x00\x00", "\xe1\xe1", "\xc1x"},
	{"token", "secret", "api_key", "-----begin", "\x7f" + "elf", "\x80\x81\x82\x83", "{\"", "%s", "10"},
	{"busybox v", "openssl ", " version ", "gcc: (", "linux version "},
}

// TestPairTableSuperset checks the vector filter's tables against the
// scalar firsts table on every pair of bytes: no pair that firsts lets
// through may fail the classes.
func TestPairTableSuperset(t *testing.T) {
	sets := append(slices.Clone(vectorKeywordSets), randomKeywordSets(50)...)
	for _, kws := range sets {
		d := newKeywordDFA(kws)
		if !d.skip {
			continue
		}
		tight := 0
		for x := range 1 << 16 {
			b0, b1 := byte(x), byte(x>>8)
			f := uint32(b0|0x20) | uint32(b1|0x20)<<8
			inFirsts := d.firsts[f>>6]&(1<<(f&63)) != 0
			inClasses := d.vec.pass(b0, b1)
			if inFirsts && !inClasses {
				t.Fatalf("%q: pair %#02x %#02x passes firsts, not the classes", kws, b0, b1)
			}
			if inClasses && !d.vec.passNib(b0, b1) {
				t.Fatalf("%q: pair %#02x %#02x passes the classes, not the nibbles", kws, b0, b1)
			}
			if inFirsts == inClasses {
				tight++
			}
		}
		if tight == 0 {
			t.Fatalf("%q: the classes reject nothing", kws)
		}
	}
	for b := range 256 {
		if pairIndex(byte(b)) != pairIndex(byte(b)|0x20) || pairIndex(byte(b)) > 127 {
			t.Fatalf("pairIndex(%#02x)", b)
		}
		for c := range 256 {
			if byte(b)|0x20 != byte(c)|0x20 && pairIndex(byte(b)) == pairIndex(byte(c)) {
				t.Fatalf("pairIndex(%#02x) == pairIndex(%#02x)", b, c)
			}
		}
	}
}

// thin is normal without the race detector and race with it.
func thin(normal, race int) int {
	if raceOn {
		return race
	}
	return normal
}

// randomKeywordSets makes n sets of up to 40 keywords of 2 to 12 bytes,
// from letters, digits, punctuation and any byte.
func randomKeywordSets(n int) [][]string {
	r := rand.New(rand.NewPCG(11, 12))
	alphabet := "abcdefghijklmnopqrstuvwxyz0123456789_-. @`\x00"
	var sets [][]string
	for range n {
		var kws []string
		have := map[string]bool{}
		for range 1 + r.IntN(40) {
			b := make([]byte, 2+r.IntN(11))
			for i := range b {
				if r.IntN(8) == 0 {
					b[i] = byte(r.IntN(256))
				} else {
					b[i] = alphabet[r.IntN(len(alphabet))]
				}
			}
			if k := fold(string(b)); !have[k] {
				have[k] = true
				kws = append(kws, k)
			}
		}
		sets = append(sets, kws)
	}
	return sets
}

// vectorKinds runs f once per pairMasks this CPU has: AVX-512 and AVX2
// on amd64 (the portable masks when neither), the portable masks
// elsewhere; avx512 says which.
func vectorKinds(f func(avx512 bool)) {
	was := useAVX512
	defer func() { useAVX512 = was }()
	for _, useAVX512 = range []bool{true, false} {
		if useAVX512 && !hasAVX512 {
			continue
		}
		f(useAVX512)
	}
}

// TestPairMasksSame compares the vector pair masks (AVX-512: by the
// class tables; AVX2: by the nibble tables) with their portable form on
// texts of every length up to 300 (the blocks and their limit).
func TestPairMasksSame(t *testing.T) {
	if !hasVector {
		t.Skip("no AVX-512 VBMI or AVX2 on this CPU (or purego): pairMasks is pairMasksGo")
	}
	r := rand.New(rand.NewPCG(13, 14))
	for si, kws := range append(slices.Clone(vectorKeywordSets), randomKeywordSets(thin(20, 3))...) {
		d := newKeywordDFA(kws)
		for n := 0; n <= 300; n++ {
			text := adversarialText(r, kws, n, si+n)
			for from := 0; from < min(n, 70); from += thin(1, 7) {
				for _, nm := range []int{0, 1, 2, 5} {
					vectorKinds(func(avx512 bool) {
						pass := d.vec.passNib
						if avx512 {
							pass = d.vec.pass
						}
						m1, m2 := make([]uint64, nm+1), make([]uint64, nm+1)
						n1, n2 := pairMasks(d.vec, text[from:], m1[:nm]), pairMasksGoBy(pass, text[from:], m2[:nm])
						if n1 != n2 || !slices.Equal(m1, m2) {
							t.Fatalf("avx512 %v: %q on %q[%d:], %d masks: vector %d %#x, portable %d %#x", avx512, kws, text, from, nm, n1, m1, n2, m2)
						}
					})
				}
			}
		}
	}
}

// adversarialText makes n bytes of one of several kinds, chosen by kind:
// random bytes, letters only, dense keyword prefixes in mixed case, high
// bytes, bytes that fold onto keyword bytes, keywords at the start and
// the end.
func adversarialText(r *rand.Rand, kws []string, n, kind int) []byte {
	b := make([]byte, 0, n+16)
	kw := func() string {
		k := kws[r.IntN(len(kws))]
		switch r.IntN(3) {
		case 0:
			k = strings.ToUpper(k)
		case 1:
			k = k[:1+r.IntN(len(k))]
		}
		return k
	}
	foldable := "@`\x00 [{]}^~\xc1\xe1\x7f\xff\xdf"
	switch kind % 7 {
	case 5: // a keyword at the start
		b = append(b, kw()...)
	}
	for len(b) < n {
		switch kind % 7 {
		case 0:
			b = append(b, byte(r.IntN(256)))
		case 1:
			b = append(b, "aAbBcCdDeEfFgGhHiIjJkKlLmMnNoOpPqQrRsStTuUvVwWxXyYzZ"[r.IntN(52)])
		case 2:
			b = append(b, kw()...)
		case 3:
			b = append(b, byte(0x80+r.IntN(128)))
			if r.IntN(20) == 0 {
				b = append(b, kw()...)
			}
		case 4:
			b = append(b, foldable[r.IntN(len(foldable))])
			if r.IntN(10) == 0 {
				b = append(b, kw()...)
			}
		default:
			if r.IntN(30) == 0 {
				b = append(b, kw()...)
			} else {
				b = append(b, byte(r.IntN(256)))
			}
		}
	}
	b = b[:n]
	if kind%7 == 6 && n > 0 { // a keyword ending at the very end
		k := kws[r.IntN(len(kws))]
		if len(k) <= n {
			copy(b[n-len(k):], k)
		}
	}
	return b
}

// TestScanVectorSame compares the two scans' reports (end offsets and
// states, in order) on every keyword set and every kind of text, at every
// length up to 200 and at a few long ones; and the candidate each
// prefilter finds from every start of the short texts.
func TestScanVectorSame(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for si, kws := range append(slices.Clone(vectorKeywordSets), randomKeywordSets(thin(30, 3))...) {
		d := newKeywordDFA(kws)
		if !d.skip {
			t.Fatalf("%q: no skip", kws)
		}
		lengths := []int{1000, 4096, 10000}
		for n := 0; n <= 200; n += thin(1, 3) {
			lengths = append(lengths, n)
		}
		for li, n := range lengths {
			for kind := range 7 {
				text := adversarialText(r, kws, n, kind)
				checkScansSame(t, d, kws, text)
				if n <= 200 && (li+kind)%3 == 0 {
					vectorKinds(func(bool) {
						var c maskCache
						for i := 0; i <= n; i++ {
							var fresh maskCache
							a, b := d.nextVector(text, i, &c), d.nextScalar(text, i)
							if f := d.nextVector(text, i, &fresh); a != b || f != b {
								t.Fatalf("set %d %q, text %q from %d: vector candidate %d (fresh masks %d), scalar %d", si, kws, text, i, a, f, b)
							}
						}
					})
				}
			}
		}
	}
}

// checkScansSame fails when the scans report differently, or differ from
// a plain search.
func checkScansSame(t testing.TB, d *keywordDFA, kws []string, text []byte) {
	t.Helper()
	s := scanCalls(d, text, false)
	vectorKinds(func(avx512 bool) {
		if v := scanCalls(d, text, true); !slices.Equal(s, v) {
			t.Fatalf("avx512 %v: %q on %q:\nscalar %v\nvector %v", avx512, kws, text, s, v)
		}
	})
	if got, want := dfaHits(d, kws, string(text)), naiveHits(kws, string(text)); got != want {
		t.Fatalf("%q on %q:\n got %v\nwant %v", kws, text, got, want)
	}
}

// TestScanVectorSameTree compares the scans on every file of the extracted
// HG-100 root filesystem (THINGSEC_BENCH_TREE, or its usual place) with
// the keyword sets above that the real packs do not cover.
func TestScanVectorSameTree(t *testing.T) {
	dir := os.Getenv(benchtree.Env)
	if dir == "" {
		dir = benchtree.DefaultDir
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no extracted root filesystem at %s (set THINGSEC_BENCH_TREE): %v", dir, err)
	}
	// Sets 3, 4 and 6 (short keywords, non-letters, high bytes; the
	// real packs have their own test, and set 5's "\x00\x00" makes every
	// position of a binary a candidate, which the short texts cover);
	// under the race detector, set 3 and one file in eight.
	var dfas []*keywordDFA
	for _, i := range []int{3, 4, 6} {
		dfas = append(dfas, newKeywordDFA(vectorKeywordSets[i]))
	}
	if raceOn {
		dfas = dfas[:1]
	}
	files := 0
	err := filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil || !de.Type().IsRegular() {
			return err
		}
		files++
		if raceOn && files%8 != 0 {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i, d := range dfas {
			s := scanCalls(d, data, false)
			vectorKinds(func(avx512 bool) {
				if v := scanCalls(d, data, true); !slices.Equal(s, v) {
					t.Fatalf("avx512 %v: %s, set %d: scalar %d reports, vector %d", avx512, p, i, len(s)/2, len(v)/2)
				}
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d files", files)
}

// FuzzScanSame compares the scans on any text and any keyword list (the
// keywords are the second input's lines).
func FuzzScanSame(f *testing.F) {
	f.Add([]byte("PassWORD openSSL o\xff\xffpass"), []byte("pass\npassword\nss\nxoxb-\nd\x00"))
	f.Add(bytes.Repeat([]byte("@`AB ab\x00"), 40), []byte("ab\n` \n\x00\x00\nb\x00"))
	f.Add(bytes.Repeat([]byte{0xe1, 0xc1, 'a'}, 50), []byte("\xe1\xe1\naaa\nq~"))
	f.Fuzz(func(t *testing.T, text, list []byte) {
		var kws []string
		have := map[string]bool{}
		total := 0
		for _, k := range bytes.Split(list, []byte("\n")) {
			if len(k) == 0 || have[fold(string(k))] {
				continue
			}
			total += len(k)
			if total > 2000 {
				break
			}
			have[fold(string(k))] = true
			kws = append(kws, fold(string(k)))
		}
		if len(kws) == 0 {
			return
		}
		checkScansSame(t, newKeywordDFA(kws), kws, text)
	})
}
