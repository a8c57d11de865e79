package secrets

import (
	"bytes"
	"regexp/syntax"
	"slices"
	"strings"
)

// A prefilter is a necessary condition for a rule's regex to match a
// text, in terms of literal substrings: an AND/OR tree of literals the
// text must contain, compared ignoring case. A keyword puts a rule
// on a line, but the regex often needs more than its keyword ("-p" puts
// the command-line password rule on many lines of a binary that hold no
// "--password"); the prefilter lets the scanner skip those lines without
// running, or even compiling, the regex. It may let a line through that
// the regex rejects, never the other way round.
//
// It is derived from the regex's syntax tree, as RE2's prefilters are:
// every node is either exact (the small set of strings it can match) or
// a condition. Concatenation multiplies exact sets while they stay small
// and otherwise ANDs the conditions of its parts; alternation unites exact
// sets or ORs conditions; repetition that may match nothing, and any
// class too wide to enumerate, requires nothing.
type prefilter struct {
	op   pfOp
	lit  []byte       // pfLit: folded (foldText)
	subs []*prefilter // pfAnd, pfOr
}

type pfOp uint8

const (
	pfAll pfOp = iota // no condition: every text may match
	pfLit
	pfAnd
	pfOr
)

const (
	// maxExact bounds an exact set; maxExactLen the length of its strings.
	maxExact    = 16
	maxExactLen = 32
	// minLit is the shortest literal worth a condition: a shorter one
	// occurs on most lines anyway.
	minLit = 3
)

var pfAny = &prefilter{op: pfAll}

// newPrefilter returns the prefilter of a regex, or nil when it has none
// (no literal is necessary, or the regex does not parse: the regex's
// own compilation reports that).
func newPrefilter(expr string) *prefilter {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	p := pfInfo(re).cond()
	if p.op == pfAll {
		return nil
	}
	return p
}

// match reports whether a text, folded with foldText, may match.
func (p *prefilter) match(low []byte) bool {
	switch p.op {
	case pfLit:
		return bytes.Contains(low, p.lit)
	case pfAnd:
		for _, s := range p.subs {
			if !s.match(low) {
				return false
			}
		}
		return true
	case pfOr:
		for _, s := range p.subs {
			if s.match(low) {
				return true
			}
		}
		return false
	}
	return true
}

// String renders the condition (for tests and diagnostics).
func (p *prefilter) String() string {
	switch p.op {
	case pfLit:
		return "\"" + string(p.lit) + "\""
	case pfAnd, pfOr:
		sep := " AND "
		if p.op == pfOr {
			sep = " OR "
		}
		parts := make([]string, len(p.subs))
		for i, s := range p.subs {
			parts[i] = s.String()
		}
		return "(" + strings.Join(parts, sep) + ")"
	}
	return "*"
}

// info is what a syntax node tells: exact (non-nil) is every string the
// node can match, lower-cased; otherwise c is a condition every match
// satisfies.
type info struct {
	exact []string
	c     *prefilter
}

func (i info) cond() *prefilter {
	if i.exact == nil {
		return i.c
	}
	return orLits(i.exact)
}

func exactInfo(set []string) info {
	slices.Sort(set)
	return info{exact: slices.Compact(set)}
}

var anyInfo = info{c: pfAny}

func pfInfo(re *syntax.Regexp) info {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine,
		syntax.OpBeginText, syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return exactInfo([]string{""})
	case syntax.OpLiteral:
		return literalInfo(re.Rune)
	case syntax.OpCharClass:
		return classInfo(re.Rune)
	case syntax.OpCapture:
		return pfInfo(re.Sub[0])
	case syntax.OpQuest:
		if sub := pfInfo(re.Sub[0]); sub.exact != nil {
			return exactInfo(append(slices.Clone(sub.exact), ""))
		}
		return anyInfo
	case syntax.OpPlus:
		return info{c: pfInfo(re.Sub[0]).cond()}
	case syntax.OpRepeat:
		if re.Min == 0 {
			return anyInfo
		}
		return info{c: pfInfo(re.Sub[0]).cond()}
	case syntax.OpConcat:
		return concatInfo(re.Sub)
	case syntax.OpAlternate:
		return alternateInfo(re.Sub)
	}
	// OpStar, OpAnyChar, OpAnyCharNotNL, OpNoMatch and anything new
	return anyInfo
}

// literalInfo is a literal's exact string, or, when it holds runes that
// foldText does not make ASCII (U+FFFD also matches an invalid byte), the
// condition that the text holds each of the runs between them.
func literalInfo(runes []rune) info {
	var runs []string
	var b []byte
	for _, r := range runes {
		c, ok := foldRune(r)
		if !ok {
			runs = append(runs, string(b))
			b = b[:0]
			continue
		}
		b = append(b, c)
	}
	if runs == nil {
		return info{exact: []string{string(b)}}
	}
	runs = append(runs, string(b))
	c := make([]*prefilter, 0, len(runs))
	for _, s := range runs {
		c = append(c, orLits([]string{s}))
	}
	return info{c: and(c...)}
}

// classInfo enumerates a small class (pairs of ranges in runes) whose
// members all compare by lower-casing ASCII: [= ] or [Aa].
func classInfo(ranges []rune) info {
	var set []string
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		if hi-lo >= maxExact || len(set)+int(hi-lo)+1 > 2*maxExact {
			return anyInfo
		}
		for r := lo; r <= hi; r++ {
			c, ok := foldRune(r)
			if !ok {
				return anyInfo
			}
			set = append(set, string(c))
		}
	}
	if len(set) == 0 {
		return anyInfo // matches nothing; no condition needed
	}
	set = exactInfo(set).exact
	if len(set) > maxExact {
		return anyInfo
	}
	return info{exact: set}
}

func concatInfo(subs []*syntax.Regexp) info {
	var conds []*prefilter
	cur := []string{""} // exact set of the parts since the last condition
	for _, s := range subs {
		in := pfInfo(s)
		if in.exact != nil && len(cur)*len(in.exact) <= maxExact {
			next := make([]string, 0, len(cur)*len(in.exact))
			long := false
			for _, a := range cur {
				for _, b := range in.exact {
					next = append(next, a+b)
					long = long || len(a+b) > maxExactLen
				}
			}
			if !long {
				cur = exactInfo(next).exact
				continue
			}
		}
		conds = append(conds, orLits(cur))
		if in.exact != nil {
			cur = in.exact
		} else {
			conds = append(conds, in.c)
			cur = []string{""}
		}
	}
	if conds == nil {
		return info{exact: cur}
	}
	conds = append(conds, orLits(cur))
	return info{c: and(conds...)}
}

func alternateInfo(subs []*syntax.Regexp) info {
	infos := make([]info, len(subs))
	exact := true
	n := 0
	for i, s := range subs {
		infos[i] = pfInfo(s)
		exact = exact && infos[i].exact != nil
		n += len(infos[i].exact)
	}
	if exact && n <= maxExact {
		var set []string
		for _, in := range infos {
			set = append(set, in.exact...)
		}
		return exactInfo(set)
	}
	c := make([]*prefilter, len(infos))
	for i, in := range infos {
		c[i] = in.cond()
	}
	return info{c: or(c...)}
}

// orLits is the condition that the text holds one of set: none when one
// of them is shorter than minLit.
func orLits(set []string) *prefilter {
	if len(set) == 0 {
		return pfAny
	}
	c := make([]*prefilter, 0, len(set))
	for _, s := range set {
		if len(s) < minLit {
			return pfAny
		}
		c = append(c, &prefilter{op: pfLit, lit: []byte(s)})
	}
	return or(c...)
}

// and and or join conditions, flattening those of the same kind: a part
// that is no condition drops out of an AND and makes an OR none.
func and(parts ...*prefilter) *prefilter { return join(pfAnd, parts) }

func or(parts ...*prefilter) *prefilter { return join(pfOr, parts) }

func join(op pfOp, parts []*prefilter) *prefilter {
	var keep []*prefilter
	for _, p := range parts {
		switch {
		case p.op == pfAll && op == pfOr:
			return pfAny
		case p.op == pfAll:
		case p.op == op:
			keep = append(keep, p.subs...)
		default:
			keep = append(keep, p)
		}
	}
	switch len(keep) {
	case 0:
		return pfAny
	case 1:
		return keep[0]
	}
	return &prefilter{op: op, subs: keep}
}

// foldRune is r as foldText leaves it, if that is one byte.
func foldRune(r rune) (byte, bool) {
	switch {
	case r >= 'A' && r <= 'Z':
		return byte(r) + 'a' - 'A', true
	case r < 0x80:
		return byte(r), true
	case r == '\u017f':
		return 's', true
	case r == '\u212a':
		return 'k', true
	}
	return 0, false
}

// foldText appends text to dst folded as the prefilters compare it:
// ASCII letters lower-cased, and the two non-ASCII runes that (?i) makes
// match ASCII letters replaced by them (the Kelvin sign K by k, the long
// s by s). Only containment is asked of the result, so its offsets need
// not match the text's.
func foldText(dst, text []byte) []byte {
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c == 0xc5 && i+1 < len(text) && text[i+1] == 0xbf: // U+017F
			c = 's'
			i++
		case c == 0xe2 && i+2 < len(text) && text[i+1] == 0x84 && text[i+2] == 0xaa: // U+212A
			c = 'k'
			i += 2
		}
		dst = append(dst, c)
	}
	return dst
}
