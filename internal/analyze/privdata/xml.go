package privdata

import (
	"bytes"
	"encoding/xml"
	"strings"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
)

// xmlTree turns a document into the shape JSON decodes to: an element is
// an object of its attributes ("@name") and children, repeated children
// an array, a text-only element a string.
func xmlTree(data []byte) (any, bool) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	type elem struct {
		name  string
		obj   map[string]any
		text  strings.Builder
		kids  bool
		order []string
	}
	var stack []*elem
	var root any
	nodes := 0
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		if nodes++; nodes > maxNodes {
			break
		}
		switch x := tok.(type) {
		case xml.StartElement:
			e := &elem{name: x.Name.Local, obj: map[string]any{}}
			for _, at := range x.Attr {
				e.obj["@"+at.Name.Local] = at.Value
			}
			stack = append(stack, e)
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(x)
			}
		case xml.EndElement:
			if len(stack) == 0 {
				continue
			}
			e := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			var v any = e.obj
			if !e.kids && len(e.obj) == 0 {
				v = strings.TrimSpace(e.text.String())
			}
			if len(stack) == 0 {
				root = map[string]any{e.name: v}
				continue
			}
			p := stack[len(stack)-1]
			p.kids = true
			switch old := p.obj[e.name].(type) {
			case nil:
				p.obj[e.name] = v
			case []any:
				p.obj[e.name] = append(old, v)
			default:
				p.obj[e.name] = []any{old, v}
			}
		}
	}
	return root, root != nil
}

func (a *Analyzer) xml(in *plugin.Input, out *plugin.Results) {
	root, ok := xmlTree(in.Data)
	if !ok {
		return
	}
	t := newTree()
	t.walk(root, "", "", nil)
	t.report(a, in, out, "XML", func(g *group) int {
		name := g.name
		name = strings.TrimSuffix(strings.TrimSuffix(name, "[]"), ".*")
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			name = name[i+1:]
		}
		return lineOfTag(in.Data, name)
	})
}

// lineOfTag is the line of the first start tag called name.
func lineOfTag(data []byte, name string) int {
	needle := []byte("<" + name)
	for off := 0; ; {
		i := bytes.Index(data[off:], needle)
		if i < 0 {
			return 0
		}
		j := off + i + len(needle)
		if j >= len(data) || strings.IndexByte(" \t\r\n/>", data[j]) >= 0 {
			return bytes.Count(data[:off+i], []byte{'\n'}) + 1
		}
		off = j
	}
}
