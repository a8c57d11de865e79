package secrets

import (
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzScan runs every embedded rule over arbitrary text and checks the
// hit bounds.
func FuzzScan(f *testing.F) {
	rs, err := Embedded()
	if err != nil {
		f.Fatal(err)
	}
	sc := NewScanner(rs)
	for _, r := range rs[:40] {
		for _, ex := range r.Examples.Match {
			f.Add([]byte(ex))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, h := range sc.Scan(b, "/etc/x.conf") {
			if h.SStart < h.Start || h.SEnd > h.End || h.End > len(b) || h.Line < 1 {
				t.Fatalf("bad hit %+v in %d bytes", h, len(b))
			}
			Redact(string(h.Secret(b)))
		}
		s, segs := Strings(b, nil)
		// The last byte of s is the newline after the last string.
		if len(segs) > 0 && fileOffset(segs, len(s)-2) >= int64(len(b)) {
			t.Fatalf("offset out of range")
		}
	})
}

// FuzzGitleaks parses arbitrary TOML as a gitleaks config.
func FuzzGitleaks(f *testing.F) {
	f.Add([]byte("[[rules]]\nid = \"x\"\nregex = '''ab[0-9]+'''\nkeywords = [\"ab\"]\n[allowlist]\nstopwords = [\"abc\"]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseGitleaks("fuzz.toml", b)
	})
}

// FuzzGitleaksDetect runs a configuration using allowlists, required
// rules, multi-line and path rules over arbitrary text.
func FuzzGitleaksDetect(f *testing.F) {
	rs, err := ParseGitleaks("fuzz.toml", []byte(`
[[rules]]
id = "pem"
regex = '''-----BEGIN K-----[\s\S]{1,64}?-----END K-----'''
keywords = ["begin k"]
[[rules]]
id = "pair"
regex = '''P([0-9]{4})'''
secretGroup = 1
entropy = 1.0
keywords = ["p"]
[[rules.required]]
id = "id"
withinLines = 1
[[rules]]
id = "id"
regex = '''I[0-9]{4}'''
skipReport = true
[[rules]]
id = "generic-x"
regex = '''x=(\S+)'''
[[rules.allowlists]]
regexTarget = "line"
regexes = ['''(?i)skip''']
condition = "AND"
stopwords = ["no"]
[[allowlists]]
paths = ['''\.md$''']
`))
	if err != nil {
		f.Fatal(err)
	}
	c := rs[0].gl
	f.Add([]byte("-----BEGIN K-----\nabc\n-----END K-----\nP1234 I5678\nx=abc gitleaks:allow\nx=nope skip"), "a.txt")
	f.Add([]byte("\n\n\nP0000\n"), "b.md")
	f.Fuzz(func(t *testing.T, b []byte, path string) {
		for _, h := range c.detect(b, path) {
			if !h.pathOnly && (h.start < 0 || h.end > len(b) || h.sStart < 0 || h.sEnd > len(b) || h.sStart > h.sEnd) {
				t.Fatalf("hit out of range: %+v (len %d)", h, len(b))
			}
		}
	})
}

// FuzzGitleaksDecode runs gitleaks' decoding passes over arbitrary text
// and checks that every segment maps back inside the text.
func FuzzGitleaksDecode(f *testing.F) {
	f.Add("data: dG9rZW4gPSBnaHBfcThXN2U2UjV0NFkzdTJJMW8wUDlhOFM3ZDZGNWc0SDNqMksx\n")
	f.Add("q=%78%6f%78%62 \\u0041\\u0042 U+0041 U+0042 616263646566676869306a6b6c6d6e6f")
	f.Fuzz(func(t *testing.T, text string) {
		cur := text
		var segs []*glSegment
		for depth := 0; depth < glDecodeDepth; depth++ {
			next, ns := glDecode(cur, segs)
			if len(ns) == 0 {
				break
			}
			for _, s := range ns {
				if s.original.start < 0 || s.original.end > len(text) || s.original.start > s.original.end {
					t.Fatalf("segment %+v outside the text (%d bytes)", s.original, len(text))
				}
				if s.decoded.end > len(next) || next[s.decoded.start:s.decoded.end] != s.value {
					t.Fatalf("decoded span %+v does not hold the value", s.decoded)
				}
				glDecodedLine(ns, next)
			}
			cur, segs = next, ns
		}
	})
}

// FuzzJWT: any token text decodes or is refused without a panic, and
// what a decoded one says is valid UTF-8 (claims are attacker text).
func FuzzJWT(f *testing.F) {
	f.Add("eyJhbGciOiJub25lIn0.eyJpc3MiOiJhY21lIiwiZXhwIjoxNjE0NTU2ODAwfQ.")
	f.Add("eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOlsiYSIsImIiXX0.c2ln")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, tok string) {
		j, ok := decodeJWT(tok)
		if !ok {
			return
		}
		if d := j.describe(time.Unix(1e9, 0)); !utf8.ValidString(d) && utf8.ValidString(tok) {
			t.Errorf("describe %q: invalid UTF-8 %q", tok, d)
		}
	})
}
