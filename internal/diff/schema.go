package diff

import (
	"encoding/json"
	"reflect"
	"strings"

	"github.com/thingsec/thingsec/internal/model"
)

// SchemaID is the $id of the diff document's schema.
const SchemaID = "https://thingsec.dev/schema/diff-1.json"

// JSONSchema derives the diff document's JSON Schema (draft 2020-12)
// from the Go types, so the published schema (schema/diff.schema.json,
// kept equal by a test) cannot drift from what the code writes. Fields
// without omitempty are required; no unknown properties are allowed.
func JSONSchema() ([]byte, error) {
	g := &schemaGen{defs: map[string]any{}}
	root := g.object(reflect.TypeOf(Diff{}))
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = SchemaID
	root["title"] = "thingsec diff"
	root["$defs"] = g.defs
	return json.MarshalIndent(root, "", "  ")
}

type schemaGen struct{ defs map[string]any }

func (g *schemaGen) typ(t reflect.Type) map[string]any {
	if t == reflect.TypeOf(model.Severity("")) {
		var e []any
		for _, s := range model.Severities {
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
		if t.PkgPath() != reflect.TypeOf(Diff{}).PkgPath() {
			name = "Report" + name // the report's types, apart from the diff's
		}
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
	g.fields(t, props, &required)
	return map[string]any{"type": "object", "properties": props, "required": required, "additionalProperties": false}
}

// fields adds t's fields to props; an embedded struct's fields are
// inlined, as encoding/json writes them.
func (g *schemaGen) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct {
			g.fields(f.Type, props, required)
			continue
		}
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		props[name] = g.typ(f.Type)
		if !strings.Contains(opts, "omitempty") {
			*required = append(*required, name)
		}
	}
}
