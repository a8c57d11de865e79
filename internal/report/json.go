package report

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/thingsec/thingsec/internal/model"
)

// JSON writes the report as indented JSON, the canonical form that every
// other command can read back.
func JSON(w io.Writer, rep *model.Report) error {
	return writeJSON(w, rep)
}

// writeJSON writes v as encoding/json's Encoder does with the indent
// "  " and no HTML escaping, byte for byte. It encodes compactly and
// indents in one pass of its own: the Encoder's indent runs its JSON
// scanner over every byte again, which took longer than encoding.
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	compact := buf.Bytes()
	_, err := w.Write(indent(make([]byte, 0, len(compact)+len(compact)/2), compact))
	return err
}

// indent appends src, compact JSON as encoding/json writes it (no
// whitespace outside strings, then one newline), to dst laid out as
// json.Indent lays it out with the indent "  ": a newline and the depth's
// indent after each opening bracket, each comma and before each closing
// bracket, ": " after each key, and empty objects and arrays kept as {}
// and [].
func indent(dst, src []byte) []byte {
	depth := 0
	newline := func() {
		dst = append(dst, '\n')
		for range depth {
			dst = append(dst, ' ', ' ')
		}
	}
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '"':
			// a string, copied whole: it ends at the first quote not
			// escaped by a backslash
			j := i + 1
			for j < len(src) && src[j] != '"' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			dst = append(dst, src[i:min(j+1, len(src))]...)
			i = j
		case '{', '[':
			dst = append(dst, c)
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				dst = append(dst, src[i+1])
				i++
				continue
			}
			depth++
			newline()
		case '}', ']':
			depth--
			newline()
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			newline()
		case ':':
			dst = append(dst, c, ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// ReadJSON reads a report written by JSON, of this schema version or an
// earlier one (model.ReadReport upgrades it).
func ReadJSON(r io.Reader) (*model.Report, error) {
	return model.ReadReport(r)
}
