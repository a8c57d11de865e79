package cli

import (
	"bytes"
	"context"
	"github.com/thingsec/thingsec/internal/analyze/inventory"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
)

// TestUpgradedMatchesRescan scans, against the shared corpus's NVD, KEV and
// Go records, the tree that the 1.0.0 report in internal/model/testdata
// was made from, and compares: every vulnerability ReadReport derives from
// the 1.0.0 report (matched_by parsed from its text, severity, dates, url,
// component name and version) equals the fresh scan's, apart from fixed,
// whose meaning 2.0.0 narrowed to the versions above the installed one.
func TestUpgradedMatchesRescan(t *testing.T) {
	data := filepath.Join(sharedDir(), "data")
	if _, err := os.Stat(filepath.Join(data, "nvd", "INDEX.tsv")); err != nil {
		t.Skipf("shared corpus absent (%v): set THINGSEC_SHARED", err)
	}
	dir := t.TempDir()
	tgt := filepath.Join(dir, "tgt")
	files := map[string]string{
		"usr/lib/opkg/status": "Package: dnsmasq\nVersion: 2.85-1\nStatus: install user installed\nArchitecture: mipsel_24kc\n\n" +
			"Package: busybox\nVersion: 1.33.1-1\nStatus: install user installed\nArchitecture: mipsel_24kc\n\n" +
			"Package: kernel\nVersion: 5.16.10-1-abc\nStatus: install user installed\nArchitecture: mipsel_24kc\n\n" +
			"Package: sudo\nVersion: 1.8.31-1\nStatus: install user installed\nArchitecture: mipsel_24kc\n",
		"app/go.mod": "module example.com/app\n\ngo 1.20\n\nrequire (\n\tgolang.org/x/text v0.3.5\n\tgolang.org/x/net v0.7.0\n)\n",
	}
	for name, body := range files {
		p := filepath.Join(tgt, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db := filepath.Join(dir, "v.db")
	var out, errb bytes.Buffer
	ctx := context.Background()
	if code := Main(ctx, []string{"thingsec", "db", "import", "-q", "--db-path", db, filepath.Join(data, "nvd"), filepath.Join(data, "kev"), filepath.Join(data, "osv-go")}, &out, &errb); code != 0 {
		t.Fatalf("db import: exit %d: %s", code, errb.String())
	}
	out.Reset()
	if code := Main(ctx, []string{"thingsec", "scan", "-q", "--format", "json", "--db-path", db, tgt}, &out, &errb); code != 0 {
		t.Fatalf("scan: exit %d: %s", code, errb.String())
	}
	reporttest.Validate(t, out.Bytes())
	fresh, err := model.DecodeReport(out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("../model/testdata/report-1.0.0-vulns.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	old, err := model.ReadReport(f)
	if err != nil {
		t.Fatal(err)
	}
	now := map[string]model.Vulnerability{}
	for _, v := range fresh.Vulnerabilities {
		now[v.Component+" "+v.ID] = v
	}
	if len(old.Vulnerabilities) < 40 || len(old.Vulnerabilities) != len(fresh.Vulnerabilities) {
		t.Fatalf("1.0.0 report: %d vulnerabilities, rescan: %d", len(old.Vulnerabilities), len(fresh.Vulnerabilities))
	}
	for _, o := range old.Vulnerabilities {
		n, ok := now[o.Component+" "+o.ID]
		o.Fixed, n.Fixed = nil, nil
		// 2.1.0 added the priority the scan derives from KEV, EPSS and
		// exposure; a 1.0.0 report has none
		n.Priority = nil
		// 1.0.0 reports held an opkg package's upstream version; its
		// version now carries the package revision (1.33.1-1)
		if inventory.Upstream(n.InstalledVersion) == o.InstalledVersion {
			o.InstalledVersion = n.InstalledVersion
		}
		if !ok || !reflect.DeepEqual(o, n) {
			t.Errorf("%s %s:\n upgraded %+v\n rescan   %+v", o.Component, o.ID, o, n)
		}
	}
}
