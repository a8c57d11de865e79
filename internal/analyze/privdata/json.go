package privdata

import (
	"bytes"
	"encoding/json"
	"io"
	"sort"
	"strings"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
)

// maxNodes bounds the values walked per document.
const maxNodes = 1 << 20

// tree walks a decoded document (JSON, or XML turned into the same
// shape) and sorts its values into groups: the elements of an array of
// objects, or the members of an object whose members are all objects (a
// map keyed by user name), are records; the leaves under a record are its
// fields, named by their path inside the record.
type tree struct {
	groups map[string]*group
	order  []string
	nodes  int
}

func newTree() *tree { return &tree{groups: map[string]*group{}} }

func (t *tree) group(name string) *group {
	g := t.groups[name]
	if g == nil {
		g = newGroup(name)
		t.groups[name] = g
		t.order = append(t.order, name)
	}
	return g
}

// skipKeys hold people who made the software, not the device's users.
var skipKeys = map[string]bool{"author": true, "authors": true, "maintainer": true, "maintainers": true, "contributors": true, "developers": true, "copyright": true, "mailinglists": true, "mailinglist": true}

// walk visits v at path p. fields collects the leaves of the record v is
// in (nil outside records), rel is v's path inside that record.
func (t *tree) walk(v any, p, rel string, fields *[]field) {
	if t.nodes++; t.nodes > maxNodes {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if len(x) >= minRecords && allObjects(x) {
			t.records(p+".*", func(yield func(any)) {
				for _, k := range keys {
					yield(x[k])
				}
			})
			return
		}
		for _, k := range keys {
			if skipKeys[strings.ToLower(k)] {
				continue
			}
			t.walk(x[k], p+"."+k, join(rel, k), fields)
		}
	case []any:
		if len(x) > 0 && allObjectsList(x) {
			t.records(p+"[]", func(yield func(any)) {
				for _, e := range x {
					yield(e)
				}
			})
			return
		}
		for _, e := range x {
			t.walk(e, p+"[]", rel+"[]", fields)
		}
	case nil:
	default:
		if fields != nil {
			var s string
			switch y := x.(type) {
			case string:
				s = y
			case json.Number:
				s = y.String()
			case bool:
				return
			}
			*fields = append(*fields, field{rel, s})
		}
	}
}

func (t *tree) records(name string, each func(func(any))) {
	g := t.group(name)
	each(func(e any) {
		var fields []field
		t.walk(e, name, "", &fields)
		g.record(fields)
	})
}

func join(rel, k string) string {
	if rel == "" {
		return k
	}
	return rel + "." + k
}

func allObjects(m map[string]any) bool {
	for _, v := range m {
		if o, ok := v.(map[string]any); !ok || len(o) < 2 {
			return false
		}
	}
	return true
}

func allObjectsList(l []any) bool {
	for _, v := range l {
		if _, ok := v.(map[string]any); !ok {
			return false
		}
	}
	return true
}

// report judges every group of the document.
func (t *tree) report(a *Analyzer, in *plugin.Input, out *plugin.Results, kind string, line func(g *group) int) {
	for _, name := range t.order {
		g := t.groups[name]
		g.line = line(g)
		// Key-value documents: plaintext passwords are the secret rules'.
		a.report(in, out, g, RulePIIFile, "", kind+" "+strings.TrimPrefix(name, "."), "record")
	}
}

func (a *Analyzer) json(in *plugin.Input, out *plugin.Results) {
	dec := json.NewDecoder(bytes.NewReader(in.Data))
	dec.UseNumber()
	var docs []any
	for len(docs) < maxRows {
		var v any
		if err := dec.Decode(&v); err != nil {
			if err != io.EOF && len(docs) == 0 {
				return // not JSON after all: nothing to say
			}
			break
		}
		docs = append(docs, v)
	}
	t := newTree()
	if len(docs) > 1 { // JSON Lines: one record a line
		var objs []any
		for _, d := range docs {
			if _, ok := d.(map[string]any); ok {
				objs = append(objs, d)
			}
		}
		t.walk(objs, "$", "", nil)
	} else if len(docs) == 1 {
		t.walk(docs[0], "$", "", nil)
	}
	t.report(a, in, out, "JSON", func(g *group) int {
		for _, c := range g.cols {
			if c.rows[kEmail]+c.rows[kPhone]+c.rows[kBirth]+c.rows[kGeo] > 0 {
				k := c.name
				if i := strings.LastIndexByte(k, '.'); i >= 0 {
					k = k[i+1:]
				}
				return lineOf(in.Data, `"`+strings.TrimSuffix(k, "[]")+`"`)
			}
		}
		return 0
	})
}
