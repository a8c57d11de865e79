package secrets

import (
	"bufio"
	"bytes"
	"io"
	"math"
	"strings"

	"github.com/thingsec/thingsec/internal/analyze/strmatch"
)

// The detector of a gitleaks configuration follows gitleaks' file scan
// step by step, since any shortcut changes which files are flagged:
//
//   - a file or directory that a global allowlist's paths match is not
//     read, whatever the allowlist's condition;
//   - a file is read in fragments: 100,000 bytes, then on to two
//     consecutive newlines (at most 25,000 bytes more), through a 4 KiB
//     buffered reader, so later fragments may be shorter;
//   - a rule runs on a fragment when one of its keywords occurs anywhere
//     in it (or it has none), and its regex runs over the whole fragment,
//     so matches may span lines;
//   - the secret is taken by matching the regex again on the match alone
//     (trailing and leading newlines trimmed): the secretGroup, or the
//     first non-empty group;
//   - entropy is over characters, and must exceed the threshold;
//   - the "line" of a match runs from the newline before it (included) to
//     the newline after it; on a last line without a newline it runs from
//     the start of the fragment;
//   - "gitleaks:allow" on that line drops the match; then the global
//     allowlists, then the rule's, each with its condition and target;
//   - required rules must match within their distance; skipReport rules
//     only count as required ones; a "generic" rule's finding gives way to
//     another rule's on the same line whose secret contains it.

const (
	glFragment = 100_000
	glPeek     = 25_000
)

// glHit is a finding of a gitleaks rule, at offsets in the text.
type glHit struct {
	r                      *glRule
	start, end             int // the match, after trimming
	sStart, sEnd           int // the secret
	secret, match          string
	startLine, startColumn int // as gitleaks counts them
	pathOnly               bool
	decoded                bool // found in a decoding pass
}

// detect runs the configuration over one file's text. path is the file's
// path as gitleaks would see it when scanning the target's root.
func (c *glConfig) detect(text []byte, path string) []glHit {
	if walkSkips(c.allow, path) || allowedPath(c.allow, path) {
		return nil
	}
	var out []glHit
	br := bufio.NewReader(bytes.NewReader(text))
	buf := make([]byte, glFragment)
	off, line := 0, 1
	for {
		n, _ := br.Read(buf)
		if n == 0 {
			break
		}
		frag := bytes.NewBuffer(append([]byte(nil), buf[:n]...))
		untilSafeBoundary(br, n, frag)
		raw := frag.Bytes()
		for _, h := range c.fragment(raw, path, line) {
			if !h.pathOnly {
				h.start, h.end, h.sStart, h.sEnd = h.start+off, h.end+off, h.sStart+off, h.sEnd+off
			}
			out = append(out, h)
		}
		off += len(raw)
		line += bytes.Count(raw, []byte{'\n'})
	}
	return out
}

// untilSafeBoundary extends a fragment to two consecutive newlines
// (other whitespace between them allowed), reading at most glPeek bytes.
func untilSafeBoundary(r *bufio.Reader, n int, frag *bytes.Buffer) {
	ws := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	data := frag.Bytes()
	if ws(data[len(data)-1]) {
		nl := 0
		for i := len(data) - 1; i >= 0; i-- {
			if data[i] == '\n' {
				if nl++; nl >= 2 {
					return
				}
			} else if !ws(data[i]) {
				break
			}
		}
	}
	nl := 0
	for {
		data = frag.Bytes()
		switch last := data[len(data)-1]; {
		case last == '\n':
			nl++
		case ws(last):
		default:
			nl = 0
		}
		if nl >= 2 || frag.Len()-n >= glPeek {
			return
		}
		b, err := r.ReadByte()
		if err == io.EOF {
			return
		}
		frag.WriteByte(b)
	}
}

// fragment runs the rules over one fragment (startLine: its first line),
// then again over each decoding pass of it (gitleaks_decode.go).
func (c *glConfig) fragment(raw []byte, path string, startLine int) []glHit {
	var nl []int
	for i, b := range raw {
		if b == '\n' {
			nl = append(nl, i)
		}
	}
	f := &glFrag{raw: raw, cur: raw, path: path, startLine: startLine, nl: nl}
	var hits []glHit
	seen := make([]bool, len(c.rules))
	for depth := 0; ; depth++ {
		clear(seen)
		for _, r := range c.always {
			seen[r.idx] = true
		}
		for _, h := range strmatch.Find(nil, c.pack, f.cur) {
			for _, r := range c.kwRule[h.Kw] {
				seen[r.idx] = true
			}
		}
		for i, r := range c.rules { // file order, for stable output
			if seen[i] {
				hits = append(hits, c.rule(f, r, false)...)
			}
		}
		if depth+1 > c.decodeDepth {
			break
		}
		text, segs := glDecode(string(f.cur), f.segs)
		if len(segs) == 0 {
			break
		}
		f.cur, f.segs = []byte(text), segs
	}
	return genericGivesWay(hits)
}

type glFrag struct {
	raw       []byte
	path      string
	startLine int
	nl        []int
	// the text of the current decoding pass and its decoded segments
	// (none in the first pass, where cur is raw)
	cur  []byte
	segs []*glSegment
}

// rule is gitleaks' rule check on one fragment; inherited is set when r
// runs as another rule's required rule.
func (c *glConfig) rule(f *glFrag, r *glRule, inherited bool) []glHit {
	if r.skipReport && !inherited {
		return nil
	}
	if allowedPath(r.allow, f.path) {
		return nil
	}
	if r.path != nil {
		if r.re == nil {
			if len(f.segs) == 0 && r.path.MatchString(f.path) {
				return []glHit{{r: r, pathOnly: true, match: "file detected: " + f.path}}
			}
			return nil
		}
		if !r.path.MatchString(f.path) {
			return nil
		}
	}
	if r.re == nil {
		return nil
	}
	var hits []glHit
	for _, m := range r.re.FindAllIndex(f.cur, -1) {
		match := string(bytes.Trim(f.cur[m[0]:m[1]], "\n"))
		var start, end, base int
		decodedLine := ""
		if len(f.segs) > 0 {
			// a match of a later pass counts where it touches a
			// segment decoded in that pass, at the segment's bytes
			touch := glTouching(f.segs, glSpan{m[0], m[1]})
			if len(touch) == 0 {
				continue // found in an earlier pass
			}
			o := glToOriginal(touch, glSpan{m[0], m[1]})
			start, end, base = o.start, o.end, o.start
			decodedLine = glDecodedLine(touch, string(f.cur))
		} else {
			start = m[0]
			end = start + len(match) // as gitleaks ends it, even after a leading trim
			base = m[0] + len(bytes.TrimRight(f.raw[m[0]:m[1]], "\n")) - len(match)
		}
		ls, le, line, col := f.location(start, end)
		if end > le {
			le = end
		}
		lineText := string(f.raw[ls:le])
		if strings.Contains(lineText, "gitleaks:allow") {
			continue
		}
		if decodedLine == "" {
			decodedLine = lineText
		}
		h := glHit{r: r, start: start, end: end, sStart: base, sEnd: base + len(match), secret: match, match: match,
			startLine: f.startLine + line, startColumn: col, decoded: len(f.segs) > 0}
		if g := r.re.FindStringSubmatchIndex(match); len(g) >= 4 {
			if r.secretGroup > 0 {
				if gs := g[2*r.secretGroup]; gs >= 0 {
					h.secret, h.sStart, h.sEnd = match[gs:g[2*r.secretGroup+1]], base+gs, base+g[2*r.secretGroup+1]
				} else {
					h.secret, h.sStart, h.sEnd = "", base, base
				}
			} else {
				for i := 2; i < len(g); i += 2 {
					if g[i] >= 0 && g[i+1] > g[i] {
						h.secret, h.sStart, h.sEnd = match[g[i]:g[i+1]], base+g[i], base+g[i+1]
						break
					}
				}
			}
		}
		if h.decoded {
			h.sStart, h.sEnd = start, end // the encoded bytes
		}
		if r.entropy != 0 && glEntropy(h.secret) <= r.entropy {
			continue
		}
		if allowedFinding(c.allow, h, decodedLine, f.path) || allowedFinding(r.allow, h, decodedLine, f.path) {
			continue
		}
		hits = append(hits, h)
	}
	if inherited || len(r.required) == 0 || len(hits) == 0 {
		return hits
	}
	return c.required(f, r, hits)
}

// required keeps the primary hits that every required rule matches near.
func (c *glConfig) required(f *glFrag, r *glRule, primary []glHit) []glHit {
	found := map[string][]glHit{}
	for _, q := range r.required {
		for _, cand := range c.rules {
			if cand.id == q.id {
				found[q.id] = c.rule(f, cand, true)
			}
		}
	}
	var out []glHit
	for _, p := range primary {
		ok := true
		for _, q := range r.required {
			near := false
			for _, h := range found[q.id] {
				if within(p, h, q) {
					near = true
					break
				}
			}
			ok = ok && near
		}
		if ok {
			out = append(out, p)
		}
	}
	return out
}

func within(p, h glHit, q glRequired) bool {
	abs := func(x int) int {
		if x < 0 {
			return -x
		}
		return x
	}
	if q.withinLines != nil && abs(p.startLine-h.startLine) > *q.withinLines {
		return false
	}
	if q.withinColumns != nil && abs(p.startColumn-h.startColumn) > *q.withinColumns {
		return false
	}
	return true
}

// location returns the line bounds of a match as gitleaks computes them:
// from the newline before the match (included) to the one after it, the
// 0-based line number of its start within the fragment and its column.
func (f *glFrag) location(start, end int) (ls, le, line, col int) {
	nl := f.nl
	if len(nl) == 0 {
		nl = []int{len(f.raw)}
	}
	prev, set := 0, false
	for i, p := range nl {
		if prev <= start && start < p {
			set = true
			line, col, ls, le = i, start-prev+1, prev, p
		}
		if prev < end && end <= p {
			le = p
		}
		prev = p
	}
	if !set {
		// the last line, with no newline after it
		line, col, ls = len(nl), start-prev+1, 0
		i := end
		for i < len(f.raw) && f.raw[i] != '\n' && f.raw[i] != '\r' {
			i++
		}
		le = i
	}
	return ls, le, line, col
}

// walkSkips says whether gitleaks' directory walk leaves the file out: a
// global allowlist's paths (whatever its condition) match the file or one
// of its directories.
func walkSkips(als []*glAllow, path string) bool {
	for _, a := range als {
		if a.paths == nil {
			continue
		}
		for p := path; p != "" && p != "."; {
			if a.paths.MatchString(p) {
				return true
			}
			i := strings.LastIndexByte(p, '/')
			if i < 0 {
				break
			}
			p = p[:i]
		}
	}
	return false
}

// allowedPath is gitleaks' file-level allowlist check: an OR allowlist
// whose paths match; an AND allowlist without regexes or stopwords whose
// checks all pass (a commit check never passes on files).
func allowedPath(als []*glAllow, path string) bool {
	for _, a := range als {
		pathOK := a.paths != nil && path != "" && a.paths.MatchString(path)
		if !a.and {
			if pathOK {
				return true
			}
			continue
		}
		if a.regexes != nil || len(a.stopwords) > 0 {
			continue
		}
		if a.commits == 0 && (a.paths == nil || pathOK) {
			return true
		}
	}
	return false
}

// allowedFinding is gitleaks' finding-level allowlist check.
func allowedFinding(als []*glAllow, h glHit, line, path string) bool {
	for _, a := range als {
		target := h.secret
		switch a.target {
		case "match":
			target = h.match
		case "line":
			target = line
		}
		regexOK := a.regexes != nil && target != "" && a.regexes.MatchString(target)
		stopOK := false
		if h.secret != "" {
			low := strings.ToLower(h.secret)
			for _, s := range a.stopwords {
				if strings.Contains(low, s) {
					stopOK = true
					break
				}
			}
		}
		if !a.and {
			if regexOK || stopOK {
				return true
			}
			continue
		}
		ok := a.commits == 0
		if a.paths != nil {
			ok = ok && path != "" && a.paths.MatchString(path)
		}
		if a.regexes != nil {
			ok = ok && regexOK
		}
		if len(a.stopwords) > 0 {
			ok = ok && stopOK
		}
		if ok {
			return true
		}
	}
	return false
}

// genericGivesWay drops a hit of a rule whose id says "generic" when a
// hit of another, non-generic rule on the same line has a secret that
// contains its secret.
func genericGivesWay(hits []glHit) []glHit {
	generic := func(h glHit) bool { return strings.Contains(strings.ToLower(h.r.id), "generic") }
	out := hits[:0:0]
	for _, h := range hits {
		drop := false
		if generic(h) {
			for _, o := range hits {
				if o.startLine == h.startLine && o.r.id != h.r.id && !generic(o) && strings.Contains(o.secret, h.secret) {
					drop = true
					break
				}
			}
		}
		if !drop {
			out = append(out, h)
		}
	}
	return out
}

// glEntropy is Shannon entropy over the characters of s, divided by its
// length in bytes, as gitleaks computes it.
func glEntropy(s string) float64 {
	if s == "" {
		return 0
	}
	counts := map[rune]int{}
	for _, c := range s {
		counts[c]++
	}
	inv := 1 / float64(len(s))
	var h float64
	for _, n := range counts {
		p := float64(n) * inv
		h -= p * math.Log2(p)
	}
	return h
}
