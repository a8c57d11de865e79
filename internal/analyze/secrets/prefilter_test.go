package secrets

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/thingsec/thingsec/internal/analyze/strmatch"
	"github.com/thingsec/thingsec/internal/benchtree"
)

func TestPrefilterShape(t *testing.T) {
	for _, c := range []struct{ re, want string }{
		{`(?i)--password[= ]`, `("--password " OR "--password=")`},
		{`\b(hf_[A-Za-z]{34})\b`, `"hf_"`},
		{`xox[baprs]-[0-9]+`, `("xoxa-" OR "xoxb-" OR "xoxp-" OR "xoxr-" OR "xoxs-")`},
		{`(?i)key`, `"key"`},
		{`AKIA[0-9A-Z]{16}`, `"akia"`},
		{`a*bcd`, `"bcd"`},
		{`(abc)?def`, `("abcdef" OR "def")`},
		{`(?i)(?:token|secret)\s*=\s*"([^"]+)"`, `("secret" OR "token")`},
		{`(?i)(?:token|secret)\s*=\s*"(abc[^"]+)"`, `(("secret" OR "token") AND "abc")`},
		{`caf\x{e9}123`, `("caf" AND "123")`},
		{`\x{212a}ey`, `"key"`},
		{`(?i)honeycomb[\w.-]{0,20}?(?:key|team)=`, `("honeycomb" AND ("key=" OR "team="))`},
		{`(abc|[a-z]+)xyz`, `"xyz"`},
		{`ab`, `*`},
		{`[a-z]+`, `*`},
		{`(?:abc)*`, `*`},
		{`abc|d`, `*`},
		{`(`, `*`}, // does not parse: no prefilter, the compile reports it
	} {
		got := "*"
		if p := newPrefilter(c.re); p != nil {
			got = p.String()
		}
		if got != c.want {
			t.Errorf("%s: prefilter %s, want %s", c.re, got, c.want)
		}
	}
}

// TestFoldCovers checks foldText against the case folding (?i) uses: every
// rune that matches an ASCII letter under (?i) folds to that letter.
func TestFoldCovers(t *testing.T) {
	for r := rune(0); r < 0x80; r++ {
		want, _ := foldRune(r)
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if got := foldText(nil, []byte(string(f))); string(got) != string(want) {
				t.Errorf("%U folds to %q, want %q (it matches %q under (?i))", f, got, want, r)
			}
		}
	}
}

// TestPrefilterSound checks that no example of an embedded rule that its
// regex matches is refused by its prefilter, in any case and with the
// non-ASCII runes (?i) lets stand for ASCII letters.
func TestPrefilterSound(t *testing.T) {
	rules, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	with := 0
	for _, r := range rules {
		pf := r.pre()
		if pf == nil {
			continue
		}
		with++
		re := r.m().re
		for _, ex := range append(append([]string(nil), r.Examples.Match...), r.Examples.NoMatch...) {
			for _, v := range []string{ex, strings.ToUpper(ex), strings.ToLower(ex),
				strings.NewReplacer("k", "\u212a", "s", "\u017f").Replace(ex)} {
				if re.MatchString(v) && !pf.match(foldText(nil, []byte(v))) {
					t.Errorf("%s: prefilter %s refuses %q, which the regex matches", r.ID, pf, v)
				}
			}
		}
	}
	if with < len(rules)/2 {
		t.Errorf("only %d of %d rules have a prefilter", with, len(rules))
	}
}

// TestPrefilterSameHits scans the project's rule packs (every rule's
// examples), test data and analyzer sources, and, when THINGSEC_BENCH_TREE
// names one, a firmware tree, with and without the prefilters: the hits
// must be the same.
func TestPrefilterSameHits(t *testing.T) {
	with, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	without, _ := Embedded()
	for _, r := range without {
		r.pre = nil
	}
	sw, so := NewScanner(with), NewScanner(without)
	roots := []string{"../../../rules", "../../../testdata", "../../../internal/analyze", "../../../internal/unpack"}
	if d := os.Getenv(benchtree.Env); d != "" {
		roots = append(roots, d)
	}
	files, hits := 0, 0
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files++
			kw := strmatch.Find(nil, sw.Pack(), b)
			scan := func(s *Scanner) []Hit { return s.ScanHits(b, p, kw) }
			if bytes.IndexByte(b, 0) >= 0 && sw.RawBinary(p) {
				scan = func(s *Scanner) []Hit { return s.ScanBinary(b, p, kw) }
			}
			a, o := scan(sw), scan(so)
			hits += len(o)
			if !sameHits(a, o) {
				t.Errorf("%s: %d hits with prefilters, %d without", p, len(a), len(o))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if files == 0 || hits == 0 {
		t.Fatalf("%d files, %d hits: nothing compared", files, hits)
	}
	t.Logf("%d files, %d hits", files, hits)
}

func sameHits(a, b []Hit) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Rule.ID != y.Rule.ID || x.Start != y.Start || x.End != y.End || x.SStart != y.SStart || x.SEnd != y.SEnd || x.Line != y.Line {
			return false
		}
	}
	return true
}

// FuzzPrefilter: a text a regex matches always passes the regex's
// prefilter. The seeds are the embedded rules and their examples.
func FuzzPrefilter(f *testing.F) {
	rules, err := Embedded()
	if err != nil {
		f.Fatal(err)
	}
	for _, r := range rules {
		for _, ex := range r.Examples.Match {
			f.Add(r.Regex, ex)
		}
	}
	f.Add(`(?i)k[ſs]ey`, "\u212a\u017fey")
	f.Fuzz(func(t *testing.T, expr, text string) {
		re, err := regexp.Compile(expr)
		if err != nil {
			return
		}
		pf := newPrefilter(expr)
		if pf == nil {
			return
		}
		// the scanner runs regexes on windows of text: any substring
		for _, s := range []string{text, strings.ToUpper(text)} {
			if re.MatchString(s) && !pf.match(foldText(nil, []byte(s))) {
				t.Fatalf("prefilter %s of %q refuses %q, which the regex matches", pf, expr, s)
			}
		}
	})
}
