// Package lazyre is a regular expression compiled on first use. A
// package-level regexp.MustCompile runs in every process, for every
// command, whether or not the command ever matches it; thingsec has a
// hundred of them, in analyzers most commands never run. A Regexp here
// costs nothing until a method is called, then compiles once (safe for
// concurrent use) and behaves as regexp.MustCompile's would.
//
// An invalid expression panics on first use instead of at start-up:
// All lists every Regexp made, and a test of a package that links them
// all (cmd/thingsec) compiles each one.
package lazyre

import (
	"regexp"
	"sync"
	"sync/atomic"
)

// Regexp is a regular expression compiled on first use.
type Regexp struct {
	expr string
	re   atomic.Pointer[regexp.Regexp]
	mu   sync.Mutex // held while compiling
}

var (
	allMu sync.Mutex
	all   []*Regexp
)

// New returns expr, to be compiled when first used.
func New(expr string) *Regexp {
	r := &Regexp{expr: expr}
	allMu.Lock()
	all = append(all, r)
	allMu.Unlock()
	return r
}

// All returns every Regexp made so far (for the test that compiles them).
func All() []*Regexp {
	allMu.Lock()
	defer allMu.Unlock()
	return append([]*Regexp(nil), all...)
}

// Re returns the compiled expression, compiling it on first use; it
// panics as regexp.MustCompile does when the expression is invalid.
func (l *Regexp) Re() *regexp.Regexp {
	if re := l.re.Load(); re != nil {
		return re
	}
	re, err := l.Compile()
	if err != nil {
		panic("lazyre: " + err.Error())
	}
	return re
}

// Compile compiles the expression unless it was, returning its error
// instead of panicking.
func (l *Regexp) Compile() (*regexp.Regexp, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if re := l.re.Load(); re != nil {
		return re, nil
	}
	re, err := regexp.Compile(l.expr)
	if err != nil {
		return nil, err
	}
	l.re.Store(re)
	return re, nil
}

// String returns the source text (without compiling it).
func (l *Regexp) String() string { return l.expr }

// The methods of regexp.Regexp that thingsec uses.

func (l *Regexp) Match(b []byte) bool              { return l.Re().Match(b) }
func (l *Regexp) MatchString(s string) bool        { return l.Re().MatchString(s) }
func (l *Regexp) Find(b []byte) []byte             { return l.Re().Find(b) }
func (l *Regexp) FindIndex(b []byte) []int         { return l.Re().FindIndex(b) }
func (l *Regexp) FindString(s string) string       { return l.Re().FindString(s) }
func (l *Regexp) FindStringIndex(s string) []int   { return l.Re().FindStringIndex(s) }
func (l *Regexp) FindSubmatch(b []byte) [][]byte   { return l.Re().FindSubmatch(b) }
func (l *Regexp) FindSubmatchIndex(b []byte) []int { return l.Re().FindSubmatchIndex(b) }
func (l *Regexp) FindStringSubmatch(s string) []string {
	return l.Re().FindStringSubmatch(s)
}
func (l *Regexp) FindStringSubmatchIndex(s string) []int {
	return l.Re().FindStringSubmatchIndex(s)
}
func (l *Regexp) FindAll(b []byte, n int) [][]byte { return l.Re().FindAll(b, n) }
func (l *Regexp) FindAllIndex(b []byte, n int) [][]int {
	return l.Re().FindAllIndex(b, n)
}
func (l *Regexp) FindAllString(s string, n int) []string {
	return l.Re().FindAllString(s, n)
}
func (l *Regexp) FindAllStringIndex(s string, n int) [][]int {
	return l.Re().FindAllStringIndex(s, n)
}
func (l *Regexp) FindAllSubmatch(b []byte, n int) [][][]byte {
	return l.Re().FindAllSubmatch(b, n)
}
func (l *Regexp) FindAllSubmatchIndex(b []byte, n int) [][]int {
	return l.Re().FindAllSubmatchIndex(b, n)
}
func (l *Regexp) FindAllStringSubmatch(s string, n int) [][]string {
	return l.Re().FindAllStringSubmatch(s, n)
}
func (l *Regexp) FindAllStringSubmatchIndex(s string, n int) [][]int {
	return l.Re().FindAllStringSubmatchIndex(s, n)
}
func (l *Regexp) ReplaceAllString(src, repl string) string {
	return l.Re().ReplaceAllString(src, repl)
}
func (l *Regexp) ReplaceAllLiteralString(src, repl string) string {
	return l.Re().ReplaceAllLiteralString(src, repl)
}
func (l *Regexp) ReplaceAllStringFunc(src string, repl func(string) string) string {
	return l.Re().ReplaceAllStringFunc(src, repl)
}
func (l *Regexp) ReplaceAll(src, repl []byte) []byte { return l.Re().ReplaceAll(src, repl) }
func (l *Regexp) Split(s string, n int) []string     { return l.Re().Split(s, n) }
func (l *Regexp) NumSubexp() int                     { return l.Re().NumSubexp() }
func (l *Regexp) SubexpNames() []string              { return l.Re().SubexpNames() }
func (l *Regexp) SubexpIndex(name string) int        { return l.Re().SubexpIndex(name) }
