// Package termsafe makes names from a firmware image safe to print on a
// terminal. A file name is attacker-controlled: ESC sequences in it can
// retitle, clear or rewrite the user's terminal, and bidirectional
// overrides can make one name read as another. Tables print names through
// String; JSON and other machine formats keep them exact.
package termsafe

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// String returns s with every control character, invalid UTF-8 byte and
// bidirectional formatting character written as a Go-style escape
// (\x1b, \t, \u202e). Printable text, including non-ASCII letters, is
// unchanged; a backslash is left as it is, so escaping is for reading,
// not a reversible encoding.
func String(s string) string {
	if safe(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r <= 0x9f, bidi(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func safe(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// bidi reports the Unicode bidirectional embedding, override and isolate
// controls, and the zero-width marks that change how text reads.
func bidi(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c
}
