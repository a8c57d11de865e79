// Package memguard keeps a scan inside a memory budget. It sets the Go
// runtime's soft limit (GOMEMLIMIT) to the budget, so the collector works
// harder as the heap nears it, and watches the memory the runtime holds:
// once that passes a high-water mark, Pressure reports true and the engine
// sheds work (no new layers, no large in-memory reads) and lists what it
// skipped, instead of letting the runtime die with "out of memory" and
// leave its work directory behind.
package memguard

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultLimit is the budget when the user sets none: a quarter of a
// 24 GiB build machine, far above what a scan of any real image needs.
const DefaultLimit = 6 << 30

// HighWater is the share of the limit past which work is shed.
const HighWater = 0.85

// Guard watches one scan's memory.
type Guard struct {
	limit    int64
	pressure atomic.Bool
	peak     atomic.Int64
	stop     chan struct{}
	once     sync.Once
	prev     int64
}

// The memory the runtime holds: everything it mapped, less the heap
// pages it already returned to the operating system.
const (
	metricTotal    = "/memory/classes/total:bytes"
	metricReleased = "/memory/classes/heap/released:bytes"
)

// Start sets the soft limit and starts watching. limit <= 0 means
// DefaultLimit. A GOMEMLIMIT in the environment that is lower wins.
func Start(limit int64) *Guard {
	if limit <= 0 {
		limit = DefaultLimit
	}
	g := &Guard{limit: limit, stop: make(chan struct{})}
	cur := debug.SetMemoryLimit(-1)
	if cur <= 0 || cur > limit {
		g.prev = debug.SetMemoryLimit(limit)
	} else {
		g.limit = cur
		g.prev = cur
	}
	go g.watch()
	return g
}

// Limit is the budget in bytes.
func (g *Guard) Limit() int64 { return g.limit }

// Pressure says whether memory use is past the high-water mark: new work
// that needs memory should be skipped and listed as a problem.
func (g *Guard) Pressure() bool { return g != nil && g.pressure.Load() }

// Peak is the most memory the runtime held while watched.
func (g *Guard) Peak() int64 { return g.peak.Load() }

// Stop ends watching and restores the previous soft limit.
func (g *Guard) Stop() {
	g.once.Do(func() {
		close(g.stop)
		debug.SetMemoryLimit(g.prev)
	})
}

func (g *Guard) watch() {
	s := []metrics.Sample{{Name: metricTotal}, {Name: metricReleased}}
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		g.sample(s)
		select {
		case <-g.stop:
			return
		case <-t.C:
		}
	}
}

func (g *Guard) sample(s []metrics.Sample) {
	used, ok := held(s)
	if !ok {
		return
	}
	if used > g.peak.Load() {
		g.peak.Store(used)
	}
	high := int64(float64(g.limit) * HighWater)
	switch {
	case used > high:
		if !g.pressure.Load() {
			// give back what the collector can before declaring pressure
			runtime.GC()
			if u, _ := held(s); u <= high {
				return
			}
		}
		g.pressure.Store(true)
	case used < high*3/4:
		g.pressure.Store(false)
	}
}

func held(s []metrics.Sample) (int64, bool) {
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return 0, false
	}
	return int64(s[0].Value.Uint64() - s[1].Value.Uint64()), true
}
