package services

import (
	"strings"
)

// A small reader of the POSIX shell that init scripts are written in:
// enough to follow what a boot script starts (commands, case branches,
// functions, for loops over globs, variables, sourced files), not a
// shell. Everything it cannot follow it skips.

type tokKind uint8

const (
	tWord tokKind = iota
	tOp
)

type token struct {
	kind tokKind
	text string // a word as written (quotes kept), or the operator
	line int
}

// Limits that keep a hostile script cheap.
const (
	maxTokens  = 200000
	maxNesting = 64
	maxDepth   = 8      // scripts calling or sourcing scripts, function calls
	maxGlob    = 256    // names a glob expands to
	maxRuns    = 200000 // commands and words run per device root
)

// lex splits a script into words and operators. Comments, line
// continuations, redirections and here-documents are dropped.
func lex(src []byte) []token {
	var toks []token
	s := string(src)
	line := 1
	i := 0
	var heredocs []string // delimiters waiting for the next newline
	word := strings.Builder{}
	wline := 0
	flush := func() {
		if word.Len() > 0 {
			toks = append(toks, token{tWord, word.String(), wline})
			word.Reset()
		}
	}
	add := func(op string) {
		flush()
		toks = append(toks, token{tOp, op, line})
	}
	start := func() {
		if word.Len() == 0 {
			wline = line
		}
	}
	for i < len(s) && len(toks) < maxTokens {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] == '\n':
			i += 2
			line++
		case c == '\\' && i+1 < len(s):
			start()
			word.WriteString(s[i : i+2])
			i += 2
		case c == '\n':
			add("\n")
			line++
			i++
			for _, d := range heredocs {
				// skip the body up to the delimiter line
				for i < len(s) {
					j := strings.IndexByte(s[i:], '\n')
					var l string
					if j < 0 {
						l, i = s[i:], len(s)
					} else {
						l, i = s[i:i+j], i+j+1
						line++
					}
					if strings.TrimLeft(l, "\t") == d {
						break
					}
				}
			}
			heredocs = nil
		case c == ' ' || c == '\t' || c == '\r':
			flush()
			i++
		case c == '#' && word.Len() == 0:
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '\'':
			start()
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				j = len(s) - i - 1
			}
			seg := s[i:min(len(s), i+j+2)]
			word.WriteString(seg)
			line += strings.Count(seg, "\n")
			i += len(seg)
		case c == '"' || c == '`':
			start()
			j := i + 1
			for j < len(s) && s[j] != c {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			seg := s[i:min(len(s), j+1)]
			word.WriteString(seg)
			line += strings.Count(seg, "\n")
			i += len(seg)
		case c == '$' && i+1 < len(s) && (s[i+1] == '(' || s[i+1] == '{'):
			start()
			open, close := s[i+1], byte(')')
			if open == '{' {
				close = '}'
			}
			depth, j := 0, i+1
			for ; j < len(s); j++ {
				if s[j] == open {
					depth++
				} else if s[j] == close {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			seg := s[i:min(len(s), j+1)]
			word.WriteString(seg)
			line += strings.Count(seg, "\n")
			i += len(seg)
		case c == '>' || c == '<' || (c == '&' && i+1 < len(s) && s[i+1] == '>'):
			// a redirection: drop an fd number before it, the operator
			// and its target
			if w := word.String(); w != "" && strings.Trim(w, "0123456789") == "" {
				word.Reset()
			}
			flush()
			j := i + 1
			for j < len(s) && (s[j] == '>' || s[j] == '<' || s[j] == '&' || s[j] == '|' || s[j] == '-') {
				j++
			}
			op := s[i:j]
			for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
				j++
			}
			k := j
			for k < len(s) && !strings.ContainsRune(" \t\n;&|()<>", rune(s[k])) {
				k++
			}
			if strings.HasPrefix(op, "<<") {
				heredocs = append(heredocs, strings.Trim(s[j:k], `'"\`))
			}
			i = k
		case c == ';' || c == '&' || c == '|':
			if i+1 < len(s) && s[i+1] == c {
				add(s[i : i+2])
				i += 2
			} else {
				add(string(c))
				i++
			}
		case c == '(' || c == ')':
			add(string(c))
			i++
		default:
			start()
			word.WriteByte(c)
			i++
		}
	}
	flush()
	return toks
}

// node is a parsed piece of a script.
type node struct {
	kind  nodeKind
	words []token // simple: the words; case: the subject; for: the list
	name  string  // for: the variable; func: its name
	bg    bool    // simple: ends in &
	items []caseItem
	body  []node
	line  int
}

type nodeKind uint8

const (
	nSimple nodeKind = iota
	nCase
	nFor
	nFunc
	nGroup
)

type caseItem struct {
	patterns []token
	body     []node
}

type parser struct {
	toks  []token
	i     int
	depth int
}

func parse(src []byte) []node {
	p := &parser{toks: lex(src)}
	var all []node
	for p.i < len(p.toks) {
		all = append(all, p.list(nil, nil)...)
		if p.i < len(p.toks) {
			p.i++ // a stray closer
		}
	}
	return all
}

func (p *parser) peek() *token {
	if p.i < len(p.toks) {
		return &p.toks[p.i]
	}
	return nil
}

func isWord(t *token, w string) bool { return t != nil && t.kind == tWord && t.text == w }
func isOp(t *token, o string) bool   { return t != nil && t.kind == tOp && t.text == o }

// list parses commands until one of the stop words at a command's start,
// or one of the stop operators, which it leaves unconsumed.
func (p *parser) list(stopWords, stopOps []string) []node {
	var out []node
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxNesting {
		p.i = len(p.toks)
		return nil
	}
	for {
		t := p.peek()
		if t == nil {
			return out
		}
		if t.kind == tOp {
			for _, o := range stopOps {
				if t.text == o {
					return out
				}
			}
			switch t.text {
			case "(":
				p.i++
				out = append(out, node{kind: nGroup, body: p.list(nil, []string{")"}), line: t.line})
				p.i++
			case "&":
				if len(out) > 0 && out[len(out)-1].kind == nSimple {
					out[len(out)-1].bg = true
				}
				p.i++
			default:
				p.i++
			}
			continue
		}
		for _, w := range stopWords {
			if t.text == w {
				return out
			}
		}
		switch t.text {
		case "case":
			out = append(out, p.caseNode())
		case "for":
			out = append(out, p.forNode())
		case "if", "while", "until":
			p.i++
			out = append(out, node{kind: nGroup, body: p.compound(t.text), line: t.line})
		case "{":
			p.i++
			out = append(out, node{kind: nGroup, body: p.list([]string{"}"}, nil), line: t.line})
			p.i++
		case "then", "else", "elif", "fi", "do", "done", "esac", "}", "!", "in":
			p.i++
		case "function":
			p.i++
			if n := p.peek(); n != nil && n.kind == tWord {
				p.i++
				if isOp(p.peek(), "(") {
					p.i += 2
				}
				out = append(out, p.funcBody(n.text, n.line))
			}
		default:
			if p.i+2 < len(p.toks) && isOp(&p.toks[p.i+1], "(") && isOp(&p.toks[p.i+2], ")") {
				p.i += 3
				out = append(out, p.funcBody(t.text, t.line))
				continue
			}
			out = append(out, p.simple())
		}
	}
}

func (p *parser) simple() node {
	n := node{kind: nSimple, line: p.toks[p.i].line}
	for t := p.peek(); t != nil && t.kind == tWord; t = p.peek() {
		n.words = append(n.words, *t)
		p.i++
	}
	return n
}

// compound parses the rest of an if or a loop whose keyword was read.
func (p *parser) compound(kw string) []node {
	if kw == "if" {
		body := p.list([]string{"then"}, nil)
		for {
			p.i++ // then, elif or else
			body = append(body, p.list([]string{"elif", "else", "fi"}, nil)...)
			t := p.peek()
			if t == nil || isWord(t, "fi") {
				p.i++
				return body
			}
		}
	}
	body := p.list([]string{"do"}, nil)
	p.i++
	body = append(body, p.list([]string{"done"}, nil)...)
	p.i++
	return body
}

func (p *parser) funcBody(name string, line int) node {
	for isOp(p.peek(), "\n") {
		p.i++
	}
	n := node{kind: nFunc, name: name, line: line}
	switch t := p.peek(); {
	case isWord(t, "{"):
		p.i++
		n.body = p.list([]string{"}"}, nil)
		p.i++
	case isOp(t, "("):
		p.i++
		n.body = p.list(nil, []string{")"})
		p.i++
	}
	return n
}

func (p *parser) caseNode() node {
	n := node{kind: nCase, line: p.toks[p.i].line}
	p.i++
	if t := p.peek(); t != nil && t.kind == tWord {
		n.words = []token{*t}
		p.i++
	}
	if isWord(p.peek(), "in") {
		p.i++
	}
	for {
		for t := p.peek(); t != nil && (isOp(t, "\n") || isOp(t, ";") || isOp(t, ";;")); t = p.peek() {
			p.i++
		}
		t := p.peek()
		if t == nil {
			return n
		}
		if isWord(t, "esac") {
			p.i++
			return n
		}
		var it caseItem
		if isOp(t, "(") {
			p.i++
		}
		for t := p.peek(); t != nil && !isOp(t, ")"); t = p.peek() {
			if t.kind == tWord {
				it.patterns = append(it.patterns, *t)
			} else if t.text != "|" {
				break
			}
			p.i++
		}
		p.i++ // )
		it.body = p.list([]string{"esac"}, []string{";;"})
		n.items = append(n.items, it)
		if p.depth > maxNesting {
			return n
		}
	}
}

func (p *parser) forNode() node {
	n := node{kind: nFor, line: p.toks[p.i].line}
	p.i++
	if t := p.peek(); t != nil && t.kind == tWord {
		n.name = t.text
		p.i++
	}
	if isWord(p.peek(), "in") {
		p.i++
		for t := p.peek(); t != nil && t.kind == tWord; t = p.peek() {
			n.words = append(n.words, *t)
			p.i++
		}
	}
	for t := p.peek(); t != nil && !isWord(t, "do"); t = p.peek() {
		p.i++
	}
	p.i++
	n.body = p.list([]string{"done"}, nil)
	p.i++
	return n
}

// expand performs the expansions a word gets (quotes, $VAR, ${VAR:-x})
// with the variables known; command substitutions expand to nothing.
// Unquoted expansions split into fields. glob says whether an unquoted
// glob character remains.
func expand(raw string, vars map[string]string) (fields []string, glob bool) {
	var cur strings.Builder
	have := false
	emit := func() {
		if have {
			fields = append(fields, cur.String())
		}
		cur.Reset()
		have = false
	}
	var walk func(s string, quoted bool, depth int)
	walk = func(s string, quoted bool, depth int) {
		for i := 0; i < len(s); {
			c := s[i]
			switch {
			case c == '\'' && !quoted:
				j := strings.IndexByte(s[i+1:], '\'')
				if j < 0 {
					j = len(s) - i - 1
				}
				cur.WriteString(s[i+1 : i+1+j])
				have = true
				i += j + 2
			case c == '"' && !quoted:
				j := i + 1
				for j < len(s) && s[j] != '"' {
					if s[j] == '\\' {
						j++
					}
					j++
				}
				have = true
				if depth < 8 {
					walk(s[i+1:min(j, len(s))], true, depth+1)
				}
				i = j + 1
			case c == '\\' && i+1 < len(s):
				cur.WriteByte(s[i+1])
				have = true
				i += 2
			case c == '`':
				j := strings.IndexByte(s[i+1:], '`')
				if j < 0 {
					j = len(s) - i - 1
				}
				i += j + 2
			case c == '$' && i+1 < len(s):
				val, n := dollar(s[i:], vars, depth)
				i += n
				if quoted {
					cur.WriteString(val)
					have = true
					continue
				}
				for k, f := range strings.Fields(val) {
					if k > 0 || (len(val) > 0 && (val[0] == ' ' || val[0] == '\t')) {
						emit()
					}
					cur.WriteString(f)
					have = true
				}
				if len(val) > 0 && (val[len(val)-1] == ' ' || val[len(val)-1] == '\t') {
					emit()
				}
			default:
				if !quoted && (c == '*' || c == '?' || c == '[') {
					glob = true
				}
				cur.WriteByte(c)
				have = true
				i++
			}
		}
	}
	walk(raw, false, 0)
	emit()
	return fields, glob
}

// dollar expands the $ expression at the start of s and says how many
// bytes it took.
func dollar(s string, vars map[string]string, depth int) (string, int) {
	switch s[1] {
	case '(':
		d := 0
		for j := 1; j < len(s); j++ {
			if s[j] == '(' {
				d++
			} else if s[j] == ')' {
				d--
				if d == 0 {
					return "", j + 1
				}
			}
		}
		return "", len(s)
	case '{':
		j := strings.IndexByte(s, '}')
		if j < 0 {
			return "", len(s)
		}
		inner := s[2:j]
		k := 0
		if strings.HasPrefix(inner, "#") {
			return "", j + 1
		}
		for k < len(inner) && (isNameByte(inner[k]) || (k == 0 && inner[k] >= '0' && inner[k] <= '9')) {
			k++
		}
		name, op := inner[:k], inner[k:]
		v, set := vars[name]
		for _, o := range []string{":-", ":=", "-", "="} {
			if rest, ok := strings.CutPrefix(op, o); ok {
				if !set || (o[0] == ':' && v == "") {
					if depth < 8 {
						fs, _ := expand(rest, vars)
						return strings.Join(fs, " "), j + 1
					}
					return "", j + 1
				}
				return v, j + 1
			}
		}
		if rest, ok := strings.CutPrefix(op, ":+"); ok {
			if set && v != "" {
				return rest, j + 1
			}
			return "", j + 1
		}
		return v, j + 1
	}
	k := 1
	if s[1] >= '0' && s[1] <= '9' || strings.IndexByte("@*#?$!-", s[1]) >= 0 {
		k = 2
	} else {
		for k < len(s) && isNameByte(s[k]) {
			k++
		}
		if k == 1 {
			return "$", 1
		}
	}
	return vars[s[1:k]], k
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// assignment splits NAME=value.
func assignment(w string) (string, string, bool) {
	i := strings.IndexByte(w, '=')
	if i <= 0 {
		return "", "", false
	}
	for j := 0; j < i; j++ {
		if !isNameByte(w[j]) || (j == 0 && w[j] >= '0' && w[j] <= '9') {
			return "", "", false
		}
	}
	return w[:i], w[i+1:], true
}
