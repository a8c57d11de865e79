package termsafe

import "testing"

func TestString(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/etc/shadow", "/etc/shadow"},
		{"/www/ünïcode-名前.txt", "/www/ünïcode-名前.txt"},
		{"/tmp/\x1b]0;pwned\x07", `/tmp/\x1b]0;pwned\x07`},
		{"/tmp/\x1b[2J\x1b[H", `/tmp/\x1b[2J\x1b[H`},
		{"a\tb\nc\rd", `a\tb\nc\rd`},
		{"del\x7f", `del\x7f`},
		{"c1\u009bcsi", `c1\u009bcsi`},
		{"bad\xff\xfeutf8", `bad\xff\xfeutf8`},
		{"evil\u202egnp.exe", `evil\u202egnp.exe`},
		{"iso\u2066late\u2069", `iso\u2066late\u2069`},
		{"", ""},
	} {
		if got := String(c.in); got != c.want {
			t.Errorf("String(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzString(f *testing.F) {
	f.Add("/etc/\x1b[31mred")
	f.Add("\xff\u202e")
	f.Fuzz(func(t *testing.T, s string) {
		out := String(s)
		for i := 0; i < len(out); i++ {
			if c := out[i]; c < 0x20 || c == 0x7f {
				t.Fatalf("control byte %#x left in %q", c, out)
			}
		}
	})
}
