package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/sets"
)

// TestLargeFilesAreNotSilentlyMissed: a private key 100 MiB into a file
// (more than the engine holds in memory) and a token in the middle of a
// 10 MiB single line are both found by a full scan, and no analyzer that
// looks for secrets reports the files as skipped.
func TestLargeFilesAreNotSilentlyMissed(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 110 MiB")
	}
	dir := t.TempDir()
	key, err := os.ReadFile("../../internal/analyze/crypto/testdata/ec-p256.key")
	if err != nil {
		t.Skipf("no test key: %v", err)
	}
	f, err := os.Create(filepath.Join(dir, "dump.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(100 << 20); err != nil { // sparse: zeros up to 100 MiB
		t.Fatal(err)
	}
	if _, err := f.WriteAt(append([]byte("\n"), key...), 100<<20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	line := strings.Repeat("k=v;", 5<<20/4) + " slack_bot_token=xoxb-281634196559-1587793086914-MRlFxQ6voXpYmgt2G9nFPVK1 " + strings.Repeat("k=v;", 5<<20/4)
	if err := os.WriteFile(filepath.Join(dir, "oneline.conf"), []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := sets.Build("secrets", sets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Scan(context.Background(), Config{Target: dir, Workers: 2, Files: set.Files, Trees: set.Trees})
	if err != nil {
		t.Fatal(err)
	}
	var keyAt, tokenIn bool
	for _, fd := range rep.Findings {
		switch {
		case fd.Location.Path == "/dump.bin" && fd.Category == "private-key" && fd.Location.Offset == 100<<20+1:
			keyAt = true
		case fd.Location.Path == "/oneline.conf" && strings.Contains(strings.ToLower(fd.Title), "slack"):
			tokenIn = true
		}
	}
	if !keyAt || !tokenIn {
		for _, fd := range rep.Findings {
			t.Logf("%s %s %+v", fd.RuleID, fd.Title, fd.Location)
		}
		t.Fatalf("key at 100 MiB found: %v; token in a 10 MiB line found: %v", keyAt, tokenIn)
	}
	for _, s := range rep.Skipped {
		if s.Analyzer == "secrets" || s.Analyzer == "crypto" {
			t.Errorf("%s skipped %s: %s", s.Analyzer, s.Path, s.Reason)
		}
	}
}
