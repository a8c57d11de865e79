package enrich

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/vuln/db"
	"github.com/thingsec/thingsec/internal/vuln/feed"
	"github.com/thingsec/thingsec/internal/vuln/sample"
)

// TestSampleWhenNoDatabase: with no database at the path, the embedded
// sample is used, the report says so, and real records match.
func TestSampleWhenNoDatabase(t *testing.T) {
	rep := &model.Report{Components: []model.Component{
		{Ref: "dnsmasq@2.85", Name: "dnsmasq", Version: "2.85", CPEs: []string{"cpe:2.3:a:thekelleys:dnsmasq:2.85:*:*:*:*:*:*:*"}},
		{Ref: "dnsmasq@2.90", Name: "dnsmasq", Version: "2.90", CPEs: []string{"cpe:2.3:a:thekelleys:dnsmasq:2.90:*:*:*:*:*:*:*"}},
		{Ref: "mystery", Name: "mystery", CPEs: []string{"cpe:2.3:a:thekelleys:dnsmasq:*:*:*:*:*:*:*:*"}},
	}}
	var warned []string
	e := &Vulns{Path: filepath.Join(t.TempDir(), "none.db"), Warn: func(s string) { warned = append(warned, s) }}
	if err := e.Enrich(context.Background(), rep); err != nil {
		t.Fatal(err)
	}
	if len(warned) != 1 || len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "embedded sample") {
		t.Fatalf("notes %v warned %v", rep.Notes, warned)
	}
	got := map[string]bool{}
	for _, v := range rep.Vulnerabilities {
		got[v.Component+" "+v.ID] = true
	}
	if !got["dnsmasq@2.85 CVE-2022-0934"] {
		t.Errorf("dnsmasq 2.85 does not match CVE-2022-0934; got %v", got)
	}
	if got["dnsmasq@2.90 CVE-2022-0934"] {
		t.Error("dnsmasq 2.90 matched CVE-2022-0934 (fixed in 2.87)")
	}
	if len(rep.VersionUnknown) != 1 || rep.VersionUnknown[0] != "mystery" {
		t.Errorf("version unknown = %v", rep.VersionUnknown)
	}
}

// TestDatabaseBlock: every kind of data gets its database block, the
// sample and stale, empty or never updated databases a warning, and
// RequireDB refuses exactly those.
func TestDatabaseBlock(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	imported := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	full := filepath.Join(dir, "full.db")
	d, err := db.Open(full)
	if err != nil {
		t.Fatal(err)
	}
	sampleDir := filepath.Join("..", "sample")
	if _, err := feed.ImportPaths(ctx, d, []string{filepath.Join(sampleDir, "nvd"), filepath.Join(sampleDir, "kev.json")}, imported); err != nil {
		t.Fatal(err)
	}
	d.Close()
	kevOnly := filepath.Join(dir, "kev.db")
	d, _ = db.Open(kevOnly)
	if _, err := feed.ImportPaths(ctx, d, []string{filepath.Join(sampleDir, "kev.json")}, imported); err != nil {
		t.Fatal(err)
	}
	d.Close()
	empty := filepath.Join(dir, "empty.db")
	d, _ = db.Open(empty)
	d.Close()

	day := 24 * time.Hour
	cases := []struct {
		name    string
		path    string
		now     time.Time
		kind    string
		stale   bool
		problem string // "" = none
		age     int64  // seconds, -1 = absent
	}{
		{"fresh database", full, imported.Add(2 * day), model.DatabaseFull, false, "", int64(2 * day / time.Second)},
		{"stale database", full, imported.Add(30 * day), model.DatabaseFull, true, "is 30d old", int64(30 * day / time.Second)},
		{"no database: the sample", filepath.Join(dir, "absent.db"), sample.Collected.Add(day), model.DatabaseSample, false, "embedded sample", int64(day / time.Second)},
		{"never updated", empty, imported, model.DatabaseFull, true, "never been updated", -1},
		{"nothing to match against", kevOnly, imported, model.DatabaseFull, false, "no NVD or OSV records", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, require := range []bool{false, true} {
				rep := &model.Report{}
				var warned []string
				e := &Vulns{Path: c.path, RequireDB: require, Now: func() time.Time { return c.now }, Warn: func(s string) { warned = append(warned, s) }}
				err := e.Enrich(ctx, rep)
				if require && c.problem != "" {
					if !IsNoData(err) || !strings.Contains(err.Error(), c.problem) {
						t.Errorf("--require-db: error %v, want one saying %q", err, c.problem)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				info := rep.Database
				if info == nil || info.Kind != c.kind || info.Stale != c.stale {
					t.Fatalf("database block %+v", info)
				}
				if c.kind == model.DatabaseFull && info.Path != c.path {
					t.Errorf("path %q", info.Path)
				}
				if (c.age < 0) != (info.AgeSeconds == nil) || info.AgeSeconds != nil && *info.AgeSeconds != c.age {
					t.Errorf("age %v, want %d", info.AgeSeconds, c.age)
				}
				if c.path != empty && (info.Records == nil || info.Records.KEV != 4 || len(info.Sources) == 0 || info.Sources[0].UpdatedAt == "") {
					t.Errorf("records %+v sources %+v", info.Records, info.Sources)
				}
				if c.problem == "" && (len(warned) != 0 || len(rep.Notes) != 0) {
					t.Errorf("warned %v about fresh data", warned)
				}
				if c.problem != "" && (len(warned) != 1 || !strings.Contains(warned[0], c.problem) || len(rep.Notes) != 1) {
					t.Errorf("warned %v, notes %v, want %q", warned, rep.Notes, c.problem)
				}
			}
		})
	}
}
