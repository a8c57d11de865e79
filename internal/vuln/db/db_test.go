package db

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func put(t *testing.T, d *DB, id, summary string) {
	t.Helper()
	err := d.Import(context.Background(), func(tx *Tx) error {
		if err := tx.PutNVD(Vuln{ID: id, Summary: summary}, []Config{{Nodes: []Node{{Operator: "OR", Matches: []CPEMatch{
			{Vulnerable: true, Criteria: "cpe:2.3:a:thekelleys:dnsmasq:*:*:*:*:*:*:*:*", EndExcl: "2.87"},
			{Vulnerable: false, Criteria: "cpe:2.3:o:debian:debian_linux:11.0:*:*:*:*:*:*:*"},
		}}}}}); err != nil {
			return err
		}
		return tx.PutSource(Source{Name: "nvd test", Kind: "nvd", UpdatedAt: "2026-11-01T00:00:00Z", Records: 1})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenDefault(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvPath, filepath.Join(dir, "env.db"))
	if p, _ := DefaultPath(""); p != filepath.Join(dir, "env.db") {
		t.Errorf("DefaultPath with %s = %s", EnvPath, p)
	}
	if p, _ := DefaultPath("/x/flag.db"); p != "/x/flag.db" {
		t.Errorf("--db-path not preferred: %s", p)
	}
	_, err := OpenDefault("")
	if !errors.Is(err, ErrNoDatabase) || !strings.Contains(err.Error(), "env.db") || !strings.Contains(err.Error(), "thingsec db update") {
		t.Fatalf("absent database: %v", err)
	}
	t.Setenv(EnvPath, "")
	t.Setenv("XDG_CACHE_HOME", dir)
	t.Setenv("HOME", dir)
	if p, _ := DefaultPath(""); !strings.HasSuffix(p, filepath.Join("thingsec", "vuln.db")) {
		t.Errorf("default path %s", p)
	}
}

func TestMigrateAndReopen(t *testing.T) {
	p := filepath.Join(t.TempDir(), "vuln.db")
	d, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	put(t, d, "CVE-2022-0934", "first")
	put(t, d, "CVE-2022-0934", "second") // re-import replaces
	ctx := context.Background()
	c, _ := d.Counts(ctx)
	if c.NVD != 1 || c.Configs != 1 {
		t.Errorf("counts after re-import: %+v", c)
	}
	rows, _ := d.ConfigsFor(ctx, "thekelleys", "dnsmasq", nil)
	if len(rows) != 1 {
		t.Errorf("index rows: %d", len(rows))
	}
	if rows, _ := d.ConfigsFor(ctx, "debian", "debian_linux", nil); len(rows) != 0 {
		t.Errorf("a platform criterion was indexed")
	}
	d.Close()
	d, err = OpenDefault(p)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	v, ok, err := d.Vuln(ctx, "CVE-2022-0934", SourceNVD)
	if err != nil || !ok || v.Summary != "second" {
		t.Fatalf("%+v %v %v", v, ok, err)
	}
	if ver, _ := d.Version(ctx); ver != SchemaVersion() {
		t.Errorf("schema version %d, want %d", ver, SchemaVersion())
	}
	if _, err := d.sql.Exec(`UPDATE schema_version SET version = 999`); err != nil {
		t.Fatal(err)
	}
	d.Close()
	if _, err := Open(p); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("newer schema accepted: %v", err)
	}
}

func TestStaleWarning(t *testing.T) {
	d, err := Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	if w, _ := d.StaleWarning(ctx, 24*time.Hour, time.Now()); !strings.Contains(w, "never been updated") {
		t.Errorf("empty db: %q", w)
	}
	put(t, d, "CVE-2022-0934", "x")
	now := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	if w, _ := d.StaleWarning(ctx, 7*24*time.Hour, now); !strings.Contains(w, "19d old") {
		t.Errorf("stale: %q", w)
	}
	if w, _ := d.StaleWarning(ctx, 30*24*time.Hour, now); w != "" {
		t.Errorf("fresh: %q", w)
	}
}

func TestBundleRoundTrip(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(filepath.Join(dir, "src.db"))
	if err != nil {
		t.Fatal(err)
	}
	put(t, d, "CVE-2022-0934", "bundled")
	ctx := context.Background()
	var buf bytes.Buffer
	if err := d.ExportBundle(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	d.Close()
	dst := filepath.Join(dir, "airgap", "vuln.db")
	if err := ImportBundle(ctx, bytes.NewReader(buf.Bytes()), "b.gz", dst); err != nil {
		t.Fatal(err)
	}
	// a truncated bundle is refused and leaves the installed one alone
	err = ImportBundle(ctx, bytes.NewReader(buf.Bytes()[:buf.Len()/2]), "cut.gz", dst)
	if err == nil || !strings.Contains(err.Error(), "cut.gz") {
		t.Fatalf("truncated bundle: %v", err)
	}
	if err := ImportBundle(ctx, strings.NewReader("not gzip"), "x.gz", dst); err == nil {
		t.Fatal("garbage bundle accepted")
	}
	got, err := OpenDefault(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	v, ok, _ := got.Vuln(ctx, "CVE-2022-0934", SourceNVD)
	if !ok || v.Summary != "bundled" {
		t.Fatalf("bundle content: %+v", v)
	}
	entries, _ := os.ReadDir(filepath.Dir(dst))
	if len(entries) != 1 {
		t.Errorf("leftovers next to the database: %v", entries)
	}
}
