package privdata

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
)

// delimiter picks the separator that splits the first lines into the
// same number (at least two) of fields.
func delimiter(data []byte, tsv bool) rune {
	if tsv {
		return '\t'
	}
	lines := bytes.SplitN(data, []byte{'\n'}, 6)
	if len(lines) > 5 {
		lines = lines[:5]
	}
	best, bestN := rune(0), 1
	for _, d := range []rune{',', ';', '\t', '|'} {
		n := -1
		for _, l := range lines {
			l = bytes.TrimRight(l, "\r")
			if len(l) == 0 {
				continue
			}
			c := bytes.Count(l, []byte(string(d))) + 1
			if n == -1 {
				n = c
			} else if c != n && !bytes.Contains(l, []byte{'"'}) {
				n = 0
				break
			}
		}
		if n > bestN {
			best, bestN = d, n
		}
	}
	return best
}

// header: a first row of distinct, non-empty names (letters, digits,
// '_', '-', ' ', '.'), none of them an address or a number.
func header(row []string) bool {
	seen := map[string]bool{}
	for _, c := range row {
		c = strings.TrimSpace(c)
		if c == "" || len(c) > 64 || seen[c] || isEmail(c) {
			return false
		}
		seen[c] = true
		letter := false
		for _, r := range c {
			switch {
			case unicode.IsLetter(r):
				letter = true
			case unicode.IsDigit(r) || r == '_' || r == '-' || r == ' ' || r == '.' || r == '#':
			default:
				return false
			}
		}
		if !letter {
			return false
		}
	}
	return true
}

func (a *Analyzer) csv(in *plugin.Input, out *plugin.Results) {
	d := delimiter(in.Data, strings.HasSuffix(strings.ToLower(devicePath(in.Path)), ".tsv"))
	if d == 0 {
		return
	}
	r := csv.NewReader(bytes.NewReader(in.Data))
	r.Comma = d
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	r.Comment = '#'
	g := newGroup("rows")
	var names []string
	first := true
	for g.records < maxRows {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			continue // a broken line; csv resynchronises at the next
		}
		if first {
			first = false
			line, _ := r.FieldPos(0)
			g.line = line
			if header(row) {
				names = append(names, row...)
				for i := range names {
					names[i] = strings.TrimSpace(names[i])
				}
				continue
			}
		}
		fields := make([]field, 0, len(row))
		for i, v := range row {
			name := fmt.Sprintf("column %d", i+1)
			if i < len(names) {
				name = names[i]
			}
			fields = append(fields, field{name, v})
		}
		g.record(fields)
	}
	kind := "CSV file"
	if d == '\t' {
		kind = "TSV file"
	}
	a.report(in, out, g, RulePIIFile, RulePlainColumns, kind, "row")
}
