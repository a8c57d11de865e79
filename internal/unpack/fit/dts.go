package fit

import (
	"bytes"
	"fmt"
	"strings"
)

// DTS renders a device tree blob as source, the way dtc -I dtb -O dts
// prints it: memory reservations, then the nodes with each property as a
// string, a list of 32-bit cells or bytes (the type guessed from the
// value, as dtc guesses it).
func DTS(dtb []byte) (string, error) {
	t, err := parseFDT(dtb)
	if err != nil {
		return "", err
	}
	return source(t, nil), nil
}

// source renders t; elided, when it names a property (by node path and
// property name), replaces that property's value with a comment saying
// where its bytes were unpacked to.
func source(t *tree, elided func(path, prop string) (string, bool)) string {
	var b strings.Builder
	b.WriteString("/dts-v1/;\n\n")
	for _, r := range t.reserve {
		fmt.Fprintf(&b, "/memreserve/\t0x%016x 0x%016x;\n", r[0], r[1])
	}
	var walk func(n *node, path string, level int)
	walk = func(n *node, path string, level int) {
		indent := strings.Repeat("\t", level)
		name := n.name
		if level == 0 {
			name = "/"
		}
		fmt.Fprintf(&b, "%s%s {\n", indent, name)
		for _, p := range n.props {
			fmt.Fprintf(&b, "%s\t%s", indent, p.name)
			if to, ok := elide(elided, path, p.name); ok {
				fmt.Fprintf(&b, " = [ /* %d bytes, unpacked as %s */ ];\n", len(p.value), to)
				continue
			}
			writeValue(&b, p.value)
		}
		for _, c := range n.children {
			b.WriteByte('\n')
			walk(c, strings.TrimSuffix(path, "/")+"/"+c.name, level+1)
		}
		fmt.Fprintf(&b, "%s};\n", indent)
	}
	walk(t.root, "/", 0)
	return b.String()
}

func writeValue(b *strings.Builder, v []byte) {
	switch {
	case len(v) == 0:
		b.WriteString(";\n")
		return
	case isStringList(v):
		b.WriteString(" = \"")
		for _, c := range v[:len(v)-1] {
			writeChar(b, c)
		}
		b.WriteByte('"')
	case len(v)%4 == 0:
		b.WriteString(" = <")
		for i := 0; i < len(v); i += 4 {
			if i > 0 {
				b.WriteByte(' ')
			}
			c := uint32(v[i])<<24 | uint32(v[i+1])<<16 | uint32(v[i+2])<<8 | uint32(v[i+3])
			fmt.Fprintf(b, "0x%02x", c)
		}
		b.WriteByte('>')
	default:
		b.WriteString(" = [")
		for i, c := range v {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(b, "%02x", c)
		}
		b.WriteByte(']')
	}
	b.WriteString(";\n")
}

// isStringList is dtc's guess: NUL-terminated, only printable characters,
// C escapes and NULs, and no more NULs than other characters.
func isStringList(v []byte) bool {
	if v[len(v)-1] != 0 {
		return false
	}
	nul := 0
	for _, c := range v {
		switch {
		case c == 0:
			nul++
		case c >= 0x20 && c < 0x7f, bytes.IndexByte([]byte("\a\b\t\n\v\f\r"), c) >= 0:
		default:
			return false
		}
	}
	return nul <= len(v)-nul
}

func writeChar(b *strings.Builder, c byte) {
	switch c {
	case '\a':
		b.WriteString(`\a`)
	case '\b':
		b.WriteString(`\b`)
	case '\t':
		b.WriteString(`\t`)
	case '\n':
		b.WriteString(`\n`)
	case '\v':
		b.WriteString(`\v`)
	case '\f':
		b.WriteString(`\f`)
	case '\r':
		b.WriteString(`\r`)
	case '\\':
		b.WriteString(`\\`)
	case '"':
		b.WriteString(`\"`)
	case 0:
		b.WriteString(`\0`)
	default:
		if c >= 0x20 && c < 0x7f {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(b, `\x%02x`, c)
		}
	}
}

func elide(f func(path, prop string) (string, bool), path, prop string) (string, bool) {
	if f == nil {
		return "", false
	}
	return f(path, prop)
}
