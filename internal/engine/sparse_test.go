package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/analyze/sets"
	"github.com/thingsec/thingsec/internal/unpack"
)

// TestSparseTargetReadUpToLimit: a full scan of a 1 TiB sparse target
// (what a device node or a hostile file looks like) reads, hashes and
// analyses only --max-target-bytes of it and says so; it must not read
// the terabyte (the test would time out long before).
func TestSparseTargetReadUpToLimit(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "sparse.img")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 40); err != nil {
		f.Close()
		t.Skipf("no 1 TiB sparse file here: %v", err)
	}
	f.Close()
	set, err := sets.Build("secrets", sets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lim := unpack.DefaultLimits()
	lim.MaxTargetBytes = 4 << 20
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := Scan(ctx, Config{Target: img, Workers: 2, Files: set.Files, Trees: set.Trees, Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range rep.Problems {
		found = found || p.Kind == "limit" && strings.Contains(p.Message, "MaxTargetBytes")
	}
	if !found {
		t.Errorf("no problem says the target was cut: %+v", rep.Problems)
	}
}
