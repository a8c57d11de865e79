package confrules

import (
	"bytes"
	"fmt"
	"strings"
)

// Entry is one live setting: a key and its value as the daemon reads
// them (quotes removed), with the line it starts on.
type Entry struct {
	Key   string
	Value string
	Raw   string // the line as written, trimmed
	Line  int
	File  string // in-layer path; differs from the parsed file's for included files
	Sect  int    // index of the section it is in
}

// Section is a block of settings: the whole file (index 0, type ""),
// a UCI "config" section, a hostapd BSS, an ini [section], an nginx or
// Apache block, an sshd Match block, a lighttpd conditional.
type Section struct {
	Type   string // "", "rule", "bss", "server", "match", `$SERVER["socket"] == ":443"`
	Name   string // UCI section name, block arguments
	Line   int
	File   string
	Parent int  // enclosing section whose settings apply here, -1 for none
	Cond   bool // a conditional override of its parent (sshd Match, lighttpd $X[...])
}

// Doc is a parsed configuration file.
type Doc struct {
	Sections []Section
	Entries  []Entry
	// FirstWins: the first value of a key is the effective one (sshd);
	// otherwise the last one is.
	FirstWins bool
	// Includes are the live include lines not resolved (sshd Include).
	Includes []Entry

	bySect [][]int // entry indexes per section, built by index
}

func newDoc(file string) *Doc {
	return &Doc{Sections: []Section{{File: file, Parent: -1}}}
}

func (d *Doc) section(typ, name string, line int, file string, parent int, cond bool) int {
	d.Sections = append(d.Sections, Section{Type: typ, Name: name, Line: line, File: file, Parent: parent, Cond: cond})
	return len(d.Sections) - 1
}

func (d *Doc) add(sect int, key, value, raw string, line int, file string) {
	d.Entries = append(d.Entries, Entry{Key: key, Value: value, Raw: raw, Line: line, File: file, Sect: sect})
}

// Syntaxes are the parsers by name, as rules name them.
var syntaxes = map[string]func(data []byte, file string) *Doc{
	"kv":        func(b []byte, f string) *Doc { return parseKV(b, f, kvOptions{}) },
	"hostapd":   func(b []byte, f string) *Doc { return parseKV(b, f, kvOptions{starts: "bss"}) },
	"mosquitto": func(b []byte, f string) *Doc { return parseKV(b, f, kvOptions{starts: "listener"}) },
	"sysctl":    func(b []byte, f string) *Doc { return parseKV(b, f, kvOptions{sysctl: true}) },
	"colon":     func(b []byte, f string) *Doc { return parseKV(b, f, kvOptions{colon: true}) },
	"sshd":      func(b []byte, f string) *Doc { return parseSSHD(b, f, nil) },
	"uci":       parseUCI,
	"ini":       func(b []byte, f string) *Doc { return parseINI(b, f, false) },
	"samba":     func(b []byte, f string) *Doc { return parseINI(b, f, true) },
	"nginx":     parseNginx,
	"lighttpd":  func(b []byte, f string) *Doc { return parseLighttpd(b, f, nil) },
	"apache":    parseApache,
	"shell":     parseShell,
	"fstab":     parseFstab,
}

// lines splits data into lines without their end of line.
func lines(data []byte) []string {
	s := string(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")))
	return strings.Split(s, "\n")
}

// unquote removes one pair of surrounding quotes.
func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	return s
}

type kvOptions struct {
	starts string // key that opens a new section (hostapd bss=, mosquitto listener)
	sysctl bool   // keys may use "/" for "."
	colon  bool   // the key ends at the first ':' (BusyBox httpd.conf)
}

// parseKV reads "key value", "key=value" and "key: value" lines; '#'
// starts a comment line. The key ends at the first blank, '=' or ':'.
func parseKV(data []byte, file string, o kvOptions) *Doc {
	d := newDoc(file)
	sect := 0
	for i, ln := range lines(data) {
		t := strings.TrimSpace(ln)
		if t == "" || t[0] == '#' || t[0] == ';' && !o.colon {
			continue
		}
		var key, val string
		if o.colon {
			k, v, _ := strings.Cut(t, ":")
			key, val = strings.TrimSpace(k), strings.TrimSpace(v)
		} else {
			n := strings.IndexAny(t, " \t=:")
			if n < 0 {
				key = t
			} else {
				key, val = t[:n], strings.TrimLeft(t[n:], " \t")
				if val != "" && (val[0] == '=' || val[0] == ':') {
					val = strings.TrimLeft(val[1:], " \t")
				}
			}
		}
		if o.sysctl {
			key = strings.ReplaceAll(key, "/", ".")
		}
		val = unquote(val)
		if o.starts != "" && strings.EqualFold(key, o.starts) {
			sect = d.section(strings.ToLower(key), val, i+1, file, -1, false)
		}
		d.add(sect, key, val, t, i+1, file)
	}
	return d
}

// Resolver finds the files an include pattern names (sshd Include,
// lighttpd include): in-layer paths and contents, in the order the
// daemon reads them.
type Resolver func(pattern string) []Included

// Included is one file an Include names.
type Included struct {
	Path string
	Data []byte
}

// parseSSHD reads sshd_config: "Keyword value" or "Keyword=value",
// keywords case-insensitive, the first value wins, a Match line opens a
// block that overrides the global settings until the next Match, and
// Include reads other files in place (resolve nil: recorded in
// Doc.Includes).
func parseSSHD(data []byte, file string, resolve Resolver) *Doc {
	d := newDoc(file)
	d.FirstWins = true
	sect := 0
	var read func(data []byte, file string, depth int)
	read = func(data []byte, file string, depth int) {
		for i, ln := range lines(data) {
			t := strings.TrimSpace(ln)
			if t == "" || t[0] == '#' {
				continue
			}
			n := strings.IndexAny(t, " \t=")
			key, val := t, ""
			if n >= 0 {
				key, val = t[:n], strings.TrimLeft(t[n:], " \t")
				if strings.HasPrefix(val, "=") {
					val = strings.TrimLeft(val[1:], " \t")
				}
			}
			val = unquote(val)
			switch {
			case strings.EqualFold(key, "Match"):
				sect = d.section("match", val, i+1, file, 0, true)
				continue
			case strings.EqualFold(key, "Include"):
				e := Entry{Key: key, Value: val, Raw: t, Line: i + 1, File: file, Sect: sect}
				if resolve == nil || depth >= 16 {
					d.Includes = append(d.Includes, e)
					continue
				}
				for _, pat := range strings.Fields(val) {
					for _, inc := range resolve(pat) {
						read(inc.Data, inc.Path, depth+1)
					}
				}
				continue
			}
			d.add(sect, key, val, t, i+1, file)
		}
	}
	read(data, file, 0)
	return d
}

// parseUCI reads OpenWrt UCI: "config <type> ['<name>']" opens a
// section, "option <name> <value>" and "list <name> <value>" set values
// (single or double quotes, or bare words).
func parseUCI(data []byte, file string) *Doc {
	d := newDoc(file)
	sect := -1
	for i, ln := range lines(data) {
		t := strings.TrimSpace(ln)
		if t == "" || t[0] == '#' {
			continue
		}
		words := shellWords(t)
		if len(words) == 0 {
			continue
		}
		switch words[0] {
		case "config":
			typ, name := "", ""
			if len(words) > 1 {
				typ = words[1]
			}
			if len(words) > 2 {
				name = words[2]
			}
			sect = d.section(typ, name, i+1, file, -1, false)
		case "option", "list":
			if sect < 0 || len(words) < 2 {
				continue
			}
			val := ""
			if len(words) > 2 {
				val = words[2]
			}
			d.add(sect, words[1], val, t, i+1, file)
		}
	}
	return d
}

// parseINI reads [section] headers and "key = value" lines; '#' and ';'
// start comments. Samba ignores blanks inside parameter names and their
// case ("guest ok" = "guestok" = "Guest OK"): samba folds them.
func parseINI(data []byte, file string, samba bool) *Doc {
	d := newDoc(file)
	sect := 0
	for i, ln := range lines(data) {
		t := strings.TrimSpace(ln)
		if t == "" || t[0] == '#' || t[0] == ';' {
			continue
		}
		if t[0] == '[' {
			name := strings.TrimSpace(strings.Trim(t, "[]"))
			sect = d.section(name, name, i+1, file, -1, false)
			continue
		}
		n := strings.IndexAny(t, "=:")
		if n < 0 {
			continue
		}
		key, val := strings.TrimSpace(t[:n]), unquote(t[n+1:])
		if samba {
			key = strings.ReplaceAll(key, " ", "")
			key = strings.ReplaceAll(key, "\t", "")
		}
		d.add(sect, key, val, t, i+1, file)
	}
	return d
}

// parseNginx reads nginx's block syntax: directives end with ';', blocks
// are "name args { ... }", '#' comments to the end of the line, quoted
// arguments.
func parseNginx(data []byte, file string) *Doc {
	d := newDoc(file)
	stack := []int{0}
	var words []string
	var word strings.Builder
	inWord := false
	line, start := 1, 0
	flush := func() {
		if inWord {
			words = append(words, word.String())
			word.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case c == '\n':
			flush()
			line++
		case c == '#' && !inWord:
			for i < len(data) && data[i] != '\n' {
				i++
			}
			i--
		case c == '"' || c == '\'':
			if !inWord && len(words) == 0 {
				start = line
			}
			j := i + 1
			for j < len(data) && data[j] != c {
				if data[j] == '\\' {
					j++
				} else if data[j] == '\n' {
					line++
				}
				j++
			}
			if j > len(data) {
				j = len(data)
			}
			word.Write(data[i+1 : j])
			inWord = true
			i = j
		case c == ' ' || c == '\t' || c == '\r':
			flush()
		case c == ';' || c == '{' || c == '}':
			flush()
			if c == '}' {
				if len(stack) > 1 {
					stack = stack[:len(stack)-1]
				}
				words = nil
				continue
			}
			if len(words) > 0 {
				cur := stack[len(stack)-1]
				raw := strings.Join(words, " ")
				if c == '{' {
					s := d.section(strings.ToLower(words[0]), strings.Join(words[1:], " "), start, file, cur, false)
					stack = append(stack, s)
				} else {
					d.add(cur, words[0], strings.Join(words[1:], " "), raw+";", start, file)
				}
			} else if c == '{' {
				stack = append(stack, stack[len(stack)-1])
			}
			words = nil
		default:
			if !inWord && len(words) == 0 {
				start = line
			}
			word.WriteByte(c)
			inWord = true
		}
	}
	return d
}

// parseLighttpd reads lighttpd.conf: "key = value" (also "+=", ":="),
// conditionals `$HTTP["host"] == "x" {` ... `}` (and "else"), '#'
// comments, values continued over lines while parentheses are open,
// and `include "file"` read in place (resolve nil: recorded in
// Doc.Includes).
func parseLighttpd(data []byte, file string, resolve Resolver) *Doc {
	d := newDoc(file)
	stack := []int{0}
	var read func(data []byte, file string, depth int)
	read = func(data []byte, file string, depth int) {
		ls := lines(data)
		for i := 0; i < len(ls); i++ {
			t := strings.TrimSpace(stripComment(ls[i]))
			first := i + 1
			if rest, ok := strings.CutPrefix(t, "include "); ok {
				pat := unquote(rest)
				if resolve == nil || depth >= 16 {
					d.Includes = append(d.Includes, Entry{Key: "include", Value: pat, Raw: t, Line: first, File: file, Sect: stack[len(stack)-1]})
					continue
				}
				for _, inc := range resolve(pat) {
					read(inc.Data, inc.Path, depth+1)
				}
				continue
			}
			if open := strings.Count(t, "(") - strings.Count(t, ")"); open > 0 {
				var b strings.Builder
				b.WriteString(t)
				for open > 0 && i+1 < len(ls) {
					i++
					next := strings.TrimSpace(stripComment(ls[i]))
					open += strings.Count(next, "(") - strings.Count(next, ")")
					b.WriteString(" ")
					b.WriteString(next)
				}
				t = b.String()
			}
			// split at braces outside quotes: "cond {", "}", "key = value"
			var q byte
			last := 0
			for j := 0; j <= len(t); j++ {
				if j < len(t) {
					c := t[j]
					if q != 0 {
						if c == q {
							q = 0
						}
						continue
					}
					if c == '"' || c == '\'' {
						q = c
						continue
					}
					if c != '{' && c != '}' {
						continue
					}
				}
				part := strings.TrimSpace(t[last:min(j, len(t))])
				switch {
				case j < len(t) && t[j] == '{':
					s := d.section(part, "", first, file, stack[len(stack)-1], true)
					stack = append(stack, s)
				default:
					if k, v, ok := strings.Cut(part, "="); ok {
						k = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(k), "+:"))
						d.add(stack[len(stack)-1], k, unquote(strings.TrimSpace(v)), part, first, file)
					}
					if j < len(t) && len(stack) > 1 {
						stack = stack[:len(stack)-1]
					}
				}
				last = j + 1
			}
		}
	}
	read(data, file, 0)
	return d
}

// stripComment cuts a '#' comment that is outside quotes.
func stripComment(s string) string {
	var q byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		case c == '#':
			return s[:i]
		}
	}
	return s
}

// parseApache reads Apache-style configuration (Apache httpd, ProFTPD):
// "Directive args" lines, <Section args> ... </Section> blocks, '\'
// continuation, '#' comment lines. Directive names are case-insensitive.
func parseApache(data []byte, file string) *Doc {
	d := newDoc(file)
	stack := []int{0}
	ls := lines(data)
	for i := 0; i < len(ls); i++ {
		first := i + 1
		t := joinContinued(ls, &i, true)
		if t == "" || t[0] == '#' {
			continue
		}
		if strings.HasPrefix(t, "</") {
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
			continue
		}
		if t[0] == '<' {
			inner := strings.TrimSuffix(strings.TrimPrefix(t, "<"), ">")
			name, args, _ := strings.Cut(inner, " ")
			s := d.section(strings.ToLower(name), strings.TrimSpace(args), first, file, stack[len(stack)-1], false)
			stack = append(stack, s)
			continue
		}
		k, v, _ := strings.Cut(strings.Join(strings.Fields(t), " "), " ")
		d.add(stack[len(stack)-1], k, v, t, first, file)
	}
	return d
}

// parseShell reads a shell script as the commands it runs: lines joined
// at a trailing '\', comments removed, split at ';', '&&', '||' and '|'
// outside quotes. Each command is an entry: the program's base name is
// the key (after variable assignments, exec and sudo; "$IPT" resolved
// when the script assigned IPT a single word), the arguments the value.
func parseShell(data []byte, file string) *Doc {
	d := newDoc(file)
	vars := map[string]string{}
	ls := lines(data)
	for i := 0; i < len(ls); i++ {
		first := i + 1
		t := joinContinued(ls, &i, false)
		t = strings.TrimSpace(stripShellComment(t))
		if t == "" {
			continue
		}
		for _, cmd := range splitCommands(t) {
			words := shellWords(cmd)
			for len(words) > 0 {
				w := words[0]
				if k, v, ok := strings.Cut(w, "="); ok && isName(k) {
					if len(words) == 1 && !strings.ContainsAny(v, " \t") {
						vars[k] = v
					}
					words = words[1:]
					continue
				}
				if w == "exec" || w == "sudo" || w == "command" || w == "then" || w == "do" || w == "else" {
					words = words[1:]
					continue
				}
				break
			}
			if len(words) == 0 {
				continue
			}
			prog := words[0]
			if strings.HasPrefix(prog, "$") {
				name := strings.Trim(prog[1:], "{}")
				if v, ok := vars[name]; ok {
					prog = v
				}
			}
			if n := strings.LastIndexByte(prog, '/'); n >= 0 {
				prog = prog[n+1:]
			}
			d.add(0, prog, strings.Join(words[1:], " "), strings.TrimSpace(cmd), first, file)
		}
	}
	return d
}

// joinContinued returns line *i joined with the lines a trailing '\'
// continues, advancing *i to the last one read (trim: each line
// trimmed of blanks).
func joinContinued(ls []string, i *int, trim bool) string {
	var b strings.Builder
	for {
		t := ls[*i]
		if trim {
			t = strings.TrimSpace(t)
		}
		cut := strings.TrimRight(t, " \t")
		if !strings.HasSuffix(cut, "\\") || *i+1 >= len(ls) {
			b.WriteString(t)
			return b.String()
		}
		b.WriteString(strings.TrimSuffix(cut, "\\"))
		b.WriteString(" ")
		*i++
	}
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// stripShellComment cuts a '#' that starts a word outside quotes.
func stripShellComment(s string) string {
	var q byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '\\':
			i++
		case c == '"' || c == '\'':
			q = c
		case c == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t' || s[i-1] == ';'):
			return s[:i]
		}
	}
	return s
}

// splitCommands splits at ';', '&&', '||', '|' and '&' outside quotes.
func splitCommands(s string) []string {
	var out []string
	var q byte
	last := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '\\':
			i++
		case c == '"' || c == '\'':
			q = c
		case c == ';' || c == '|' || c == '&':
			out = append(out, s[last:i])
			if i+1 < len(s) && (s[i+1] == c) {
				i++
			}
			last = i + 1
		}
	}
	out = append(out, s[last:])
	return out
}

// shellWords splits at blanks outside quotes and removes the quotes.
func shellWords(s string) []string {
	var out []string
	var w strings.Builder
	in := false
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
			} else {
				w.WriteByte(c)
			}
		case c == '"' || c == '\'':
			q, in = c, true
		case c == '\\' && i+1 < len(s):
			i++
			w.WriteByte(s[i])
			in = true
		case c == ' ' || c == '\t':
			if in {
				out = append(out, w.String())
				w.Reset()
				in = false
			}
		default:
			w.WriteByte(c)
			in = true
		}
	}
	if in {
		out = append(out, w.String())
	}
	return out
}

// parseFstab reads fstab lines: the key is the file system type, the
// value the whole line ("spec dir type options ...").
func parseFstab(data []byte, file string) *Doc {
	d := newDoc(file)
	for i, ln := range lines(data) {
		t := strings.TrimSpace(ln)
		if t == "" || t[0] == '#' {
			continue
		}
		f := strings.Fields(t)
		if len(f) < 3 {
			continue
		}
		d.add(0, f[2], strings.Join(f, " "), t, i+1, file)
	}
	return d
}

// parse runs the named syntax.
func parse(syntax string, data []byte, file string) (*Doc, error) {
	p, ok := syntaxes[syntax]
	if !ok {
		return nil, fmt.Errorf("unknown syntax %q", syntax)
	}
	return p(data, file), nil
}
