package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
)

// stdJSON is what writeJSON must write: encoding/json's own indenting
// Encoder.
func stdJSON(t testing.TB, v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func ownJSON(t testing.TB, v any) []byte {
	var b bytes.Buffer
	if err := writeJSON(&b, v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestIndentSameAsEncoder: every JSON report under testdata (read back,
// written again), and values with the awkward cases (escapes, quotes and
// brackets inside strings, empty and nested containers, HTML characters),
// come out byte for byte as encoding/json indents them.
func TestIndentSameAsEncoder(t *testing.T) {
	var files []string
	for _, pat := range []string{"testdata/*.json", "testdata/*/*.json", "../model/testdata/*.json"} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	reports := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if json.Unmarshal(b, &v) != nil {
			continue
		}
		if got, want := ownJSON(t, v), stdJSON(t, v); !bytes.Equal(got, want) {
			t.Errorf("%s: written differently from encoding/json", f)
		}
		if rep, err := model.ReadReport(bytes.NewReader(b)); err == nil {
			reports++
			if got, want := ownJSON(t, rep), stdJSON(t, rep); !bytes.Equal(got, want) {
				t.Errorf("%s: report written differently from encoding/json", f)
			}
		}
	}
	if reports == 0 {
		t.Error("no report found under testdata")
	}
	for _, rep := range []*model.Report{reporttest.Rich(), reporttest.RichVEX(), reporttest.Previous()} {
		if got, want := ownJSON(t, rep), stdJSON(t, rep); !bytes.Equal(got, want) {
			t.Errorf("%s: written differently from encoding/json", rep.Target.Name)
		}
	}
	for _, v := range []any{
		map[string]any{"a": "x\"y\\\"z,:{[", "b": []any{}, "c": map[string]any{}, "d": []any{[]any{}, map[string]any{"e": nil}}},
		[]any{"<&>\u2028", 1.5, true, "\\", "\\\\\"", ""},
		"plain", 42, nil, map[string]any{}, []any{},
		struct {
			A []int          `json:"a"`
			B map[string]int `json:"b,omitempty"`
			C string         `json:"c"`
		}{A: []int{1, 2}, C: "}]"},
	} {
		if got, want := ownJSON(t, v), stdJSON(t, v); !bytes.Equal(got, want) {
			t.Errorf("%#v:\n got %q\nwant %q", v, got, want)
		}
	}
}

// FuzzIndent: any JSON value encoding/json accepts is written as its
// Encoder writes it.
func FuzzIndent(f *testing.F) {
	f.Add([]byte(`{"a":[1,{"b":"c\"]"},[],{}],"d":"\\"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var v any
		if json.Unmarshal(b, &v) != nil {
			return
		}
		if got, want := ownJSON(t, v), stdJSON(t, v); !bytes.Equal(got, want) {
			t.Errorf("%q:\n got %q\nwant %q", b, got, want)
		}
	})
}
