package feed

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/thingsec/thingsec/internal/vuln/db"
)

func sharedData(t *testing.T) string {
	dir := os.Getenv("THINGSEC_SHARED")
	if dir == "" {
		dir = "../../../../shared"
	}
	dir = filepath.Join(dir, "data")
	if _, err := os.Stat(filepath.Join(dir, "nvd", "INDEX.tsv")); err != nil {
		t.Skipf("shared corpus absent (%v): set THINGSEC_SHARED", err)
	}
	return dir
}

func openTemp(t *testing.T) *db.DB {
	t.Helper()
	d, err := db.Open(filepath.Join(t.TempDir(), "vuln.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func counts(t *testing.T, d *db.DB) db.Counts {
	t.Helper()
	c, err := d.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// nvdFeed wraps single NVD records into the API 2.0 page/feed shape.
func nvdFeed(t *testing.T, files ...string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"resultsPerPage":2000,"startIndex":0,"totalResults":` + strconv.Itoa(len(files)) + `,"format":"NVD_CVE","version":"2.0","timestamp":"2026-11-24T00:00:00.000","vulnerabilities":[`)
	for i, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"cve":`)
		b.Write(raw)
		b.WriteString(`}`)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// TestImportSharedAllKinds imports the real NVD records (as single records,
// and again as a gzip'd feed: idempotent), the KEV catalog and the Go
// advisories (as a directory, and again as an all.zip export).
func TestImportSharedAllKinds(t *testing.T) {
	dir := sharedData(t)
	d := openTemp(t)
	ctx := context.Background()
	st, err := ImportPaths(ctx, d, []string{filepath.Join(dir, "nvd"), filepath.Join(dir, "kev", "known_exploited_vulnerabilities.json"), filepath.Join(dir, "osv-go")}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st[KindNVD] != 131 || st[KindKEV] != 1404 || st[KindOSV] != 96 {
		t.Fatalf("imported %v, want 131 nvd, 1404 kev, 96 osv", st)
	}
	first := counts(t, d)

	// the same records again, as a yearly-feed-shaped .json.gz and an OSV
	// all.zip: nothing is duplicated
	files, _ := filepath.Glob(filepath.Join(dir, "nvd", "CVE-*.json"))
	tmp := t.TempDir()
	feedPath := filepath.Join(tmp, "nvdcve-2.0-all.json.gz")
	os.WriteFile(feedPath, gz(nvdFeed(t, files...)), 0o644)
	zipPath := filepath.Join(tmp, "all.zip")
	zf, _ := os.Create(zipPath)
	zw := zip.NewWriter(zf)
	osvFiles, _ := filepath.Glob(filepath.Join(dir, "osv-go", "GO-*.json"))
	for _, f := range osvFiles {
		w, _ := zw.Create(filepath.Base(f))
		b, _ := os.ReadFile(f)
		w.Write(b)
	}
	zw.Close()
	zf.Close()
	st, err = ImportPaths(ctx, d, []string{feedPath, zipPath}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st[KindNVD] != 131 || st[KindOSV] != 96 {
		t.Fatalf("re-import %v", st)
	}
	if again := counts(t, d); again != first {
		t.Fatalf("re-import changed counts: %+v -> %+v", first, again)
	}
	if first.NVD != 131 || first.OSV != 96 || first.KEV != 1404 {
		t.Fatalf("counts %+v", first)
	}
}

// TestCorruptFeedKeepsDatabase: a truncated feed and a corrupt record are
// reported with the file name and position, and the database keeps its
// previous state.
func TestCorruptFeedKeepsDatabase(t *testing.T) {
	dir := sharedData(t)
	d := openTemp(t)
	ctx := context.Background()
	good := filepath.Join(dir, "nvd", "CVE-2022-0934.json")
	if _, err := ImportPaths(ctx, d, []string{good}, time.Now()); err != nil {
		t.Fatal(err)
	}
	before := counts(t, d)

	files := []string{filepath.Join(dir, "nvd", "CVE-2017-14491.json"), filepath.Join(dir, "nvd", "CVE-2021-3448.json"), filepath.Join(dir, "nvd", "CVE-2023-28450.json")}
	full := nvdFeed(t, files...)
	tmp := t.TempDir()
	truncated := filepath.Join(tmp, "truncated.json.gz")
	cut := len(full) - 5000 // inside the third record
	os.WriteFile(truncated, gz(full[:cut]), 0o644)
	corrupt := filepath.Join(tmp, "corrupt.json")
	// the second record's configurations become a string: a type error
	bad := bytes.Replace(full, []byte(`"id": "CVE-2021-3448"`), []byte(`"id": 3448`), 1)
	os.WriteFile(corrupt, bad, 0o644)

	for _, tc := range []struct {
		path, want string
	}{
		{truncated, "record 2 at byte offset"},
		{corrupt, "record 1 at byte offset"},
	} {
		_, err := ImportPaths(ctx, d, []string{good, files[0], tc.path}, time.Now())
		var fe *Error
		if err == nil || !errors.As(err, &fe) || fe.File != tc.path || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("import %s: error %v, want one naming the file and %q", tc.path, err, tc.want)
		}
		if after := counts(t, d); after != before {
			t.Errorf("failed import of %s changed the database: %+v -> %+v", tc.path, before, after)
		}
	}
	srcs, _ := d.Sources(ctx)
	if len(srcs) != 1 {
		t.Errorf("sources after failed imports: %+v", srcs)
	}
}

func TestImportEPSS(t *testing.T) {
	d := openTemp(t)
	ctx := context.Background()
	csv := "#model_version:v2025.03.14,score_date:2025-08-25T12:55:00Z\ncve,epss,percentile\nCVE-2022-0847,0.93557,0.99824\nCVE-2022-0934,0.00453,0.62874\n"
	p := filepath.Join(t.TempDir(), "epss_scores-2025-08-25.csv.gz")
	os.WriteFile(p, gz([]byte(csv)), 0o644)
	st, err := ImportPaths(ctx, d, []string{p}, time.Now())
	if err != nil || st[KindEPSS] != 2 {
		t.Fatalf("%v %v", st, err)
	}
	e, ok, err := d.EPSSFor(ctx, "CVE-2022-0847")
	if err != nil || !ok || e.Score != 0.93557 || e.Percentile != 0.99824 || e.Date != "2025-08-25" {
		t.Fatalf("%+v %v %v", e, ok, err)
	}
	bad := filepath.Join(t.TempDir(), "epss.csv")
	os.WriteFile(bad, []byte("cve,epss,percentile\nCVE-2022-0847,0.9,0.9\nCVE-2022-0934,zero,0.6\n"), 0o644)
	if _, err := ImportPaths(ctx, d, []string{bad}, time.Now()); err == nil || !strings.Contains(err.Error(), "epss.csv: row 1") {
		t.Fatalf("bad row: %v", err)
	}
}

func TestSniff(t *testing.T) {
	for in, want := range map[string]string{
		`{"title":"CISA Catalog","catalogVersion":"2025.08.25"`:       KindKEV,
		`{"resultsPerPage":2000,"vulnerabilities":[{"cve":{"id":"CVE`: KindNVD,
		`{"id": "CVE-2022-0934", "sourceIdentifier": "x"`:             KindNVD,
		`{"schema_version":"1.3.1","id":"GO-2021-0113"`:               KindOSV,
		"#model_version:v1\ncve,epss,percentile":                      KindEPSS,
		`<html>`:                                                      "",
	} {
		if got := Sniff([]byte(in)); got != want {
			t.Errorf("Sniff(%q) = %q, want %q", in, got, want)
		}
	}
}
