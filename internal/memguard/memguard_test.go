package memguard

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestPressureAboveHighWater(t *testing.T) {
	g := Start(64 << 20)
	defer g.Stop()
	if debug.SetMemoryLimit(-1) > 64<<20 {
		t.Fatalf("soft limit not set")
	}
	var hold [][]byte
	deadline := time.Now().Add(10 * time.Second)
	for !g.Pressure() && time.Now().Before(deadline) {
		b := make([]byte, 4<<20)
		for i := range b {
			b[i] = byte(i)
		}
		hold = append(hold, b)
		if len(hold) > 32 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(120 * time.Millisecond)
	if !g.Pressure() {
		t.Fatalf("no pressure with %d MiB held under a 64 MiB budget (peak %d)", len(hold)*4, g.Peak())
	}
	hold = nil
	deadline = time.Now().Add(10 * time.Second)
	for g.Pressure() && time.Now().Before(deadline) {
		debug.FreeOSMemory()
		time.Sleep(60 * time.Millisecond)
	}
	if g.Pressure() {
		t.Fatalf("pressure did not clear after the memory was released")
	}
}

func TestStopRestoresLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	g := Start(1 << 40)
	g.Stop()
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Fatalf("limit after Stop = %d, want %d", got, before)
	}
	var nilGuard *Guard
	if nilGuard.Pressure() {
		t.Fatal("a nil guard reports pressure")
	}
}

// TestPressureCountsResidentMemory: memory that is allocated but never
// written (a decoder's window sized from a header) costs nothing and must
// not make the engine shed work; once it is written, it counts.
func TestPressureCountsResidentMemory(t *testing.T) {
	if _, ok := residentAnon(); !ok {
		t.Skip("no /proc/self/statm")
	}
	// Five times the budget, reserved but untouched (fresh pages from the
	// operating system are not cleared by the runtime), allocated before
	// the soft limit is set so that the collector does not run at each.
	var hold [][]byte
	for i := 0; i < 8; i++ {
		hold = append(hold, make([]byte, 64<<20))
	}
	// The budget sits 96 MiB above what the process already holds: the
	// test binary's own resident set varies (the race detector's shadow
	// memory alone can pass 100 MiB) and is not what is being tested.
	base, _ := residentAnon()
	limit := base + 96<<20
	g := Start(limit)
	defer g.Stop()
	s := []metrics.Sample{{Name: metricTotal}, {Name: metricReleased}}
	g.sample(s)
	mapped := readMapped(s)
	if mapped < 8*64<<20 {
		t.Fatalf("the runtime maps %d MiB for 512 MiB of allocations", mapped>>20)
	}
	if g.Pressure() {
		rss, _ := residentAnon()
		t.Fatalf("pressure with %d MiB reserved but %d MiB resident (%d MiB before) under a %d MiB budget", mapped>>20, rss>>20, base>>20, limit>>20)
	}
	// Write more than the budget: now it is held. Some of the buffers may
	// be resident already (memory the runtime reused and cleared), so
	// write until the resident set has grown by 128 MiB.
	for _, b := range hold {
		if rss, _ := residentAnon(); rss-base >= 128<<20 {
			break
		}
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
	}
	g.sample(s)
	if !g.Pressure() {
		rss, _ := residentAnon()
		t.Fatalf("no pressure with %d MiB resident (%d MiB before) under a %d MiB budget", rss>>20, base>>20, limit>>20)
	}
	runtime.KeepAlive(hold)
}

func readMapped(s []metrics.Sample) int64 {
	metrics.Read(s)
	return int64(s[0].Value.Uint64() - s[1].Value.Uint64())
}
