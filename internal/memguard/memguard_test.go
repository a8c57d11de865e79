package memguard

import (
	"runtime/debug"
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
