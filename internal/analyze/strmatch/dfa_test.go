package strmatch

import (
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestKeywordDFAMatchesNaiveSearch compares the automaton with a plain
// case-insensitive search on random text seeded with keywords: with a
// one-byte keyword (the automaton reads every byte) and without (the
// byte-pair prefilter skips), with keywords that overlap, nest and share
// first pairs.
func TestKeywordDFAMatchesNaiveSearch(t *testing.T) {
	for _, kws := range [][]string{
		{"pass", "password", "passwd", "sk_live_", "akia", "ss", "a", "xoxb-", "github_pat_", "word"},
		{"pass", "password", "passwd", "sk_live_", "akia", "ss", "as", "xoxb-", "github_pat_", "word", "wo", "d\x00", "\xff\xffpa"},
	} {
		d := newKeywordDFA(kws)
		if d.skip != (len(kws[6]) > 1) {
			t.Fatalf("%v: skip %v", kws, d.skip)
		}
		checkDFA(t, d, kws, 3)
	}
}

func checkDFA(t *testing.T, d *keywordDFA, kws []string, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 4))
	alphabet := "aAsSpPwWoOrRdD_-kKlLiIvVeE xXbB\n\x00\xff"
	for iter := 0; iter < 300; iter++ {
		var b strings.Builder
		for b.Len() < 300 {
			if r.IntN(10) == 0 {
				k := kws[r.IntN(len(kws))]
				if r.IntN(2) == 0 {
					k = strings.ToUpper(k)
				}
				b.WriteString(k)
			} else {
				b.WriteByte(alphabet[r.IntN(len(alphabet))])
			}
		}
		text := b.String()
		if got, want := dfaHits(d, kws, text), naiveHits(kws, text); got != want {
			t.Fatalf("text %q:\n got %v\nwant %v", text, got, want)
		}
	}
}

func dfaHits(d *keywordDFA, kws []string, text string) string {
	var got []string
	d.walk([]byte(text), func(start, k int) { got = append(got, kws[k]+"@"+itoa(start)) })
	sort.Strings(got)
	return strings.Join(got, " ")
}

func naiveHits(kws []string, text string) string {
	var want []string
	low := asciiLower(text)
	for _, k := range kws {
		for i := 0; i+len(k) <= len(low); i++ {
			if low[i:i+len(k)] == k {
				want = append(want, k+"@"+itoa(i))
			}
		}
	}
	sort.Strings(want)
	return strings.Join(want, " ")
}

// FuzzKeywordDFA checks the automaton and its prefilter against the
// naive search on any text.
func FuzzKeywordDFA(f *testing.F) {
	kws := []string{"pass", "password", "ss", "sss", "as", "xoxb-", "word", "wo", "d\x00", "\xff\xffpa", "openssl ", "l o"}
	d := newKeywordDFA(kws)
	f.Add([]byte("PassWORD openSSL o\xff\xffpass"))
	f.Add([]byte("ssssss"))
	f.Fuzz(func(t *testing.T, text []byte) {
		if got, want := dfaHits(d, kws, string(text)), naiveHits(kws, string(text)); got != want {
			t.Fatalf("text %q:\n got %v\nwant %v", text, got, want)
		}
	})
}

func itoa(i int) string { return strconv.Itoa(i) }

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// TestKeywordDFASparse is binary-like text, where the prefilter skips
// long runs four bytes at a time: keywords (some cut short) are rare,
// at every alignment and at the very end.
func TestKeywordDFASparse(t *testing.T) {
	kws := []string{"pass", "password", "sk_live_", "akia", "ss", "xoxb-", "github_pat_", "d\x00", "\xff\xffpa"}
	d := newKeywordDFA(kws)
	r := rand.New(rand.NewPCG(5, 6))
	for iter := 0; iter < 300; iter++ {
		var b []byte
		for len(b) < 2000 {
			switch r.IntN(150) {
			case 0:
				b = append(b, kws[r.IntN(len(kws))]...)
			case 1:
				k := kws[r.IntN(len(kws))]
				b = append(b, k[:r.IntN(len(k))]...)
			default:
				b = append(b, byte(r.IntN(256)))
			}
		}
		if r.IntN(4) == 0 {
			b = append(b, kws[r.IntN(len(kws))]...)
		}
		text := string(b)
		if got, want := dfaHits(d, kws, text), naiveHits(kws, text); got != want {
			t.Fatalf("text %q:\n got %v\nwant %v", text, got, want)
		}
	}
}
