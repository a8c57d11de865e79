package report

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/diff"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/vuln/db"
)

func doc(k Kind) *Doc {
	rep := &model.Report{
		SchemaVersion: model.SchemaVersion,
		Target:        model.Target{Name: "fw.bin", Kind: "file", Size: 10},
		Layers:        []model.Layer{{ID: "L0", Format: "file", Chain: "fw.bin", Extracted: true}},
		Files:         []model.File{{Layer: "L0", Path: "/a", Mode: "-rw-r--r--", Type: "text"}},
		Components:    []model.Component{{Ref: "pkg:generic/a@1", Name: "a", Version: "1", Type: "library", PURL: "pkg:generic/a@1"}},
		Problems:      []model.Problem{{Layer: "L0", Path: "/b", Kind: "io", Message: "cannot open"}},
	}
	return &Doc{Kind: k, Report: rep, DB: &db.Status{Path: "/x/vuln.db"}, Dir: "out", Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Delta: diff.Compare(rep, rep)}
}

// TestTable: names are unique, every entry is complete, every encoder
// writes every kind it accepts.
func TestTable(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range Encoders {
		if seen[e.Name] || e.Name == "" || e.ContentType == "" || !strings.HasPrefix(e.Ext, ".") || len(e.Kinds) == 0 || e.Encode == nil {
			t.Errorf("bad or duplicate entry %+v", e)
		}
		seen[e.Name] = true
		for _, k := range e.Kinds {
			var buf bytes.Buffer
			if err := Encode(&buf, e.Name, doc(k)); err != nil || buf.Len() == 0 {
				t.Errorf("%s of %s: %v, %d bytes", e.Name, k, err, buf.Len())
			}
		}
	}
}

func TestFormats(t *testing.T) {
	for k, want := range map[Kind][]string{
		Scan:     {"table", "json", "cyclonedx", "spdx", "sarif", "gitlab-sast", "gitlab-secret-detection", "gitlab-dependency-scanning", "gitlab-codequality", "junit"},
		Secrets:  {"table", "json", "sarif", "gitlab-sast", "gitlab-secret-detection", "gitlab-codequality", "junit"},
		SBOM:     {"json", "cyclonedx", "spdx", "gitlab-dependency-scanning"},
		Layers:   {"table", "json"},
		DBStatus: {"table", "json"},
		Diff:     {"table", "json", "markdown"},
	} {
		got := Formats(k)
		for _, f := range want {
			if !slices.Contains(got, f) {
				t.Errorf("%s formats %v lack %s", k, got, f)
			}
		}
	}
	_, err := Lookup("cyclonedx", Layers)
	var fe *FormatError
	if !errors.As(err, &fe) || err.Error() != `--format "cyclonedx": this command writes [table json]` {
		t.Errorf("Lookup(cyclonedx, layers) = %v", err)
	}
	if err := Encode(&bytes.Buffer{}, "xml", doc(Scan)); !errors.As(err, &fe) {
		t.Errorf("Encode(xml) = %v", err)
	}
}

// TestWriteFile: the file is replaced only by a complete write.
func TestWriteFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "r.json")
	if err := WriteFile(p, func(w io.Writer) error { _, err := io.WriteString(w, "good"); return err }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("encoder failed")
	if err := WriteFile(p, func(w io.Writer) error { io.WriteString(w, "part"); return boom }); !errors.Is(err, boom) {
		t.Fatalf("failed write: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "good" {
		t.Errorf("a failed write replaced the file: %q", b)
	}
	if ents, _ := os.ReadDir(filepath.Dir(p)); len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
	var oe *OutputError
	if err := WriteFile(filepath.Join(p, "sub", "x"), func(io.Writer) error { return nil }); !errors.As(err, &oe) {
		t.Errorf("unwritable path: %v", err)
	}
}
