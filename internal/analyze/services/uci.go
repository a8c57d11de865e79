package services

import "strings"

// uciSection is one "config TYPE 'name'" block of an OpenWrt UCI file.
type uciSection struct {
	typ, name string
	line      int
	options   map[string][]uciValue
}

type uciValue struct {
	v    string
	line int
}

func (s *uciSection) get(k string) (string, int, bool) {
	vs := s.options[k]
	if len(vs) == 0 {
		return "", 0, false
	}
	return vs[len(vs)-1].v, vs[len(vs)-1].line, true
}

// parseUCI reads option and list lines; comments never count.
func parseUCI(src []byte) []*uciSection {
	var out []*uciSection
	var cur *uciSection
	for i, l := range strings.Split(string(src), "\n") {
		t := strings.TrimSpace(l)
		if t == "" || t[0] == '#' {
			continue
		}
		f := uciFields(t)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "config", "package":
			if f[0] == "package" {
				continue
			}
			cur = &uciSection{line: i + 1, options: map[string][]uciValue{}}
			if len(f) > 1 {
				cur.typ = f[1]
			}
			if len(f) > 2 {
				cur.name = f[2]
			}
			out = append(out, cur)
		case "option", "list":
			if cur == nil || len(f) < 3 {
				continue
			}
			if f[0] == "option" {
				cur.options[f[1]] = nil
			}
			cur.options[f[1]] = append(cur.options[f[1]], uciValue{f[2], i + 1})
		}
	}
	return out
}

// uciFields splits a UCI line into words, honouring quotes and stopping
// at a comment.
func uciFields(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '\t':
			i++
		case c == '#':
			return out
		case c == '\'' || c == '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				j = len(s) - i - 1
			}
			out = append(out, s[i+1:i+1+j])
			i += j + 2
		default:
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '\t' {
				j++
			}
			out = append(out, s[i:j])
			i = j
		}
	}
	return out
}

func uciBool(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "1", "on", "yes", "true", "enabled":
		return true, true
	case "0", "off", "no", "false", "disabled":
		return false, true
	}
	return false, false
}
