package sqlitefile

import "strings"

// ParseColumns returns the column names a CREATE TABLE statement declares
// and whether the table is WITHOUT ROWID. Table constraints (PRIMARY KEY
// (...), UNIQUE, CHECK, FOREIGN KEY, CONSTRAINT) are not columns. It
// reads only as far as it understands: a statement it cannot parse gives
// no columns.
func ParseColumns(sql string) (cols []string, withoutRowID bool) {
	toks := tokens(sql)
	open := -1
	for i, t := range toks {
		if t == "(" {
			open = i
			break
		}
		if strings.EqualFold(t, "as") {
			return nil, false // CREATE TABLE ... AS SELECT
		}
	}
	if open < 0 {
		return nil, false
	}
	depth := 0
	start := true
	end := len(toks)
	for i := open + 1; i < len(toks); i++ {
		t := toks[i]
		switch t {
		case "(":
			depth++
			continue
		case ")":
			if depth == 0 {
				end = i
				break
			}
			depth--
			continue
		case ",":
			if depth == 0 {
				start = true
			}
			continue
		}
		if end != len(toks) {
			break
		}
		if start && depth == 0 {
			start = false
			switch strings.ToLower(t) {
			case "constraint", "primary", "unique", "check", "foreign":
				continue
			}
			cols = append(cols, unquote(t))
		}
	}
	rest := toks[min(end+1, len(toks)):]
	for i := 0; i+1 < len(rest); i++ {
		if strings.EqualFold(rest[i], "without") && strings.EqualFold(rest[i+1], "rowid") {
			withoutRowID = true
		}
	}
	return cols, withoutRowID
}

// tokens splits SQL into identifiers, quoted names and strings, and
// single punctuation characters, dropping comments and white space.
func tokens(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return out
			}
			i += j + 4
		case c == '"' || c == '\'' || c == '`' || c == '[':
			closeCh := c
			if c == '[' {
				closeCh = ']'
			}
			j := i + 1
			for j < len(s) {
				if s[j] == closeCh {
					if closeCh != ']' && j+1 < len(s) && s[j+1] == closeCh {
						j += 2 // doubled quote
						continue
					}
					break
				}
				j++
			}
			out = append(out, s[i:min(j+1, len(s))])
			i = j + 1
		case c == '(' || c == ')' || c == ',':
			out = append(out, string(c))
			i++
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r\f(),\"'`[", rune(s[j])) {
				if s[j] == '-' && j+1 < len(s) && s[j+1] == '-' {
					break
				}
				j++
			}
			if j == i {
				j++
			}
			out = append(out, s[i:j])
			i = j
		}
	}
	return out
}

func unquote(t string) string {
	if len(t) >= 2 {
		switch t[0] {
		case '"', '`', '\'':
			if t[len(t)-1] == t[0] {
				q := string(t[0])
				return strings.ReplaceAll(t[1:len(t)-1], q+q, q)
			}
		case '[':
			if t[len(t)-1] == ']' {
				return t[1 : len(t)-1]
			}
		}
	}
	return t
}
