package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/thingsec/thingsec/internal/vuln/db"
	"github.com/thingsec/thingsec/internal/vuln/enrich"
)

// runDB runs "thingsec db ..." through a root command that has the db
// command whether or not main.go registers it yet.
func runDB(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	g := &globals{stdout: &out, stderr: newErrLine(&errb)}
	root := newRoot(g)
	if c, _, err := root.Find([]string{"db"}); err != nil || c == root {
		root.AddCommand(newDB(g))
	}
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func isUsage(err error) bool {
	var ue usageError
	return errors.As(err, &ue)
}

// TestDBCommands imports the repository's own sample records, reads the
// status, carries the database through a bundle and refuses a corrupt feed
// without changing anything.
func TestDBCommands(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "vuln.db")
	t.Setenv("THINGSEC_DB", "")
	sample := filepath.Join("..", "vuln", "sample")

	// without a database: the sample's status, said to be the sample
	out, err := runDB(t, "db", "status", "--db-path", dbPath)
	if err != nil || !strings.Contains(out, "the embedded sample") || !strings.Contains(out, "no database at "+dbPath) || !strings.Contains(out, "77 NVD CVEs") {
		t.Fatalf("status without a database: %v\n%s", err, out)
	}
	out, _ = runDB(t, "db", "status", "--db-path", dbPath, "--format", "json")
	var sampleSt db.Status
	if err := json.Unmarshal([]byte(out), &sampleSt); err != nil || sampleSt.Kind != "sample" || sampleSt.Counts.NVD != 77 {
		t.Fatalf("json status without a database: %v %+v", err, sampleSt)
	}
	var ee exitError
	if _, err := runDB(t, "db", "status", "--db-path", dbPath, "--require-db"); !errors.As(err, &ee) || ee.code != ExitUsage || !strings.Contains(ee.msg, "embedded sample") {
		t.Fatalf("status --require-db without a database: %v", err)
	}
	if _, err := os.Stat(dbPath); !os.IsNotExist(err) {
		t.Fatalf("status created %s", dbPath)
	}
	out, err = runDB(t, "db", "import", "--db-path", dbPath, filepath.Join(sample, "nvd"), filepath.Join(sample, "kev.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "imported 77 nvd, 4 kev") {
		t.Errorf("import output %q", out)
	}

	out, err = runDB(t, "db", "status", "--db-path", dbPath, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var st db.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if st.Kind != "full" || st.Counts.NVD != 77 || st.Counts.KEV != 4 || len(st.Sources) != 2 || st.Stale != "" {
		t.Errorf("status %+v", st)
	}

	// a truncated feed: exit 2, named, database unchanged
	raw, _ := os.ReadFile(filepath.Join(sample, "nvd", "CVE-2022-0778.json"))
	bad := filepath.Join(dir, "cut.json")
	os.WriteFile(bad, raw[:len(raw)/2], 0o644)
	_, err = runDB(t, "db", "import", "--db-path", dbPath, filepath.Join(sample, "nvd", "CVE-2016-5195.json"), bad)
	if err == nil || !isUsage(err) || !strings.Contains(err.Error(), "cut.json") || !strings.Contains(err.Error(), "byte offset") {
		t.Fatalf("truncated feed: %v", err)
	}
	out, _ = runDB(t, "db", "status", "--db-path", dbPath, "--format", "json")
	var again db.Status
	json.Unmarshal([]byte(out), &again)
	if again.Counts != st.Counts || len(again.Sources) != 2 {
		t.Errorf("failed import changed the database: %+v", again)
	}

	bundle := filepath.Join(dir, "vulndb.gz")
	if _, err := runDB(t, "db", "export-bundle", "--db-path", dbPath, bundle); err != nil {
		t.Fatal(err)
	}
	airgap := filepath.Join(dir, "airgap", "vuln.db")
	if _, err := runDB(t, "db", "import-bundle", "--db-path", airgap, bundle); err != nil {
		t.Fatal(err)
	}
	out, err = runDB(t, "db", "status", "--db-path", airgap)
	if err != nil || !strings.Contains(out, "77 NVD CVEs") {
		t.Errorf("status of the installed bundle: %v\n%s", err, out)
	}
	if _, err := runDB(t, "db", "import-bundle", "--db-path", airgap, bad); err == nil || !isUsage(err) {
		t.Errorf("bad bundle: %v", err)
	}
	if _, err := runDB(t, "db", "update", "--db-path", dbPath, "--sources", "nvd,foo"); err == nil || !isUsage(err) {
		t.Errorf("unknown source: %v", err)
	}
}

// TestFailedFirstImportLeavesNoFile: an import that fails into a database
// that did not exist leaves no (empty) database behind.
func TestFailedFirstImportLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "vuln.db")
	raw, err := os.ReadFile(filepath.Join("..", "vuln", "sample", "nvd", "CVE-2022-0778.json"))
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "cut.json")
	os.WriteFile(bad, raw[:len(raw)/2], 0o644)
	if _, err := runDB(t, "db", "import", "--db-path", dbPath, bad); err == nil || !isUsage(err) {
		t.Fatalf("truncated feed: %v", err)
	}
	if left, _ := filepath.Glob(dbPath + "*"); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

// TestVulnFlagsFromConfig: configuration settings apply where no flag was
// given, and a flag given wins.
func TestVulnFlagsFromConfig(t *testing.T) {
	var v vulnFlags
	fs := pflag.NewFlagSet("scan", pflag.ContinueOnError)
	v.register(fs)
	if err := fs.Parse([]string{"--db-max-age", "24h"}); err != nil {
		t.Fatal(err)
	}
	v.fromConfig(fs, enrich.Policy{Path: "/srv/vuln.db", MaxAge: 72 * time.Hour, RequireDB: true})
	if v.policy.Path != "/srv/vuln.db" || v.policy.MaxAge != 24*time.Hour || !v.policy.RequireDB {
		t.Errorf("policy %+v", v.policy)
	}
}
