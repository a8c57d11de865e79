// Package memguard keeps a scan inside a memory budget. It sets the Go
// runtime's soft limit (GOMEMLIMIT) to the budget, so the collector works
// harder as the heap nears it, and watches the memory the runtime holds:
// once that passes a high-water mark, Pressure reports true and the engine
// sheds work (no new layers, no large in-memory reads) and lists what it
// skipped, instead of letting the runtime die with "out of memory" and
// leave its work directory behind.
package memguard

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
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

// The memory the runtime has mapped for itself, less the heap pages it
// already returned to the operating system. This is what the runtime's
// soft limit counts, but it is not what the process holds: an allocation
// that was never written (a decoder's window sized from a header, mostly
// unused) counts in full, and costs no memory until it is touched.
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

// held is the memory the process really holds for the runtime: the
// runtime's mapped memory, but no more than the anonymous resident set
// (resident pages less those backed by files, such as a database's
// mapping, which the kernel may drop at will). Pressure then comes when
// memory is used, not when it is only reserved.
func held(s []metrics.Sample) (int64, bool) {
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return 0, false
	}
	mapped := int64(s[0].Value.Uint64() - s[1].Value.Uint64())
	if rss, ok := residentAnon(); ok && rss < mapped {
		return rss, true
	}
	return mapped, true
}

var pageSize = int64(os.Getpagesize())

// residentAnon reads the anonymous resident set of the process from
// /proc/self/statm (resident minus shared pages); false where there is
// none (not Linux).
func residentAnon() (int64, bool) {
	f, err := os.Open("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	var buf [128]byte
	n, _ := f.Read(buf[:])
	fields := strings.Fields(string(buf[:n]))
	if len(fields) < 3 {
		return 0, false
	}
	res, err1 := strconv.ParseInt(fields[1], 10, 64)
	shared, err2 := strconv.ParseInt(fields[2], 10, 64)
	if err1 != nil || err2 != nil || res < shared {
		return 0, false
	}
	return (res - shared) * pageSize, true
}
