package secrets

import "testing"

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
