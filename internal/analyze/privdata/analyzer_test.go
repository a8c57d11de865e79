package privdata

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/model"
)

// analyze runs the analyzer on one file.
func analyze(t testing.TB, p string, data []byte) plugin.Results {
	t.Helper()
	a := New()
	head := data[:min(len(data), filetype.HeadSize)]
	fi := plugin.FileInfo{Path: p, Mode: 0o644, Size: int64(len(data)), Type: filetype.Detect(p, head, int64(len(data))), Head: head}
	var out plugin.Results
	if !a.FileRequired(&fi) {
		return out
	}
	if err := a.Analyze(context.Background(), &plugin.Input{FileInfo: fi, Data: data, Loc: model.Location{Layer: "L1", Path: p}}, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFormats(t *testing.T) {
	for _, tt := range []struct {
		path, text string
		rule       string
		sev        model.Severity
		line       int
		evidence   []string // substrings
	}{
		{"/var/log/clients.tsv", "name\temail\nAnn Smith\tann@example.com\nBob Jones\tbob@example.org\n",
			RulePIIFile, model.Medium, 1, []string{"2 rows; name: 2 rows with names; email: 2 rows with e-mail addresses"}},
		{"/data/people.csv", "Ann Smith;ann@example.com;+44 20 7946 0018\nBob Jones;bob@example.org;+1 202 555 0144\n",
			RulePIIFile, model.Medium, 1, []string{"column 2: 2 rows with e-mail addresses", "column 3: 2 rows with phone numbers"}},
		{"/data/events.jsonl", "{\"user\":\"ann\",\"email\":\"ann@example.com\"}\n{\"user\":\"bob\",\"email\":\"bob@example.org\"}\n",
			RulePIIFile, model.Medium, 1, []string{"email: 2 records with e-mail addresses"}},
		{"/etc/app/users.json", "{\n \"users\": {\n  \"ann\": {\"mail\": \"ann@example.com\", \"pass\": \"$6$x$y\"},\n  \"bob\": {\"mail\": \"bob@example.org\", \"pass\": \"$6$z$w\"}\n }\n}\n",
			RulePIIFile, model.High, 3, []string{"mail: 2 records with e-mail addresses", "pass: 2 records with password hashes"}},
		{"/etc/app/users.xml", "<users>\n <user email=\"ann@example.com\" dob=\"1984-05-17\"/>\n <user email=\"bob@example.org\" dob=\"1979-11-02\"/>\n</users>\n",
			RulePIIFile, model.Medium, 2, []string{"@email: 2 records with e-mail addresses", "@dob: 2 records with birth dates"}},
		{"/etc/app/users.csv.bak", "user,password,email\nann,Sunshine-1,ann@example.com\nbob,Daniel1984,bob@example.org\n",
			RulePlainColumns, model.Medium, 1, []string{"plaintext in password (2 rows)"}},
		{"/var/log/app.log.1", "a@example.com\nb@example.com\nc@example.com again a@example.com\n",
			RulePIILog, model.Medium, 1, []string{"3 lines with e-mail addresses (3 distinct)"}},
	} {
		t.Run(tt.path, func(t *testing.T) {
			out := analyze(t, tt.path, []byte(tt.text))
			var f *model.Finding
			for i := range out.Findings {
				if out.Findings[i].RuleID == tt.rule {
					f = &out.Findings[i]
				}
			}
			if f == nil {
				t.Fatalf("no %s: %+v", tt.rule, out.Findings)
			}
			if f.Severity != tt.sev || f.Location.Line != tt.line {
				t.Errorf("severity %s line %d, want %s %d (%s)", f.Severity, f.Location.Line, tt.sev, tt.line, f.Title)
			}
			for _, e := range tt.evidence {
				if !strings.Contains(f.Evidence, e) {
					t.Errorf("evidence %q lacks %q", f.Evidence, e)
				}
			}
			if strings.Contains(f.Evidence+f.Title, "@example") || strings.Contains(f.Evidence, "Sunshine") {
				t.Errorf("data shown: %q", f.Evidence)
			}
			if strings.HasSuffix(tt.path, ".bak") != strings.Contains(f.Title, "backup copy") {
				t.Errorf("title %q", f.Title)
			}
		})
	}
}

// TestPlainDatabase: plaintext passwords and PINs of an SQLite table made
// by sqlite3; a hashed table and a settings table stay quiet.
func TestPlainDatabase(t *testing.T) {
	read := func(n string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	out := analyze(t, "/etc/app/accounts.db", read("plain.db"))
	if len(out.Findings) != 1 || out.Findings[0].RuleID != RulePlainDB ||
		out.Findings[0].Evidence != "plaintext in password (2 rows), pin (2 rows) (values not shown)" || out.Findings[0].Category != "credential" {
		t.Fatalf("plain.db: %+v", out.Findings)
	}
	for _, n := range []string{"hashed.db", "settings.db"} {
		if out := analyze(t, "/etc/app/"+n, read(n)); len(out.Findings)+len(out.Problems) != 0 {
			t.Errorf("%s: %+v %+v", n, out.Findings, out.Problems)
		}
	}
	// A truncated database: what can be read is, the rest is a problem.
	out = analyze(t, "/etc/app/accounts.db", read("portal.db")[:8192])
	if len(out.Problems) == 0 {
		t.Errorf("truncated database: no problem recorded")
	}
}

// TestExcluded: distribution data, documentation, test fixtures and
// package manifests are not a device's records of people.
func TestExcluded(t *testing.T) {
	csv := []byte("name,email\nAnn Smith,ann@example.com\nBob Jones,bob@example.org\n")
	for _, p := range []string{"/usr/share/doc/x/people.csv", "/usr/lib/python3/dist-packages/x/people.csv", "/src/app/testdata/people.csv",
		"/package/base-files/files/usr/share/people.csv", "/www/node_modules/x/people.csv"} {
		if out := analyze(t, p, csv); len(out.Findings) != 0 {
			t.Errorf("%s: %+v", p, out.Findings)
		}
	}
	// inside an archive that lies in an excluded place
	a := New()
	fi := plugin.FileInfo{Path: "/people.csv", Mode: 0o644, Size: int64(len(csv)), Head: csv}
	var out plugin.Results
	if err := a.Analyze(context.Background(), &plugin.Input{FileInfo: fi, Data: csv,
		Loc: model.Location{Layer: "L2", Path: fi.Path, Chain: "rootfs > squashfs@0x0:/usr/share/java/app.jar > zip@0x0"}}, &out); err != nil || len(out.Findings) != 0 {
		t.Errorf("in an excluded archive: %v %+v", err, out.Findings)
	}
	// the same file in an overlay of a source tree is reported
	if out := analyze(t, "/package/base-files/files/var/log/people.csv", csv); len(out.Findings) != 1 {
		t.Errorf("overlay: %+v", out.Findings)
	}
}

func TestLarge(t *testing.T) {
	a := New()
	fi := plugin.FileInfo{Path: "/var/log/big.log", Mode: 0o644, Size: maxText + 1}
	if !a.FileRequired(&fi) {
		t.Fatal("log not wanted")
	}
	var out plugin.Results
	if err := a.Analyze(context.Background(), &plugin.Input{FileInfo: fi, Loc: model.Location{Path: fi.Path}}, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Skipped) != 1 {
		t.Fatalf("skipped %+v", out.Skipped)
	}
}
