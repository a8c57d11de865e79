package secrets

import (
	"encoding/base64"
	"regexp"
	"strconv"
	"strings"

	"github.com/thingsec/thingsec/internal/lazyre"
)

// gitleaks decodes encoded text in passes before giving up on a fragment
// (its --max-decode-depth, 5 unless set): each pass finds the segments of
// the current text that look percent-, unicode-, hex- or base64-encoded,
// decodes them in place, and runs the rules again on the result. A match
// in a later pass counts only where it touches a decoded segment, and is
// located at the original bytes the segment came from. The detector
// takes the same steps (segment patterns, precedence, decoders), since any
// difference changes which files are flagged.

// glDecodeDepth is gitleaks' default --max-decode-depth.
const glDecodeDepth = 5

// glSpan is a [start, end) range; spans that touch count as overlapping,
// as in gitleaks.
type glSpan struct{ start, end int }

func (s glSpan) overlaps(o glSpan) bool { return o.start <= s.end && o.end >= s.start }
func (s glSpan) contains(o glSpan) bool { return s.start <= o.start && o.end <= s.end }
func (s glSpan) merge(o glSpan) glSpan {
	return glSpan{min(s.start, o.start), max(s.end, o.end)}
}

// glSegment is one decoded segment of a pass.
type glSegment struct {
	prev     []*glSegment // every segment of the pass before
	original glSpan       // in the fragment as read
	encoded  glSpan       // in the text of the pass before
	decoded  glSpan       // in this pass's text
	value    string
}

// The segment patterns, in precedence order (highest first): where two
// segments touch, the lower one waits for a later pass.
var glEncodings = []struct {
	pattern string
	decode  func(string) string
}{
	{`%[0-9A-Fa-f]{2}(?:.*%[0-9A-Fa-f]{2})?`, glDecodePercent},
	{`(?:(?:U\+[a-fA-F0-9]{4}(?:\s|$))+|(?i)(?:\\{1,2}u[a-fA-F0-9]{4})+)`, glDecodeUnicode},
	{`[0-9A-Fa-f]{32,}`, glDecodeHex},
	{`[\w\/+-]{16,}={0,2}`, glDecodeBase64},
}

var glEncodingRe = func() *regexp.Regexp {
	alts := make([]string, len(glEncodings))
	for i, e := range glEncodings {
		alts[i] = "(" + e.pattern + ")"
	}
	return regexp.MustCompile(strings.Join(alts, "|"))
}()

type glEncMatch struct {
	kind int // index in glEncodings: lower is higher precedence
	glSpan
}

// glDecode runs one decoding pass over text; prev are the segments of the
// pass that made text. It returns text with the segments decoded and the
// segments (none: nothing left to decode).
func glDecode(text string, prev []*glSegment) (string, []*glSegment) {
	if text == "" {
		return text, nil
	}
	var all []glEncMatch
	for _, m := range glEncodingRe.FindAllStringSubmatchIndex(text, -1) {
		for k := range glEncodings {
			if s := m[2+2*k]; s >= 0 {
				all = append(all, glEncMatch{k, glSpan{s, m[3+2*k]}})
			}
		}
	}
	// A match touching a neighbour of higher precedence is left out.
	kept := all
	if len(all) > 1 {
		kept = make([]glEncMatch, 0, len(all))
		for i, m := range all {
			if i > 0 && m.overlaps(all[i-1].glSpan) && all[i-1].kind < m.kind {
				continue
			}
			if i+1 < len(all) && m.overlaps(all[i+1].glSpan) && all[i+1].kind < m.kind {
				continue
			}
			kept = append(kept, m)
		}
	}
	var segs []*glSegment
	shift := 0
	for _, m := range kept {
		enc := text[m.start:m.end]
		dec := glEncodings[m.kind].decode(enc)
		if dec == "" {
			continue
		}
		segs = append(segs, &glSegment{
			prev:     prev,
			original: glToOriginal(prev, m.glSpan),
			encoded:  m.glSpan,
			decoded:  glSpan{m.start + shift, m.start + shift + len(dec)},
			value:    dec,
		})
		shift += len(dec) - len(enc)
	}
	if len(segs) == 0 {
		return text, nil
	}
	var b strings.Builder
	b.Grow(len(text) + shift)
	at := 0
	for _, s := range segs {
		b.WriteString(text[at:s.encoded.start])
		b.WriteString(s.value)
		at = s.encoded.end
	}
	b.WriteString(text[at:])
	return b.String(), segs
}

// glToOriginal maps a span of a pass's text back to the fragment: a span
// inside one decoded segment maps to that segment's whole original bytes;
// one reaching past segments keeps its overhang on each side.
func glToOriginal(segs []*glSegment, s glSpan) glSpan {
	if len(segs) == 0 {
		return s
	}
	var enc glSpan
	for _, p := range segs {
		if !p.decoded.overlaps(s) {
			continue
		}
		if p.decoded.contains(s) {
			return p.original
		}
		m := p.decoded.merge(s)
		over := glSpan{p.encoded.start + m.start - p.decoded.start, p.encoded.end + m.end - p.decoded.end}
		if enc.end == 0 {
			enc = over
		} else {
			enc = enc.merge(over)
		}
	}
	if enc.end == 0 {
		return s
	}
	return glToOriginal(segs[0].prev, enc)
}

// glTouching returns the segments whose decoded text a match touches.
func glTouching(segs []*glSegment, s glSpan) []*glSegment {
	var out []*glSegment
	for _, g := range segs {
		if g.decoded.overlaps(s) {
			out = append(out, g)
		}
	}
	return out
}

// glDecodedLine is the line of a decoded match that allowlists with
// regexTarget "line" see: from the newline before the segments (included)
// to the newline after them, in the pass's text.
func glDecodedLine(segs []*glSegment, text string) string {
	d := segs[0].decoded
	for _, s := range segs[1:] {
		d = d.merge(s.decoded)
	}
	start, end := 0, len(text)
	for i := d.start; i >= 0; i-- {
		if text[i] == '\n' {
			start = i
			break
		}
	}
	for i := d.end; i < end; i++ {
		if text[i] == '\n' {
			end = i
			break
		}
	}
	return text[start:end]
}

// glPrintable is gitleaks' "printable ASCII": tab to '~', every control
// character from tab on included.
func glPrintable(c byte) bool { return c > 0x08 && c < 0x7f }

func glAllPrintable(b []byte) bool {
	for _, c := range b {
		if !glPrintable(c) {
			return false
		}
	}
	return true
}

func glHexNibble(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// glDecodePercent decodes %XX escapes; other bytes stay. An escape of a
// byte that is not printable fails the segment.
func glDecodePercent(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		if s[i] == '%' && i+2 < len(s) {
			hi, ok1 := glHexNibble(s[i+1])
			lo, ok2 := glHexNibble(s[i+2])
			if ok1 && ok2 {
				b := hi<<4 | lo
				if !glPrintable(b) {
					return ""
				}
				out = append(out, b)
				i += 3
				continue
			}
		}
		out = append(out, s[i])
		i++
	}
	return string(out)
}

// glDecodeHex decodes an even-length hex run with a digit in it whose
// every byte is printable.
func glDecodeHex(s string) string {
	if len(s)%2 != 0 || !strings.ContainsAny(s, "0123456789") {
		return ""
	}
	out := make([]byte, len(s)/2)
	for i := 0; i < len(s); i += 2 {
		hi, _ := glHexNibble(s[i])
		lo, _ := glHexNibble(s[i+1])
		b := hi<<4 | lo
		if !glPrintable(b) {
			return ""
		}
		out[i/2] = b
	}
	return string(out)
}

// glDecodeBase64 decodes standard (padded) base64, else unpadded
// base64url, when the result is printable; a run without a digit or one
// of +/-_ is taken for a word, not base64.
func glDecodeBase64(s string) string {
	if !strings.ContainsAny(s, "0123456789+/-_") {
		return ""
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && glAllPrintable(b) {
		return string(b)
	}
	if b, err := base64.RawURLEncoding.DecodeString(s); err == nil && glAllPrintable(b) {
		return string(b)
	}
	return ""
}

var (
	glCodePointsRe = lazyre.New(`(?:U\+[a-fA-F0-9]{4}(?:\s|$))+`)
	glEscapesRe    = lazyre.New(`(?i)(?:\\{1,2}u[a-fA-F0-9]{4})+`)
	glEscapeRe     = lazyre.New(`(?i)\\{1,2}u([a-fA-F0-9]{4})`)
)

// glDecodeUnicode decodes runs of "U+XXXX " code points, else runs of
// \uXXXX escapes, each run replacing its first occurrence. A segment
// always holds one of the two (the segment pattern is their union).
func glDecodeUnicode(s string) string {
	if runs := glCodePointsRe.FindAllString(s, -1); len(runs) > 0 {
		for _, run := range runs {
			var rs []rune
			for _, cp := range strings.Fields(run) {
				if strings.HasPrefix(cp, "U+") && len(cp) >= 6 {
					if n, err := strconv.ParseInt(cp[2:], 16, 32); err == nil {
						rs = append(rs, rune(n))
					}
				}
			}
			if d := string(rs); d != "" && d != run {
				s = strings.Replace(s, run, d, 1)
			}
		}
		return s
	}
	for _, run := range glEscapesRe.FindAllString(s, -1) {
		var rs []rune
		for _, e := range glEscapeRe.FindAllStringSubmatch(run, -1) {
			if n, err := strconv.ParseInt(e[1], 16, 32); err == nil {
				rs = append(rs, rune(n))
			}
		}
		if d := string(rs); d != "" && d != run {
			s = strings.Replace(s, run, d, 1)
		}
	}
	return s
}
