package secrets

import (
	"bytes"
	"sort"

	"github.com/thingsec/thingsec/internal/analyze/strmatch"
)

// Scanner runs a fixed set of rules over texts. It is safe for concurrent
// use.
type Scanner struct {
	rules    []*Rule
	pack     *strmatch.Pack // one keyword per distinct lower-cased keyword
	patRules [][]int        // pack keyword -> rule indexes
	noKw     []int          // rules that run on every text
	// printableKw: every keyword is printable (tab included, no
	// newline), so a binary's printable-strings view can be read in
	// place (see ScanBinary).
	printableKw bool
}

// Hit is one accepted match of a rule in a text.
type Hit struct {
	Rule           *Rule
	Start, End     int // the whole match
	SStart, SEnd   int // the secret inside it
	LineStart      int // start of the line holding the match
	Line           int // 1-based, filled by Scan
	secretContains bool
}

// Secret returns the secret bytes of h in text.
func (h Hit) Secret(text []byte) []byte { return text[h.SStart:h.SEnd] }

// window bounds how far around a keyword a rule looks when lines are long
// (minified JavaScript, strings tables).
const window = 512

// NewScanner builds the keyword pack of rules.
func NewScanner(rules []*Rule) *Scanner {
	s := &Scanner{rules: rules, printableKw: true}
	idx := map[string]int{}
	var kws []strmatch.Keyword
	for i, r := range rules {
		if len(r.Keywords) == 0 {
			s.noKw = append(s.noKw, i)
			continue
		}
		for _, k := range r.Keywords {
			p, ok := idx[k]
			if !ok {
				p = len(kws)
				idx[k] = p
				kws = append(kws, strmatch.Keyword{Text: k})
				s.patRules = append(s.patRules, nil)
				s.printableKw = s.printableKw && printableKeyword(k)
			}
			if l := s.patRules[p]; len(l) == 0 || l[len(l)-1] != i {
				s.patRules[p] = append(s.patRules[p], i)
			}
		}
	}
	s.pack = strmatch.NewPack("secrets", kws)
	return s
}

// Rules returns the scanner's rules.
func (s *Scanner) Rules() []*Rule { return s.rules }

// Pack returns the keyword pack the scanner's hits come from.
func (s *Scanner) Pack() *strmatch.Pack { return s.pack }

// Scan finds every rule match in text (path selects path-restricted
// rules).
func (s *Scanner) Scan(text []byte, path string) []Hit {
	return s.ScanHits(text, path, strmatch.Find(nil, s.pack, text))
}

// ScanHits is Scan with the keyword hits of s.Pack() in text already
// found (by a shared pass).
func (s *Scanner) ScanHits(text []byte, path string, kw []strmatch.Hit) []Hit {
	hits := s.run(text, path, kw, lineAround)
	for _, ri := range s.noKw {
		r := s.rules[ri]
		if r.pathAllowed(path) {
			hits = r.find(text, 0, len(text), hits)
		}
	}
	hits = dedupe(text, hits)
	// Line numbers, counting newlines once through the text.
	sort.Slice(hits, func(i, j int) bool { return hits[i].Start < hits[j].Start })
	line, at := 1, 0
	for i := range hits {
		line += bytes.Count(text[at:hits[i].Start], []byte{'\n'})
		at = hits[i].Start
		hits[i].Line = line
	}
	return hits
}

// ScanBinary finds the rule matches in the printable strings of a binary
// (Strings) without building them: a keyword hit in the raw bytes lies
// in a string of at least MinString bytes exactly when the printable run
// around it is that long, and that run is the line the rule reads. Hit
// offsets are file offsets. It needs RawBinary(path); kw are the hits
// of s.Pack() in data.
func (s *Scanner) ScanBinary(data []byte, path string, kw []strmatch.Hit) []Hit {
	hits := s.run(data, path, kw, runAround)
	hits = dedupe(data, hits)
	sort.Slice(hits, func(i, j int) bool { return hits[i].Start < hits[j].Start })
	return hits
}

// RawBinary says whether ScanBinary applies to a file: every keyword is
// printable on one line, and no rule without keywords (which reads the
// whole strings view) applies to the path.
func (s *Scanner) RawBinary(path string) bool {
	if !s.printableKw {
		return false
	}
	for _, ri := range s.noKw {
		if s.rules[ri].pathAllowed(path) {
			return false
		}
	}
	return true
}

// run checks the rules of each keyword hit on the line around it (line
// returns ls > le when the hit is on no line the rules read).
func (s *Scanner) run(text []byte, path string, kw []strmatch.Hit, line func(text []byte, pos, n int) (int, int)) []Hit {
	// Per rule: the last line it ran on (hits arrive in text order, so
	// one slot per rule dedupes), and whether the path admits it
	// (0 unknown, 1 yes, 2 no), decided once per file.
	var last []int
	var pathOK []uint8
	var memo pathMemo
	var hits []Hit
	// the window folded for the rules' prefilters, made once per
	// window that needs it
	var low []byte
	lowLo, lowHi := -1, -1
	kws := s.pack.Keywords()
	for _, h := range kw {
		if last == nil {
			last = make([]int, len(s.rules))
			for i := range last {
				last[i] = -1
			}
			pathOK = make([]uint8, len(s.rules))
		}
		ls, le := line(text, h.Pos, len(kws[h.Kw].Text))
		if ls > le {
			continue
		}
		for _, ri := range s.patRules[h.Kw] {
			if last[ri] == ls {
				continue
			}
			last[ri] = ls
			r := s.rules[ri]
			if pathOK[ri] == 0 {
				pathOK[ri] = 2
				if r.pathAllowedMemo(path, &memo) {
					pathOK[ri] = 1
				}
			}
			if pathOK[ri] == 2 {
				continue
			}
			if r.pre != nil {
				if pf := r.pre(); pf != nil {
					if ls != lowLo || le != lowHi {
						low, lowLo, lowHi = foldText(low[:0], text[ls:le]), ls, le
					}
					if !pf.match(low) {
						continue
					}
				}
			}
			hits = r.find(text, ls, le, hits)
		}
	}
	return hits
}

// lineAround returns the line holding text[pos:pos+n], cut to window
// bytes either side.
func lineAround(text []byte, pos, n int) (int, int) {
	lo := max(0, pos-window)
	ls := lo
	if i := bytes.LastIndexByte(text[lo:pos], '\n'); i >= 0 {
		ls = lo + i + 1
	}
	hi := min(len(text), pos+n+window)
	le := hi
	if i := bytes.IndexByte(text[pos+n:hi], '\n'); i >= 0 {
		le = pos + n + i
	}
	return ls, le
}

// printable is the byte set of Strings.
func printable(c byte) bool { return c >= 0x20 && c < 0x7f || c == '\t' }

func printableKeyword(k string) bool {
	for i := 0; i < len(k); i++ {
		if !printable(k[i]) {
			return false
		}
	}
	return true
}

// runAround is lineAround for the strings view read in place: the
// printable run holding data[pos:pos+n], cut to window bytes either side;
// (1, 0) when the run is shorter than MinString (not in the view).
func runAround(data []byte, pos, n int) (int, int) {
	lo := max(0, pos-window)
	ls := pos
	for ls > lo && printable(data[ls-1]) {
		ls--
	}
	hi := min(len(data), pos+n+window)
	le := pos + n
	for le < hi && printable(data[le]) {
		le++
	}
	if le-ls < MinString {
		return 1, 0
	}
	return ls, le
}

// find runs r on text[lo:hi].
func (r *Rule) find(text []byte, lo, hi int, hits []Hit) []Hit {
	seg := text[lo:hi]
	rm := r.m()
	for _, m := range rm.re.FindAllSubmatchIndex(seg, -1) {
		ss, se := m[0], m[1]
		if rm.anyGroup {
			for g := 1; 2*g < len(m); g++ {
				if m[2*g] >= 0 {
					ss, se = m[2*g], m[2*g+1]
					break
				}
			}
		} else if g := r.SecretGroup; g > 0 {
			ss, se = m[2*g], m[2*g+1]
			if ss < 0 {
				continue
			}
		}
		if !r.accept(seg[ss:se]) {
			continue
		}
		ls := lo
		if i := bytes.LastIndexByte(seg[:m[0]], '\n'); i >= 0 {
			ls = lo + i + 1
		}
		hits = append(hits, Hit{Rule: r, Start: lo + m[0], End: lo + m[1], SStart: lo + ss, SEnd: lo + se, LineStart: ls})
	}
	return hits
}

// dedupe keeps the first hit of each (rule, secret) and drops generic
// hits whose secret a specific rule reported (the same value anywhere,
// or an overlapping one on the same line).
func dedupe(text []byte, hits []Hit) []Hit {
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Start < hits[j].Start })
	specificSecret := map[string]bool{}
	specificLine := map[int][]Hit{}
	for _, h := range hits {
		if !h.Rule.Generic {
			specificSecret[string(h.Secret(text))] = true
			specificLine[h.LineStart] = append(specificLine[h.LineStart], h)
		}
	}
	seen := map[string]bool{}
	out := hits[:0]
	var generic [][2]int
	for _, h := range hits {
		if h.Rule.Generic {
			sec := h.Secret(text)
			drop := specificSecret[string(sec)]
			for _, sp := range specificLine[h.LineStart] {
				if h.SStart < sp.SEnd && sp.SStart < h.SEnd || bytes.Contains(sec, sp.Secret(text)) {
					drop = true
				}
			}
			for k := len(generic) - 1; k >= 0 && k >= len(generic)-8; k-- {
				if g := generic[k]; h.SStart < g[1] && g[0] < h.SEnd {
					drop = true
				}
			}
			if drop {
				continue
			}
			generic = append(generic, [2]int{h.SStart, h.SEnd})
		}
		k := h.Rule.ID + "\x00" + string(h.Secret(text))
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, h)
	}
	return out
}
