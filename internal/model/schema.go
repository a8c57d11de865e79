package model

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"
)

// SchemaID is the $id of the report schema and the $schema of every
// report: one URL per major version, since every minor version of a major
// only adds optional fields and so describes the earlier minors' reports
// too.
const SchemaID = "https://thingsec.dev/schema/report-2.json"

// timePattern is the one form of every time in the report: RFC 3339, UTC,
// to the second.
const timePattern = `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$`

// JSONSchema derives the report's JSON Schema (draft 2020-12) from the Go
// types, so the published schema (schema/report.schema.json, kept equal
// by a test) cannot drift from what the code writes. Fields without
// omitempty or omitzero are required. Unknown properties are allowed, so
// that a reader validating against this version accepts the reports of
// later minor versions. The descriptions are the doc comments of the
// types and fields in the Go source files of srcDir (this package's
// directory; "" leaves them out). A field tagged schema:"exclude=a|b"
// takes the values of its enum type but a and b; a string field tagged
// schema:"enum=a|b" takes only a and b.
func JSONSchema(srcDir string) ([]byte, error) {
	docs, err := readDocs(srcDir)
	if err != nil {
		return nil, err
	}
	g := &schemaGen{defs: map[string]any{}, docs: docs}
	root := g.object(reflect.TypeOf(Report{}))
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = SchemaID
	root["title"] = "thingsec report " + SchemaVersion
	root["$defs"] = g.defs
	return json.MarshalIndent(root, "", "  ")
}

type schemaGen struct {
	defs map[string]any
	docs map[string]string // "Type" and "Type.Field" -> doc comment
}

var timeType = reflect.TypeOf(time.Time{})

func (g *schemaGen) typ(t reflect.Type) map[string]any {
	if t == timeType {
		return map[string]any{"type": "string", "format": "date-time", "pattern": timePattern}
	}
	if t == reflect.TypeOf(Severity("")) {
		var e []any
		for _, s := range Severities {
			e = append(e, string(s))
		}
		return map[string]any{"type": "string", "enum": e}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.typ(t.Elem())
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32:
		return map[string]any{"type": "integer"}
	case reflect.Float64, reflect.Float32:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.typ(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.typ(t.Elem())}
	case reflect.Struct:
		name := t.Name()
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = true // placeholder against recursion
			g.defs[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/$defs/" + name}
	}
	panic("schema: unsupported type " + t.String())
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	required := []string{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		p := g.typ(f.Type)
		if ex, ok := strings.CutPrefix(f.Tag.Get("schema"), "exclude="); ok && p["enum"] != nil {
			// a field that takes only some values of its enum type
			var keep []any
			for _, v := range p["enum"].([]any) {
				if !slices.Contains(strings.Split(ex, "|"), v.(string)) {
					keep = append(keep, v)
				}
			}
			p["enum"] = keep
		}
		if en, ok := strings.CutPrefix(f.Tag.Get("schema"), "enum="); ok && p["type"] == "string" {
			// a plain string field with a closed set of values; an
			// omitted (empty) value is not one of them
			var vals []any
			for _, v := range strings.Split(en, "|") {
				vals = append(vals, v)
			}
			p["enum"] = vals
		}
		if d := g.docs[t.Name()+"."+f.Name]; d != "" {
			p["description"] = jsonNamed(d, f.Name, name)
		}
		props[name] = p
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			required = append(required, name)
		}
	}
	o := map[string]any{"type": "object", "properties": props, "required": required}
	if d := g.docs[t.Name()]; d != "" {
		o["description"] = d
	}
	return o
}

// jsonNamed starts a field's description with its JSON name where the Go
// comment starts with the Go name ("SkippedFiles counts" -> "skipped_files
// counts").
func jsonNamed(doc, goName, jsonName string) string {
	if rest, ok := strings.CutPrefix(doc, goName+" "); ok {
		return jsonName + " " + rest
	}
	return doc
}

// readDocs collects the doc comments of the struct types of the Go files
// in dir and of their fields (a comment above a field, or else the one
// after it on its line), each as one line of text.
func readDocs(dir string) (map[string]string, error) {
	docs := map[string]string{}
	if dir == "" {
		return docs, nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	text := func(cg *ast.CommentGroup) string {
		if cg == nil {
			return ""
		}
		return strings.Join(strings.Fields(cg.Text()), " ")
	}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				doc := text(ts.Doc)
				if doc == "" && len(gd.Specs) == 1 {
					doc = text(gd.Doc)
				}
				docs[ts.Name.Name] = doc
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, field := range st.Fields.List {
					d := text(field.Doc)
					if d == "" {
						d = text(field.Comment)
					}
					for _, n := range field.Names {
						docs[ts.Name.Name+"."+n.Name] = d
					}
				}
			}
		}
	}
	return docs, nil
}
