// Package srctext holds what the attack-surface analyzers share when they
// read device files as text or as binaries: numbered live lines (comments
// dropped per language), backup copies, printable strings and the
// imported symbols of an ELF file.
package srctext

import (
	"bytes"
	"debug/elf"
	"io"
	"path"
	"strings"

	"github.com/thingsec/thingsec/internal/lazyre"
	"github.com/thingsec/thingsec/internal/model"
)

// Lang is how a file comments.
type Lang int

// Languages.
const (
	Shell Lang = iota // '#' comments (shell, configs, Python, UCI, INI)
	Lua               // '--' comments
	CLike             // '//' and '/* */' comments (C, JavaScript, Go, PHP with '#')
	Plain             // no comment syntax known: every line is live
)

// LangOf guesses the comment syntax from the file name and interpreter.
func LangOf(p, interp string) Lang {
	switch strings.ToLower(path.Ext(p)) {
	case ".lua":
		return Lua
	case ".js", ".mjs", ".cjs", ".ts", ".c", ".h", ".go", ".php", ".java", ".json":
		return CLike
	case ".html", ".htm", ".xml":
		return Plain
	}
	if interp == "lua" {
		return Lua
	}
	return Shell
}

// Line is one line of a file with its 1-based number; Text has comments
// removed.
type Line struct {
	N    int
	Text string
	Raw  string
}

// Live returns the lines of data that are not (only) comments, with the
// comment part removed. Strings are respected for end-of-line comments
// only approximately (a quote before the marker keeps the line whole),
// which errs on the side of keeping text.
func Live(data []byte, lang Lang) []Line {
	var out []Line
	inBlock := false
	n := 0
	for len(data) > 0 {
		var raw []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			raw, data = data[:i], data[i+1:]
		} else {
			raw, data = data, nil
		}
		n++
		s := strings.TrimRight(string(raw), "\r")
		t := s
		if lang == CLike {
			t, inBlock = stripBlock(t, inBlock)
		}
		t = stripLine(t, lang)
		if strings.TrimSpace(t) == "" {
			continue
		}
		out = append(out, Line{N: n, Text: t, Raw: s})
	}
	return out
}

func stripBlock(s string, in bool) (string, bool) {
	var b strings.Builder
	for {
		if in {
			i := strings.Index(s, "*/")
			if i < 0 {
				return b.String(), true
			}
			s, in = s[i+2:], false
			continue
		}
		i := strings.Index(s, "/*")
		if i < 0 || quoted(s[:i]) {
			b.WriteString(s)
			return b.String(), false
		}
		b.WriteString(s[:i])
		s, in = s[i+2:], true
	}
}

func stripLine(s string, lang Lang) string {
	var marks []string
	switch lang {
	case Shell:
		marks = []string{"#"}
	case Lua:
		marks = []string{"--"}
	case CLike:
		marks = []string{"//"}
	default:
		return s
	}
	trim := strings.TrimLeft(s, " \t")
	for _, m := range marks {
		if strings.HasPrefix(trim, m) {
			if lang == Shell && strings.HasPrefix(trim, "#!") {
				return ""
			}
			return ""
		}
		// an end-of-line comment: after white space and outside quotes
		for off := 0; ; {
			i := strings.Index(s[off:], m)
			if i < 0 {
				break
			}
			i += off
			if i > 0 && (s[i-1] == ' ' || s[i-1] == '\t') && !quoted(s[:i]) {
				if lang == CLike && i > 0 && s[i-1] == ':' { // "http://"
					off = i + len(m)
					continue
				}
				return s[:i]
			}
			off = i + len(m)
		}
	}
	return s
}

// quoted says whether s leaves a string open: an odd number of unescaped
// double or single quotes.
func quoted(s string) bool {
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			i++
		case q == 0 && (c == '"' || c == '\''):
			q = c
		case q != 0 && c == q:
			q = 0
		}
	}
	return q != 0
}

var backupSuffixes = []string{".bak", ".orig", "~", ".old", ".save", "-opkg", ".dpkg-old", ".dpkg-dist"}

// Backup says whether p names a backup copy of a file (a finding there is
// reported one severity lower).
func Backup(p string) bool {
	base := path.Base(p)
	for _, s := range backupSuffixes {
		if strings.HasSuffix(base, s) && len(base) > len(s) {
			return true
		}
	}
	return false
}

// Lower is the severity one step below s (info stays info).
func Lower(s model.Severity) model.Severity {
	switch s {
	case model.Critical:
		return model.High
	case model.High:
		return model.Medium
	case model.Medium:
		return model.Low
	}
	return model.Info
}

// Adjust lowers a finding in a backup copy by one severity and says so in
// its title; sev is the rule's severity when the finding sets none.
func Adjust(f *model.Finding, p string, sev model.Severity) {
	if !Backup(p) {
		return
	}
	if f.Severity == "" {
		f.Severity = sev
	}
	f.Severity = Lower(f.Severity)
	if f.Title != "" {
		f.Title += " (backup copy " + path.Base(p) + ")"
	}
}

// Strings returns the printable ASCII runs of data at least min bytes
// long, with their offsets.
func Strings(data []byte, min int) []Str {
	var out []Str
	start := -1
	for i := 0; i <= len(data); i++ {
		if i < len(data) && (data[i] >= 0x20 && data[i] < 0x7f || data[i] == '\t') {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start >= min {
			out = append(out, Str{Off: int64(start), S: string(data[start:i])})
		}
		start = -1
	}
	return out
}

// Str is a printable string of a binary and where it starts.
type Str struct {
	Off int64
	S   string
}

// Imports lists the dynamic symbols an ELF file imports (undefined
// symbols), without version suffixes; nil when r is no readable ELF.
func Imports(r io.ReaderAt) map[string]bool {
	f, err := elf.NewFile(r)
	if err != nil {
		return nil
	}
	defer f.Close()
	syms, err := f.DynamicSymbols()
	if err != nil {
		return nil
	}
	out := map[string]bool{}
	for _, s := range syms {
		if s.Section == elf.SHN_UNDEF && s.Name != "" {
			out[s.Name] = true
		}
	}
	return out
}

// StringsWith returns the printable strings of data that contain needle,
// each once, without reading the rest of data as strings: the way to ask
// a large binary for a few strings.
func StringsWith(data []byte, needle string) []Str {
	var out []Str
	n := []byte(needle)
	for off := 0; off < len(data); {
		i := bytes.Index(data[off:], n)
		if i < 0 {
			break
		}
		i += off
		s, e := i, i+len(n)
		for s > 0 && printable(data[s-1]) {
			s--
		}
		for e < len(data) && printable(data[e]) {
			e++
		}
		if e-s <= 4096 {
			out = append(out, Str{Off: int64(s), S: string(data[s:e])})
			off = e
			continue
		}
		// a longer run is a packed string table (Go): a window around
		// each hit
		s2, e2 := max(s, i-200), min(e, i+len(n)+200)
		out = append(out, Str{Off: int64(s2), S: string(data[s2:e2])})
		off = i + len(n)
	}
	return out
}

func printable(c byte) bool { return c >= 0x20 && c < 0x7f || c == '\t' }

var userinfoRe = lazyre.New(`(\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@'"]*:)[^@\s/'"]+@`)

// RedactURLs hides the passwords of URLs with user information
// (mqtt://user:secret@host) in evidence.
func RedactURLs(s string) string { return userinfoRe.ReplaceAllString(s, "${1}****@") }
