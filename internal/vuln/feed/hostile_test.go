package feed

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/thingsec/thingsec/internal/vuln/limit"
)

// writeGz streams parts (a string repeated n times, or once) into a
// gzip file, so a feed of hundreds of MB costs little disk and memory.
func writeGz(t *testing.T, p string, parts ...any) {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	for i := 0; i < len(parts); i++ {
		s := parts[i].(string)
		n := 1
		if i+1 < len(parts) {
			if k, ok := parts[i+1].(int); ok {
				n = k
				i++
			}
		}
		chunk := strings.Repeat(s, max(1, (1<<20)/max(1, len(s))))
		for left := n * len(s); left > 0; left -= len(chunk) {
			io.WriteString(w, chunk[:min(len(chunk), left)])
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func peakRSS() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			var kb int64
			for _, c := range f[1] {
				kb = kb*10 + int64(c-'0')
			}
			return kb << 10
		}
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.Sys)
}

// TestHugeRecordOrLine: one record (NVD, KEV, OSV) or line (EPSS) far
// larger than any real one fails the import with an error naming its
// position, without buffering it whole, and the database keeps its state.
func TestHugeRecordOrLine(t *testing.T) {
	huge := 64 << 20
	if testing.Short() || raceOn {
		huge = 24 << 20
	}
	before := `{"resultsPerPage":3,"format":"NVD_CVE","vulnerabilities":[{"cve":{"id":"CVE-2020-0001","descriptions":[{"lang":"en","value":"ok"}]}},`
	cases := []struct {
		name, want string
		parts      []any
	}{
		{"nvd.json.gz", "record 1 at byte offset", []any{before + `{"cve":{"id":"CVE-2020-0002","descriptions":[{"lang":"en","value":"`, "A", huge, `"}]}}]}`}},
		{"nvd-field.json.gz", "record 0 at byte offset", []any{`{"format":"NVD_CVE","junk":"`, "B", huge, `","vulnerabilities":[]}`}},
		{"kev.json.gz", "entry 0 at byte offset", []any{`{"catalogVersion":"1","vulnerabilities":[{"cveID":"CVE-2020-0001","dateAdded":"2020-01-01","vulnerabilityName":"`, "C", huge, `"}]}`}},
		{"osv.json.gz", "byte offset", []any{`{"schema_version":"1.3.1","id":"GO-1","modified":"2020-01-01T00:00:00Z","details":"`, "D", huge, `"}`}},
		{"epss.csv.gz", "row 1", []any{"cve,epss,percentile\nCVE-2020-0001,0.1,0.2\nCVE-2020-0002,0.1,", "9", huge, "\n"}},
	}
	d := openTemp(t)
	ctx := context.Background()
	base := counts(t, d)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), c.name)
			writeGz(t, p, c.parts...)
			runtime.GC()
			debug.FreeOSMemory()
			reset := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
			_, err := ImportPaths(ctx, d, []string{p}, time.Now())
			peak := peakRSS()
			if err == nil || !errors.Is(err, limit.ErrTooLarge) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.name) {
				t.Errorf("error %v: want a too-large error naming the file and %q", err, c.want)
			}
			if after := counts(t, d); after != base {
				t.Errorf("the failed import changed the database: %+v -> %+v", base, after)
			}
			t.Logf("%d MiB record: peak RSS %d MiB", huge>>20, peak>>20)
			if reset && !raceOn && peak > 256<<20 {
				t.Errorf("peak RSS %d MiB: the record was buffered", peak>>20)
			}
		})
	}
}
