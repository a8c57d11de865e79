package engine

import (
	"context"
	"strings"
	"testing"
)

// TestMemoryBudgetShedsWork: a scan whose memory budget is already used
// up does not extract new layers, says so in its problems, and still
// returns a report of what it has: no crash, no lost report.
func TestMemoryBudgetShedsWork(t *testing.T) {
	full, err := Scan(context.Background(), Config{Target: demo, Workers: 2, Unpack: true})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Scan(context.Background(), Config{Target: demo, Workers: 2, Unpack: true, MaxMemory: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	shed := 0
	for _, p := range rep.Problems {
		if p.Kind == "limit" && strings.Contains(p.Message, "memory limit") {
			shed++
		}
	}
	if shed == 0 {
		t.Fatalf("no memory-limit problem with a 1 MiB budget; problems: %v", rep.Problems)
	}
	if len(rep.Layers) == 0 || len(rep.Files) == 0 {
		t.Fatal("the report lost what was read before the budget was reached")
	}
	var a, b int
	for _, l := range full.Layers {
		if l.Extracted {
			a++
		}
	}
	for _, l := range rep.Layers {
		if l.Extracted {
			b++
		}
	}
	if b >= a {
		t.Fatalf("%d layers extracted under a 1 MiB budget, %d without: nothing was shed", b, a)
	}
}
