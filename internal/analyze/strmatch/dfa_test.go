package strmatch

import (
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestKeywordDFAMatchesNaiveSearch compares the automaton with a plain
// case-insensitive search on random text seeded with keywords.
func TestKeywordDFAMatchesNaiveSearch(t *testing.T) {
	kws := []string{"pass", "password", "passwd", "sk_live_", "akia", "ss", "a", "xoxb-", "github_pat_", "word"}
	d := newKeywordDFA(kws)
	r := rand.New(rand.NewPCG(3, 4))
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
		var got, want []string
		d.walk([]byte(text), func(start, k int) { got = append(got, kws[k]+"@"+itoa(start)) })
		low := asciiLower(text)
		for _, k := range kws {
			for i := 0; i+len(k) <= len(low); i++ {
				if low[i:i+len(k)] == k {
					want = append(want, k+"@"+itoa(i))
				}
			}
		}
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("text %q:\n got %v\nwant %v", text, got, want)
		}
	}
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
