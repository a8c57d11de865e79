// Package cpe parses CPE 2.3 formatted strings and compares their
// attributes the way NVD applicability statements need: ANY ("*") matches
// everything, NA ("-") only NA, and values compare unescaped and
// case-insensitively.
package cpe

import (
	"fmt"
	"strings"
)

// Attribute indexes of a CPE 2.3 name.
const (
	Part = iota
	Vendor
	Product
	Version
	Update
	Edition
	Language
	SWEdition
	TargetSW
	TargetHW
	Other
	numAttrs
)

// Special attribute values.
const (
	Any = "*"
	NA  = "-"
)

// Name is a parsed CPE 2.3 name; values are unescaped and lower case,
// with "*" for ANY and "-" for NA.
type Name [numAttrs]string

// Parse reads a "cpe:2.3:part:vendor:product:..." string. Missing trailing
// attributes are ANY.
func Parse(s string) (Name, error) {
	var n Name
	rest, ok := strings.CutPrefix(s, "cpe:2.3:")
	if !ok {
		return n, fmt.Errorf("cpe %q: want a cpe:2.3: formatted string", s)
	}
	fields := splitEscaped(rest)
	if len(fields) > numAttrs {
		return n, fmt.Errorf("cpe %q: %d attributes, want at most %d", s, len(fields), numAttrs)
	}
	for i := range n {
		n[i] = Any
		if i < len(fields) {
			n[i] = normalize(fields[i])
		}
	}
	if n[Vendor] == Any || n[Product] == Any || n[Vendor] == "" || n[Product] == "" {
		return n, fmt.Errorf("cpe %q: vendor and product are required", s)
	}
	return n, nil
}

// splitEscaped splits on ':' that is not escaped by a backslash.
func splitEscaped(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case ':':
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// normalize unescapes a value ("\," -> ",") and lowers it; a lone "*" or
// "-" stays special, an escaped one is literal.
func normalize(v string) string {
	if v == "" {
		return Any
	}
	if v == Any || v == NA {
		return v
	}
	if !strings.Contains(v, "\\") {
		return strings.ToLower(v)
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		b.WriteByte(v[i])
	}
	return strings.ToLower(b.String())
}

// String formats the name back to a CPE 2.3 string.
func (n Name) String() string {
	var b strings.Builder
	b.WriteString("cpe:2.3")
	for _, v := range n {
		b.WriteByte(':')
		if v == Any || v == NA {
			b.WriteString(v)
			continue
		}
		for i := 0; i < len(v); i++ {
			c := v[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c >= 'A' && c <= 'Z') {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}

// AttrMatches reports whether a criterion's attribute value admits the
// target's (a component's) value. ANY on either side admits: a component
// that does not know its target_sw is not excluded by one. NA in the
// criterion admits only NA (or an unknown target value); a value admits
// only the same value.
func AttrMatches(criterion, target string) bool {
	switch {
	case criterion == Any, target == Any:
		return true
	case criterion == NA:
		return target == NA
	}
	return criterion == target
}
