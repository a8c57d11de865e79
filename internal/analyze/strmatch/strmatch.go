// Package strmatch is the string-rule engine: one keyword pass per file
// for every family of string rules (secret patterns, version
// fingerprints, and config, endpoint and TLS rules as they come).
//
// A family registers a Pack: its keywords, each either case-insensitive
// (ASCII letters fold) or exact. A Set compiles the keywords of every pack
// into one Aho-Corasick automaton (a dense DFA over case-folded byte
// classes, one table load per input byte) behind a prefilter on the
// keywords' first four bytes, so that the automaton runs only near
// candidates and the pass costs little more as the keyword count grows. Set.Scan reads a file's bytes
// once and sorts the hits by pack; exact keywords are verified against the
// bytes at the hit. Each family then runs its own matcher (regular
// expressions, windows, allowlists) only near its hits. The engine knows
// nothing about what the families look for.
//
// How one pass serves several analyzers: the scan engine collects the
// packs of every FileAnalyzer that has them (Packer), compiles one Set per
// scan, and hands each file a lazy File (plugin.Input.Keywords). The
// first analyzer that asks for its hits runs the pass over the file's
// bytes; the others read the stored result. An analyzer called without
// a File (tests, single-family tools) gets the same hits from a pass over
// its own pack alone (Find), so results never depend on which families
// run together.
package strmatch

import (
	"bytes"
	"sync"
)

// Keyword is one literal a rule family wants located.
type Keyword struct {
	Text string
	// Exact keywords match byte for byte; the others ignore ASCII case.
	Exact bool
}

// Pack is one family's keyword list. Hits name keywords by their index
// in Keywords.
type Pack struct {
	name     string
	keywords []Keyword

	soloOnce sync.Once
	solo     *Set
}

// NewPack makes a pack; name is for diagnostics only.
func NewPack(name string, keywords []Keyword) *Pack {
	return &Pack{name: name, keywords: keywords}
}

// Name returns the pack's name.
func (p *Pack) Name() string { return p.name }

// Keywords returns the pack's keywords.
func (p *Pack) Keywords() []Keyword { return p.keywords }

// Packer is implemented by analyzers whose rules are string rules; the
// scan engine compiles their packs into one Set.
type Packer interface {
	StringPacks() []*Pack
}

// Hit is one keyword occurrence: Pos is the offset of its first byte, Kw
// its index in the pack. A pack's hits come in order of their end
// offset, longer keywords first when several end at the same byte.
type Hit struct{ Pos, Kw int }

// target is one (pack, keyword) behind a folded pattern.
type target struct {
	pack, kw int
	exact    []byte // nil: case-insensitive
}

// Set is a compiled group of packs. It is immutable and safe for
// concurrent use.
type Set struct {
	packs   []*Pack
	index   map[*Pack]int
	dfa     *keywordDFA
	targets [][]target // pattern -> targets
}

// Compile builds one automaton over the keywords of every pack (a pack
// given twice is compiled once).
func Compile(packs ...*Pack) *Set {
	s := &Set{index: map[*Pack]int{}}
	patIdx := map[string]int{}
	var pats []string
	for _, p := range packs {
		if p == nil {
			continue
		}
		if _, dup := s.index[p]; dup {
			continue
		}
		pi := len(s.packs)
		s.index[p] = pi
		s.packs = append(s.packs, p)
		for ki, k := range p.keywords {
			if k.Text == "" {
				continue
			}
			f := fold(k.Text)
			j, ok := patIdx[f]
			if !ok {
				j = len(pats)
				patIdx[f] = j
				pats = append(pats, f)
				s.targets = append(s.targets, nil)
			}
			t := target{pack: pi, kw: ki}
			if k.Exact {
				t.exact = []byte(k.Text)
			}
			s.targets[j] = append(s.targets[j], t)
		}
	}
	s.dfa = newKeywordDFA(pats)
	return s
}

// fold lower-cases ASCII letters only (the automaton's folding); other
// bytes, UTF-8 or not, stay as they are.
func fold(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// Has says whether p is compiled into s.
func (s *Set) Has(p *Pack) bool {
	if s == nil {
		return false
	}
	_, ok := s.index[p]
	return ok
}

// Result holds one pass's hits, by pack.
type Result struct {
	set  *Set
	hits [][]Hit
}

// Scan is the one pass over data.
func (s *Set) Scan(data []byte) Result {
	r := Result{set: s, hits: make([][]Hit, len(s.packs))}
	// One slab for the first hits of every pack (source and config text
	// holds a keyword every few hundred bytes; binaries far fewer, one in
	// several KiB, so the slab is sized for text below 1 KiB per hit and
	// capped: a binary's is not megabytes of zeroed memory): fewer
	// allocations and regrowths per file.
	n := min(len(data)/512, 1<<11)
	slab := make([]Hit, n*len(s.packs))
	for i := range r.hits {
		r.hits[i], slab = slab[:0:n], slab[n:]
	}
	s.dfa.scan(data, func(i, state int) { s.emit(&r, data, i, state) })
	return r
}

// emit records the hits of every keyword ending at data[i] (the automaton
// is in state).
func (s *Set) emit(r *Result, data []byte, i int, state int) {
	for _, pat := range s.dfa.out[state] {
		start := i - s.dfa.lens[pat] + 1
		for _, t := range s.targets[pat] {
			if t.exact != nil && !bytes.Equal(data[start:i+1], t.exact) {
				continue
			}
			r.hits[t.pack] = append(r.hits[t.pack], Hit{Pos: start, Kw: t.kw})
		}
	}
}

// Hits returns p's hits (nil, false when p is not in the set).
func (r Result) Hits(p *Pack) ([]Hit, bool) {
	i, ok := r.set.index[p]
	if !ok {
		return nil, false
	}
	return r.hits[i], true
}

// File is the pass over one file, run on first use. It belongs to one
// goroutine (the worker handling the file).
type File struct {
	set  *Set
	data []byte
	done bool
	res  Result
}

// File prepares the lazy pass over data. A nil Set gives a nil File.
func (s *Set) File(data []byte) *File {
	if s == nil {
		return nil
	}
	return &File{set: s, data: data}
}

// Find returns p's hits in data: from the file's shared pass when f
// covers p and data, else from a pass over p alone.
func Find(f *File, p *Pack, data []byte) []Hit {
	if f != nil && f.set.Has(p) && sameBytes(f.data, data) {
		if !f.done {
			f.res, f.done = f.set.Scan(f.data), true
		}
		h, _ := f.res.Hits(p)
		return h
	}
	p.soloOnce.Do(func() { p.solo = Compile(p) })
	h, _ := p.solo.Scan(data).Hits(p)
	return h
}

// sameBytes says whether a and b are the same slice (not merely equal).
func sameBytes(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	return len(a) == 0 || &a[0] == &b[0]
}
