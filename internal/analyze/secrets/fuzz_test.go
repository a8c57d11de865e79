package secrets

import (
	"bytes"
	"testing"
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

// FuzzParseGitPatch reads arbitrary text as git patch output: every
// patch has a path and one line number per added line, numbers rising.
func FuzzParseGitPatch(f *testing.F) {
	f.Add([]byte("\x00commit abc\x00A\x00a@x\x002024-01-01T00:00:00Z\n\ndiff --git a/x b/x\n--- /dev/null\n+++ b/x\n@@ -0,0 +1,2 @@\n+one\n+++ two\n"))
	f.Add([]byte("diff --git \"a/\\303\\251\" \"b/\\303\\251\"\n+++ \"b/\\303\\251\"\t\n@@ -3 +3,0 @@\n-gone\n@@ -9,0 +10 @@\n+ten\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseGitPatch(bytes.NewReader(b), func(p GitPatch) {
			if p.Path == "" || len(p.Lines) == 0 || len(p.Lines) != len(p.LineNo) {
				t.Fatalf("bad patch %+v", p)
			}
		})
	})
}
