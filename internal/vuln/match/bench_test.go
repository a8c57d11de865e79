package match

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/vuln/db"
	"github.com/thingsec/thingsec/internal/vuln/feed"
	"github.com/thingsec/thingsec/internal/vuln/synth"
)

// benchDir holds the generated data between runs: generating and importing
// 300,000 records takes a while on a small machine.
func benchDir(b *testing.B) string {
	dir := os.Getenv("THINGSEC_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "thingsec-vuln-bench")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	return dir
}

// benchFeed generates (once) a synthetic NVD feed of n records.
func benchFeed(b *testing.B, n int) string {
	p := filepath.Join(benchDir(b), "nvd-synth-"+itoa(n)+".json")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	f, err := os.Create(p + ".tmp")
	if err != nil {
		b.Fatal(err)
	}
	if err := synth.WriteFeed(f, n, 1); err != nil {
		b.Fatal(err)
	}
	f.Close()
	if err := os.Rename(p+".tmp", p); err != nil {
		b.Fatal(err)
	}
	return p
}

func itoa(n int) string {
	var s []byte
	for ; n > 0; n /= 10 {
		s = append([]byte{byte('0' + n%10)}, s...)
	}
	return string(s)
}

// BenchmarkImportNVD imports 50,000 synthetic NVD records into a new
// database per iteration and reports records per second.
func BenchmarkImportNVD(b *testing.B) {
	const n = 50000
	src := benchFeed(b, n)
	b.ResetTimer()
	var total time.Duration
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		p := filepath.Join(b.TempDir(), "vuln.db")
		d, err := db.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		st, err := feed.ImportPaths(context.Background(), d, []string{src}, time.Now())
		total += time.Since(start)
		if err != nil || st[feed.KindNVD] != n {
			b.Fatal(st, err)
		}
		d.Close()
	}
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "records/s")
	// on a shared machine wall time depends on the neighbours; CPU time
	// (both goroutines of the pipeline) does not
	b.ReportMetric(float64(n*b.N)/(cpuTime()-cpu0).Seconds(), "records/cpu-s")
}

// BenchmarkMatch300k matches 1,000 components against a database of
// 300,000 synthetic NVD records (built once and kept in the bench dir).
func BenchmarkMatch300k(b *testing.B) {
	const n = 300000
	p := filepath.Join(benchDir(b), "vuln-300k.db")
	if _, err := os.Stat(p); err != nil {
		src := benchFeed(b, n)
		d, err := db.Open(p + ".tmp")
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := feed.ImportPaths(context.Background(), d, []string{src}, time.Now()); err != nil {
			b.Fatal(err)
		}
		b.Logf("imported %d records in %s (%.0f records/s)", n, time.Since(start), n/time.Since(start).Seconds())
		d.Close()
		if err := os.Rename(p+".tmp", p); err != nil {
			b.Fatal(err)
		}
	}
	d, err := db.OpenDefault(p)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	comps := synth.Components(1000, 7)
	ctx := context.Background()
	b.ResetTimer()
	var found int
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		m := New(d)
		vulns, _, err := m.Match(ctx, comps)
		if err != nil {
			b.Fatal(err)
		}
		found = len(vulns)
	}
	b.ReportMetric(float64(found), "vulns")
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// cpuTime is the user+system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
