package cgi

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/thingsec/thingsec/internal/analyze/srctext"
	"github.com/thingsec/thingsec/internal/lazyre"
)

// Flow is one path from request data to a command: the steps from the
// line that reads the request to the sink.
type Flow struct {
	Kind   string // "command" (the text is run by a shell) or "argument" (unquoted in a command line)
	Sink   string // the sink's name: os.execute, system, eval, ...
	Source string // the request source: QUERY_STRING, formvalue("host"), $_GET, ...
	Steps  []Step // source first, sink last
}

// Step is one line of a flow.
type Step struct {
	Line int
	Var  string // the variable the line assigns; "" at the sink
	Text string // the statement, trimmed
}

// Trace renders the flow for a finding's evidence.
func (f Flow) Trace() string {
	var b strings.Builder
	fmt.Fprintf(&b, "request %s", f.Source)
	for _, s := range f.Steps {
		b.WriteString(" -> ")
		if s.Var != "" {
			fmt.Fprintf(&b, "line %d: %s", s.Line, s.Var)
		} else {
			fmt.Fprintf(&b, "line %d: %s", s.Line, clip(s.Text, 100))
		}
	}
	return b.String()
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// taint is what a variable carries: the flow that reached it.
type taint struct {
	source string
	steps  []Step
}

// lang describes one script language for the taint pass.
type lang struct {
	name string
	// sources find request data in a statement (capture 0 names it).
	sources []*lazyre.Regexp
	// assign splits an assignment into variable and expression.
	assign *lazyre.Regexp
	// sinks are calls whose argument a shell runs.
	sinks []sink
	// sanitize matches an expression whose value is safe whatever goes in.
	sanitize *lazyre.Regexp
	// guard matches a whitelist check of a variable that stops its taint
	// for the rest of the file.
	guard *lazyre.Regexp
	// ref finds references to the variable name in an expression.
	ref func(name string) *regexp.Regexp
	// strip removes literal text that cannot reference variables.
	strip    func(string) string
	comments srctext.Lang
	join     bool // statements continue while parentheses are open
}

type sink struct {
	name string
	re   *lazyre.Regexp // matches the sink; the argument starts at the end of the match
	kind string
}

var (
	luaSourceRe = []*lazyre.Regexp{
		lazyre.New(`(?:os|nixio)\.getenv\s*\(\s*["'](?:QUERY_STRING|REQUEST_URI|PATH_INFO|HTTP_[A-Z_]+|CONTENT_TYPE|SCRIPT_NAME)["']\s*\)`),
		lazyre.New(`(?:luci\.)?http\.(?:formvalue|formvaluetable|content|getenv|getcookie|urldecode_params)\s*\(`),
		lazyre.New(`\bformvalue\s*\(`),
		lazyre.New(`io\.(?:read|stdin:read|lines)\s*\(`),
	}
	shSourceRe = []*lazyre.Regexp{
		lazyre.New(`\$\{?(?:QUERY_STRING|REQUEST_URI|PATH_INFO|HTTP_[A-Z_]+|FORM_\w+|GET_\w+|POST_\w+|COOKIE_\w+)\b`),
	}
	phpSourceRe = []*lazyre.Regexp{
		lazyre.New(`\$_(?:GET|POST|REQUEST|COOKIE|FILES)\b`),
		lazyre.New(`\$_SERVER\s*\[\s*["'](?:QUERY_STRING|REQUEST_URI|PATH_INFO|HTTP_[A-Z_]+)["']`),
		lazyre.New(`php://input`),
		lazyre.New(`getenv\s*\(\s*["']QUERY_STRING["']`),
	}
)

var langs = map[string]*lang{
	"lua": {
		name:    "lua",
		sources: luaSourceRe,
		assign:  lazyre.New(`^\s*(?:local\s+)?([A-Za-z_][\w]*)\s*=\s*([^=].*)$`),
		sinks: []sink{
			{"os.execute", lazyre.New(`\bos\.execute\s*\(`), "command"},
			{"io.popen", lazyre.New(`\bio\.popen\s*\(`), "command"},
			{"luci.sys.call", lazyre.New(`\b(?:luci\.)?sys\.(?:call|exec|fork_exec|fork_call)\s*\(`), "command"},
			{"luci.util.exec", lazyre.New(`\b(?:luci\.)?util\.(?:exec|execi|ubus_exec)\s*\(`), "command"},
			{"nixio.exec", lazyre.New(`\bnixio\.(?:exec|execp)\s*\(\s*["'](?:/bin/)?(?:ba)?sh["']`), "command"},
		},
		sanitize: lazyre.New(`\btonumber\s*\(|\b(?:luci\.)?util\.shellquote\s*\(|\bshellquote\s*\(|\bmath\.floor\s*\(|\bdatatypes\.\w+\s*\(`),
		guard:    lazyre.New(`:match\s*\(\s*["']\^\[[^\]]*%[wda][^\]]*\][+*]\$["']|\bmatch\s*\([^,]+,\s*["']\^\[[^\]]*%[wda][^\]]*\][+*]\$["']|datatypes\.(?:host|ipaddr|ip4addr|ip6addr|hostname|uinteger|integer)\s*\(`),
		ref: func(name string) *regexp.Regexp {
			return regexp.MustCompile(`(?:^|[^\w.:])` + regexp.QuoteMeta(name) + `\b`)
		},
		strip:    stripQuoted(true, true),
		comments: srctext.Lua,
		join:     true,
	},
	"php": {
		name:    "php",
		sources: phpSourceRe,
		assign:  lazyre.New(`^\s*\$([A-Za-z_]\w*)\s*(?:\.=|=)\s*([^=].*?);?\s*$`),
		sinks: []sink{
			{"system", lazyre.New(`(?:^|[^\w>$:])(?:system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec)\s*\(`), "command"},
			{"backticks", lazyre.New("`"), "command"},
		},
		sanitize: lazyre.New(`\bescapeshellarg\s*\(|\bescapeshellcmd\s*\(|\bintval\s*\(|\(int\)|\bfilter_var\s*\([^)]*FILTER_VALIDATE_(?:INT|IP)|\bfloatval\s*\(`),
		guard:    lazyre.New(`\bpreg_match\s*\(\s*['"]/\^\[[^\]]*\][+*]\$/[a-z]*['"]|\bctype_(?:alnum|digit|alpha)\s*\(|\bis_numeric\s*\(|\bfilter_var\s*\(`),
		ref: func(name string) *regexp.Regexp {
			return regexp.MustCompile(`\$` + regexp.QuoteMeta(name) + `\b`)
		},
		strip:    stripQuoted(false, true),
		comments: srctext.CLike,
		join:     true,
	},
	"sh": {
		name:    "sh",
		sources: shSourceRe,
		assign:  lazyre.New(`^\s*(?:local\s+|export\s+|readonly\s+)?([A-Za-z_]\w*)=(.*)$`),
		sinks: []sink{
			{"eval", lazyre.New(`(?:^|[;&|({]\s*|\bthen\s+|\bdo\s+|\belse\s+)eval\s`), "command"},
			{"sh -c", lazyre.New(`\b(?:ba|a|da|z)?sh\s+-c\s`), "command"},
			{"su -c", lazyre.New(`\bsu\s+(?:-\s+)?(?:\w+\s+)?-c\s`), "command"},
		},
		sanitize: lazyre.New(`tr\s+-(?:cd|dc)\s+['"]?\[?:?(?:alnum|digit|alpha)|tr\s+-(?:cd|dc)\s+['"]?(?:a-z|A-Z|0-9)|sed\s+(?:-\w+\s+)*['"]?s/\[\^(?:a-zA-Z0-9|\[:alnum:\]|0-9|\[:digit:\])`),
		guard:    lazyre.New(`\[\[?:alnum:\]|\[\^?a-zA-Z0-9|\[!a-zA-Z0-9|\[!?\[:alnum:\]|\[!0-9\]|\[\^0-9\]|\[\[:digit:\]\]|grep\s+-[a-zA-Z]*x?[a-zA-Z]*\s+['"]\^\[`),
		ref: func(name string) *regexp.Regexp {
			return regexp.MustCompile(`\$(?:` + regexp.QuoteMeta(name) + `\b|\{` + regexp.QuoteMeta(name) + `[}:#%/\-+=?])`)
		},
		strip:    stripSingle,
		comments: srctext.Shell,
	},
}

// cachedRef is l.ref with each variable's pattern compiled once per file.
func (l *lang) cachedRef() func(string) *regexp.Regexp {
	m := map[string]*regexp.Regexp{}
	return func(name string) *regexp.Regexp {
		re := m[name]
		if re == nil {
			re = l.ref(name)
			m[name] = re
		}
		return re
	}
}

// stripQuoted blanks the contents of string literals (double and/or
// single quoted, and Lua long brackets when double is set for Lua) but
// keeps the quotes, so references inside strings do not count.
func stripQuoted(double, single bool) func(string) string {
	return func(s string) string {
		b := []byte(s)
		var q byte
		for i := 0; i < len(b); i++ {
			c := b[i]
			switch {
			case q != 0 && c == '\\' && i+1 < len(b):
				b[i], b[i+1] = ' ', ' '
				i++
			case q != 0 && c == q:
				q = 0
			case q != 0:
				b[i] = ' '
			case c == '"' && double, c == '\'' && single:
				q = c
			}
		}
		return string(b)
	}
}

// stripSingle blanks single-quoted shell text, which expands nothing.
func stripSingle(s string) string {
	b := []byte(s)
	inDouble, inSingle := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inSingle && c == '\'':
			inSingle = false
		case inSingle:
			b[i] = ' '
		case c == '\\' && i+1 < len(b):
			i++
		case c == '"':
			inDouble = !inDouble
		case c == '\'' && !inDouble:
			inSingle = true
		}
	}
	return string(b)
}

// statement is one logical statement: lines joined while a call's
// parentheses are open.
type statement struct {
	line int
	text string
}

func statements(data []byte, l *lang) []statement {
	lines := srctext.Live(data, l.comments)
	var out []statement
	for i := 0; i < len(lines); i++ {
		st := statement{line: lines[i].N, text: strings.TrimSpace(lines[i].Text)}
		for depth(st.text, l) > 0 && i+1 < len(lines) && lines[i+1].N-lines[i].N < 20 && len(st.text) < 4096 {
			i++
			st.text += " " + strings.TrimSpace(lines[i].Text)
		}
		if l.name == "sh" {
			for strings.HasSuffix(st.text, "\\") && i+1 < len(lines) {
				i++
				st.text = strings.TrimSuffix(st.text, "\\") + " " + strings.TrimSpace(lines[i].Text)
			}
		}
		out = append(out, st)
	}
	return out
}

func depth(s string, l *lang) int {
	if !l.join {
		return 0
	}
	d := 0
	for _, c := range l.strip(s) {
		switch c {
		case '(':
			d++
		case ')':
			d--
		}
	}
	return d
}

// maxStatement is the longest statement the taint pass reads.
const maxStatement = 16 << 10

// Analyze finds the flows from request data to commands in a script of
// language name ("lua", "php", "sh").
func Analyze(name string, data []byte) []Flow {
	l := langs[name]
	if l == nil {
		return nil
	}
	vars := map[string]*taint{}
	var flows []Flow
	ref := l.cachedRef()
	for _, st := range statements(data, l) {
		if len(st.text) > maxStatement {
			continue // minified or generated code, not a CGI handler
		}
		code := l.strip(st.text)
		// a whitelist check stops the taint of the variables it tests
		if l.guard.MatchString(st.text) {
			for v := range vars {
				if ref(v).MatchString(code) || strings.Contains(st.text, v) {
					delete(vars, v)
				}
			}
		}
		flows = append(flows, sinks(l, st, code, vars, ref)...)
		if l.name == "sh" {
			flows = append(flows, shellArgs(l, st, code, vars)...)
			readVars(st, vars)
		}
		if m := l.assign.FindStringSubmatch(st.text); m != nil && !strings.HasPrefix(strings.TrimSpace(m[2]), "=") {
			v, expr := m[1], m[2]
			if t := exprTaint(l, expr, vars, ref); t != nil {
				steps := append(append([]Step{}, t.steps...), Step{Line: st.line, Var: v, Text: st.text})
				vars[v] = &taint{source: t.source, steps: steps}
			} else if !strings.Contains(st.text, ".=") {
				delete(vars, v)
			}
		}
	}
	return flows
}

// exprTaint is the taint of an expression: a request source in it, or a
// tainted variable outside a sanitizer and outside comparisons.
func exprTaint(l *lang, expr string, vars map[string]*taint, ref func(string) *regexp.Regexp) *taint {
	if l.sanitize.MatchString(l.strip(expr)) {
		return nil
	}
	raw := expr
	if l.name == "lua" {
		raw = luaValue(expr, l.strip)
	}
	code := l.strip(raw)
	look := raw // PHP and Lua sources name keys in quotes
	if l.name == "sh" {
		look = code // single-quoted shell text expands nothing
	}
	for _, re := range l.sources {
		if m := re.FindString(look); m != "" {
			return &taint{source: sourceName(m)}
		}
	}
	best := ""
	for v := range vars {
		if ref(v).MatchString(code) && (best == "" || v < best) {
			best = v
		}
	}
	if best != "" {
		return vars[best]
	}
	return nil
}

// sourceName names a request source for a person: the variable or call
// it reads.
func sourceName(s string) string {
	s = strings.TrimSpace(strings.TrimRight(s, "( "))
	for _, k := range []string{"QUERY_STRING", "REQUEST_URI", "PATH_INFO", "php://input"} {
		if strings.Contains(s, k) {
			return k
		}
	}
	return strings.TrimLeft(s, "${")
}

// luaValue drops the parts of a Lua expression that cannot become its
// value: comparisons (booleans) and the left operand of "and" (the value
// is the right operand or false). strip blanks string contents so that
// the split ignores " or " inside strings.
func luaValue(expr string, strip func(string) string) string {
	var keep []string
	code := strip(expr)
	for _, alt := range splitAt(code, expr, " or ") {
		parts := splitAt(strip(alt), alt, " and ")
		last := parts[len(parts)-1]
		if isComparison(strip(last)) {
			continue
		}
		keep = append(keep, last)
	}
	return strings.Join(keep, " or ")
}

// splitAt splits text where code (the same text with literals blanked)
// has sep outside brackets.
func splitAt(code, text, sep string) []string {
	var out []string
	start := 0
	for _, i := range splitPos(code, sep) {
		out = append(out, text[start:i])
		start = i + len(sep)
	}
	return append(out, text[start:])
}

func splitPos(s, sep string) []int {
	var out []int
	d := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '{', '[':
			d++
		case ')', '}', ']':
			d--
		}
		if d == 0 && strings.HasPrefix(s[i:], sep) {
			out = append(out, i)
			i += len(sep) - 1
		}
	}
	return out
}

var cmpRe = lazyre.New(`==|~=|<=|>=|[^<]<[^<]|[^>]>[^>]|^\s*not\s`)

func isComparison(s string) bool {
	t := strings.TrimSpace(s)
	for strings.HasPrefix(t, "(") && strings.HasSuffix(t, ")") && balanced(t[1:len(t)-1]) {
		t = strings.TrimSpace(t[1 : len(t)-1])
	}
	return len(splitPos(t, "==")) > 0 || len(splitPos(t, "~=")) > 0 || cmpRe.MatchString(t) && !strings.ContainsAny(t, "(")
}

func balanced(s string) bool {
	d := 0
	for _, c := range s {
		switch c {
		case '(':
			d++
		case ')':
			d--
			if d < 0 {
				return false
			}
		}
	}
	return d == 0
}

// sinks reports the calls of st whose argument carries request data.
func sinks(l *lang, st statement, code string, vars map[string]*taint, ref func(string) *regexp.Regexp) []Flow {
	var out []Flow
	for _, sk := range l.sinks {
		for _, loc := range sk.re.FindAllStringIndex(code, -1) {
			arg := argument(st.text, code, loc[1], l.name, sk.name)
			t := exprTaint(l, arg, vars, ref)
			if t == nil {
				continue
			}
			steps := append(append([]Step{}, t.steps...), Step{Line: st.line, Text: st.text})
			out = append(out, Flow{Kind: sk.kind, Sink: sinkName(sk, st.text[loc[0]:loc[1]]), Source: t.source, Steps: steps})
			break
		}
	}
	return out
}

func sinkName(sk sink, matched string) string {
	if sk.name == "system" {
		return strings.TrimSpace(strings.TrimRight(strings.TrimLeft(matched, " =(.!;,"), "( "))
	}
	return sk.name
}

// argument is the text a sink runs: up to the closing parenthesis of a
// call, the closing backtick, or the rest of a shell statement.
func argument(text, code string, start int, lang, name string) string {
	switch {
	case name == "backticks":
		if i := strings.IndexByte(code[start:], '`'); i >= 0 {
			return text[start : start+i]
		}
		return ""
	case strings.HasSuffix(strings.TrimSpace(code[:start]), "("):
		d := 1
		for i := start; i < len(code); i++ {
			switch code[i] {
			case '(':
				d++
			case ')':
				d--
				if d == 0 {
					return text[start:i]
				}
			}
		}
		return text[start:]
	}
	// shell: the rest of the command, up to a separator outside quotes
	in := inDouble(code[:start])
	for i := start; i < len(code); i++ {
		switch code[i] {
		case '\\':
			i++
		case '"':
			in = !in
		case ';', '|', '&':
			if !in {
				return text[start:i]
			}
		}
	}
	return text[start:]
}

func inDouble(s string) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == '"' {
			n++
		}
	}
	return n%2 == 1
}

var readRe = lazyre.New(`(?:^|[;&|]\s*|\bthen\s+|\bdo\s+)read\s+((?:-[a-zA-Z]+\s+(?:\S+\s+)?)*)([A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)*)`)

var stdinRe = lazyre.New(`^\s*(?:local\s+)?([A-Za-z_]\w*)=["']?\$\((?:cat|head\s+-c\s+\S+|dd\s[^)]*)\s*\)`)

// readVars taints variables a CGI shell script reads from its standard
// input: the POST body.
func readVars(st statement, vars map[string]*taint) {
	if m := stdinRe.FindStringSubmatch(st.text); m != nil && !strings.Contains(st.text, "<") {
		vars[m[1]] = &taint{source: "POST body (stdin)", steps: []Step{{Line: st.line, Var: m[1], Text: st.text}}}
		return
	}
	m := readRe.FindStringSubmatch(st.text)
	if m == nil || strings.Contains(st.text, "<") || strings.Contains(st.text, "| read") || strings.Contains(st.text, "|read") {
		return
	}
	for _, v := range strings.Fields(m[2]) {
		vars[v] = &taint{source: "POST body (read)", steps: []Step{{Line: st.line, Var: v, Text: st.text}}}
	}
}

var (
	shWordRe    = lazyre.New(`\$\{?([A-Za-z_]\w*)`)
	shBuiltinRe = lazyre.New(`^\s*(?:echo|printf|local|export|readonly|test|\[|\[\[|case|return|exit|logger|if\s+\[|elif\s+\[|while\s+\[|for|:|\}|\{|esac|;;)\b`)
)

// shellArgs reports request data expanded unquoted in a command line:
// word splitting and globbing turn it into extra arguments and options.
func shellArgs(l *lang, st statement, code string, vars map[string]*taint) []Flow {
	if l.assign.MatchString(st.text) && !strings.Contains(st.text, "$(") && !strings.Contains(st.text, "`") {
		return nil
	}
	if shBuiltinRe.MatchString(st.text) {
		return nil
	}
	quotes, at := 0, 0 // double quotes before at, counted as the matches advance
	for _, m := range shWordRe.FindAllStringSubmatchIndex(code, -1) {
		name := code[m[2]:m[3]]
		for ; at < m[0]; at++ {
			if code[at] == '\\' {
				at++
			} else if code[at] == '"' {
				quotes++
			}
		}
		if quotes%2 == 1 {
			continue
		}
		var t *taint
		if vars[name] != nil {
			t = vars[name]
		} else {
			for _, re := range l.sources {
				if loc := re.FindStringIndex(code[m[0]:]); loc != nil && loc[0] == 0 {
					t = &taint{source: sourceName(code[m[0] : m[0]+loc[1]])}
				}
			}
		}
		if t == nil {
			continue
		}
		steps := append(append([]Step{}, t.steps...), Step{Line: st.line, Text: st.text})
		return []Flow{{Kind: "argument", Sink: firstWord(st.text), Source: t.source, Steps: steps}}
	}
	return nil
}

func firstWord(s string) string {
	f := strings.Fields(strings.TrimLeft(s, "`$("))
	if len(f) == 0 {
		return ""
	}
	return strings.Trim(f[0], "`$()")
}
