package osv

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/vuln/record"
)

// TestDecode covers the mapping rules on records written for the test
// (the OSV schema's fields, one rule per case).
func TestDecode(t *testing.T) {
	for _, c := range []struct {
		name  string
		json  string
		check func(t *testing.T, r Record)
	}{
		{"fields", `{"id":"OSV-1","published":"2024-01-02T00:00:00Z","modified":"2024-02-03T00:00:00Z","aliases":["CVE-2024-1"],
			"summary":"Overflow in x","details":"long text","database_specific":{"cwe_ids":["CWE-787"],"severity":"HIGH"},
			"affected":[{"package":{"ecosystem":"Go","name":"example.com/x"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.3"}]}],"versions":["1.0.0"]}],
			"references":[{"url":"https://a"},{"url":"https://b"},{"url":"https://a"}]}`,
			func(t *testing.T, r Record) {
				v := r.Vuln
				if v.ID != "OSV-1" || v.Source != record.SourceOSV || v.Published != "2024-01-02T00:00:00Z" || v.Modified != "2024-02-03T00:00:00Z" || v.Summary != "Overflow in x" {
					t.Errorf("vuln %+v", v)
				}
				if v.Severity != model.High || !slices.Equal(v.Detail.CWE, []string{"CWE-787"}) || !slices.Equal(v.Detail.Aliases, []string{"CVE-2024-1"}) {
					t.Errorf("detail %+v severity %q", v.Detail, v.Severity)
				}
				if !slices.Equal(v.Detail.References, []string{"https://a", "https://b"}) {
					t.Errorf("references not deduplicated: %v", v.Detail.References)
				}
				want := []record.Affected{{Ecosystem: "Go", Name: "example.com/x", Versions: []string{"1.0.0"},
					Ranges: []record.Range{{Type: "SEMVER", Events: []record.Event{{Introduced: "0"}, {Fixed: "1.2.3"}}}}}}
				if len(r.Affected) != 1 || !affectedEqual(r.Affected[0], want[0]) {
					t.Errorf("affected %+v", r.Affected)
				}
			}},
		{"summary from the first line of details", `{"id":"OSV-2","details":"  First line.\nSecond line."}`,
			func(t *testing.T, r Record) {
				if r.Vuln.Summary != "First line." {
					t.Errorf("summary %q", r.Vuln.Summary)
				}
			}},
		{"GitHub's MODERATE is medium", `{"id":"OSV-3","database_specific":{"severity":"MODERATE"}}`,
			func(t *testing.T, r Record) {
				if r.Vuln.Severity != model.Medium {
					t.Errorf("severity %q", r.Vuln.Severity)
				}
			}},
		{"unknown severity is left unset", `{"id":"OSV-4","database_specific":{"severity":"UNKNOWN"}}`,
			func(t *testing.T, r Record) {
				if r.Vuln.Severity != "" {
					t.Errorf("severity %q", r.Vuln.Severity)
				}
			}},
		{"withdrawn: kept, never matched", `{"id":"OSV-5","withdrawn":"2024-05-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"x"},"versions":["1"]}]}`,
			func(t *testing.T, r Record) {
				if r.Vuln.ID != "OSV-5" || len(r.Affected) != 0 {
					t.Errorf("withdrawn record %+v", r)
				}
			}},
		{"affected entries without a package are dropped", `{"id":"OSV-6","affected":[{"package":{"ecosystem":"npm"}},{"package":{"name":"y"}},{"package":{"ecosystem":"npm","name":"z"},"versions":["2.0.0"]}]}`,
			func(t *testing.T, r Record) {
				if len(r.Affected) != 1 || r.Affected[0].Name != "z" {
					t.Errorf("affected %+v", r.Affected)
				}
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := Decode(strings.NewReader(c.json))
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, r)
		})
	}
}

func affectedEqual(a, b record.Affected) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// TestDecodeErrors: input that is not an OSV record is an error that
// says where it broke.
func TestDecodeErrors(t *testing.T) {
	for in, want := range map[string]string{
		`{"id":"GO-1","aliases":["CVE-1"`: "byte offset",
		`{"summary":"no id"}`:             `no "id"`,
		`[1,2,3]`:                         "byte offset",
		``:                                "byte offset",
	} {
		if _, err := Decode(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Decode(%q) = %v, want an error with %q", in, err, want)
		}
	}
}

// TestGoVulnDB decodes every record of the shared copy of the Go
// vulnerability database and checks each against the INDEX.tsv written
// beside them (id, CVE aliases or "-", modules, publication date, summary).
func TestGoVulnDB(t *testing.T) {
	dir := filepath.Join(sharedDir(), "data", "osv-go")
	idx, err := os.Open(filepath.Join(dir, "INDEX.tsv"))
	if err != nil {
		t.Skipf("shared corpus absent (%v)", err)
	}
	defer idx.Close()
	n := 0
	sc := bufio.NewScanner(idx)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 5 {
			t.Fatalf("INDEX.tsv line %q", line)
		}
		id, aliases, modules, published, summary := f[0], f[1], f[2], f[3], f[4]
		fh, err := os.Open(filepath.Join(dir, id+".json"))
		if err != nil {
			t.Fatal(err)
		}
		r, err := Decode(fh)
		fh.Close()
		if err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		n++
		v := r.Vuln
		if v.ID != id || !strings.HasPrefix(v.Published, published) || v.Summary != summary {
			t.Errorf("%s: decoded %q published %q summary %q", id, v.ID, v.Published, v.Summary)
		}
		for _, cve := range strings.Split(aliases, ",") {
			if cve != "" && cve != "-" && !slices.Contains(v.Detail.Aliases, cve) {
				t.Errorf("%s: alias %s missing from %v", id, cve, v.Detail.Aliases)
			}
		}
		for _, mod := range strings.Split(modules, ",") {
			if !slices.ContainsFunc(r.Affected, func(a record.Affected) bool { return a.Ecosystem == "Go" && a.Name == mod && len(a.Ranges) > 0 }) {
				t.Errorf("%s: no Go range for module %s: %+v", id, mod, r.Affected)
			}
		}
		for _, a := range r.Affected {
			for _, rg := range a.Ranges {
				if rg.Type != "SEMVER" || len(rg.Events) == 0 || rg.Events[0].Introduced == "" {
					t.Errorf("%s: range %+v does not start with an introduced event", id, rg)
				}
			}
		}
	}
	if n != 96 {
		t.Errorf("decoded %d records, want the 96 of the corpus", n)
	}
}

// sharedDir is ../shared beside the checkout, or $THINGSEC_SHARED.
func sharedDir() string {
	if d := os.Getenv("THINGSEC_SHARED"); d != "" {
		return d
	}
	d, _ := filepath.Abs("../../../../shared")
	return d
}

// FuzzDecode: any input decodes to a record with an ID or to an error,
// never a panic.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"id":"OSV-1","affected":[{"package":{"ecosystem":"Go","name":"x"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}`))
	f.Add([]byte(`{"id":"OSV-2","withdrawn":"x","database_specific":{"severity":"MODERATE"}}`))
	f.Add([]byte(`{"summary":"no id"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(strings.NewReader(string(data)))
		if err == nil && r.Vuln.ID == "" {
			t.Errorf("record without an ID accepted: %q", data)
		}
	})
}
