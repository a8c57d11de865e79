package sample

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestOpenDefaultOrSample(t *testing.T) {
	ctx := context.Background()
	d, usingSample, err := OpenDefaultOrSample(ctx, filepath.Join(t.TempDir(), "absent.db"))
	if err != nil || !usingSample {
		t.Fatalf("%v %v", usingSample, err)
	}
	defer d.Close()
	c, err := d.Counts(ctx)
	if err != nil || c.NVD != 77 || c.KEV != 4 {
		t.Fatalf("sample counts %+v %v", c, err)
	}
	// the sample is dated: scans warn that it is old
	w, _ := d.StaleWarning(ctx, 7*24*time.Hour, Collected.Add(30*24*time.Hour))
	if !strings.Contains(w, "30d old") {
		t.Errorf("stale warning %q", w)
	}
}
