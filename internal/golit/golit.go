// Package golit writes Go values as Go source: composite literals of
// structs, slices and pointers to structs, with strings, numbers and
// booleans inside. Rule packs parsed at build time are kept this way
// (their tests regenerate the file and compare), so that a run finds
// them in the binary's data instead of parsing YAML.
//
// Only exported fields are written, zero ones left out; types of the
// package the file belongs to are written unqualified, and a field or
// element whose type is another package's named string, number or bool
// type is written as an untyped constant.
package golit

import (
	"bytes"
	"fmt"
	"go/format"
	"reflect"
	"strconv"
	"strings"
)

// Var is one package-level variable of a generated file.
type Var struct {
	Name  string
	Value any
}

// File returns a gofmt'ed Go file of package pkg declaring vars, under a
// header comment (each line without its "// ").
func File(pkg string, header []string, vars ...Var) ([]byte, error) {
	var b bytes.Buffer
	for _, h := range header {
		b.WriteString("// " + h + "\n")
	}
	b.WriteString("\npackage " + pkg + "\n\n")
	for _, v := range vars {
		b.WriteString("var " + v.Name + " = ")
		if err := write(&b, reflect.ValueOf(v.Value), pkg, true); err != nil {
			return nil, fmt.Errorf("%s: %w", v.Name, err)
		}
		b.WriteString("\n\n")
	}
	return format.Source(b.Bytes())
}

// typeName is t as the file of package pkg spells it.
func typeName(t reflect.Type, pkg string) (string, error) {
	switch t.Kind() {
	case reflect.Slice:
		e, err := typeName(t.Elem(), pkg)
		return "[]" + e, err
	case reflect.Pointer:
		e, err := typeName(t.Elem(), pkg)
		return "*" + e, err
	case reflect.Array:
		e, err := typeName(t.Elem(), pkg)
		return "[" + strconv.Itoa(t.Len()) + "]" + e, err
	}
	if t.Name() == "" {
		return "", fmt.Errorf("unnamed type %s", t)
	}
	if t.PkgPath() == "" {
		return t.Name(), nil // predeclared
	}
	if path := t.PkgPath(); path != pkg && !hasSuffix(path, "/"+pkg) {
		return "", fmt.Errorf("type %s of another package", t)
	}
	return t.Name(), nil
}

func hasSuffix(s, suf string) bool { return len(s) >= len(suf) && s[len(s)-len(suf):] == suf }

// write writes v; typed says whether the literal must name its type (it
// is not an element of a slice literal, where Go elides it).
func write(b *bytes.Buffer, v reflect.Value, pkg string, typed bool) error {
	switch v.Kind() {
	case reflect.String:
		b.WriteString(quote(v.String()))
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		b.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		b.WriteString(strconv.FormatFloat(v.Float(), 'g', -1, v.Type().Bits()))
	case reflect.Pointer:
		if v.IsNil() {
			b.WriteString("nil")
			return nil
		}
		if typed {
			b.WriteString("&")
		}
		return write(b, v.Elem(), pkg, typed)
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			b.WriteString("nil")
			return nil
		}
		if typed {
			n, err := typeName(v.Type(), pkg)
			if err != nil {
				return err
			}
			b.WriteString(n)
		}
		b.WriteString("{")
		for i := 0; i < v.Len(); i++ {
			if v.Len() > 1 && isStruct(v.Type().Elem()) {
				b.WriteString("\n")
			}
			if err := write(b, v.Index(i), pkg, false); err != nil {
				return err
			}
			b.WriteString(",")
		}
		if v.Len() > 1 && isStruct(v.Type().Elem()) {
			b.WriteString("\n")
		}
		b.WriteString("}")
	case reflect.Struct:
		if typed {
			n, err := typeName(v.Type(), pkg)
			if err != nil {
				return err
			}
			b.WriteString(n)
		}
		b.WriteString("{")
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() || v.Field(i).IsZero() {
				continue
			}
			b.WriteString("\n" + f.Name + ": ")
			if err := write(b, v.Field(i), pkg, true); err != nil {
				return fmt.Errorf("%s: %w", f.Name, err)
			}
			b.WriteString(",")
		}
		b.WriteString("\n}")
	default:
		return fmt.Errorf("cannot write a %s", v.Type())
	}
	return nil
}

// quote is a Go string literal of s: a raw one when s has backslashes
// or quotes (a regular expression) and can be written raw.
func quote(s string) string {
	if strings.ContainsAny(s, `\"`) && strconv.CanBackquote(s) {
		return "`" + s + "`"
	}
	return strconv.Quote(s)
}

func isStruct(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct
}
