package privdata

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDebugDir(t *testing.T) {
	dir := os.Getenv("PD_DIR")
	if dir == "" {
		t.Skip()
	}
	keepAll = os.Getenv("PD_ALL") != ""
	defer func() { keepAll = false }()
	n := 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return nil
	})
	out := scanDir(t, New(), dir)
	t.Logf("%d files", n)
	for _, f := range out.Findings {
		t.Logf("%s %s %s:%d %q | %s", f.RuleID, f.Severity, f.Location.Path, f.Location.Line, f.Title, f.Evidence)
	}
	for _, p := range out.Problems {
		t.Logf("problem %s %s", p.Path, p.Message)
	}
}
