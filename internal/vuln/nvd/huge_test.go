package nvd

import (
	"errors"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/vuln/limit"
)

// hugeFeed streams an NVD page whose second record has a description of
// n bytes, without holding it: the input is as large as a hostile or
// broken feed makes it, the test's memory is not.
func hugeFeed(t *testing.T, n int64) io.Reader {
	raw, err := os.ReadFile(sampleRecord)
	if err != nil {
		t.Fatal(err)
	}
	head := `{"resultsPerPage":3,"startIndex":0,"totalResults":3,"format":"NVD_CVE","version":"2.0","timestamp":"2026-11-24T00:00:00.000","vulnerabilities":[{"cve":` + string(raw) + `},{"cve":{"id":"CVE-2099-0001","descriptions":[{"lang":"en","value":"`
	tail := `"}]}},{"cve":` + string(raw) + `}]}`
	return io.MultiReader(strings.NewReader(head), io.LimitReader(repeatReader('a'), n), strings.NewReader(tail))
}

type repeatReader byte

func (b repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

// TestHugeRecord: a 300 MB record in a feed stops the import with a clear
// error naming the limit, after reading little more than the limit, and
// without the memory the record would take.
func TestHugeRecord(t *testing.T) {
	n := int64(300 << 20)
	if testing.Short() {
		n = 40 << 20
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got := 0
	_, _, err := Decode(hugeFeed(t, n), func(Record) error { got++; return nil })
	runtime.ReadMemStats(&after)
	if !errors.Is(err, limit.ErrTooLarge) || !strings.Contains(err.Error(), "record too large") {
		t.Fatalf("err = %v, want the record limit", err)
	}
	if got != 1 {
		t.Errorf("%d records decoded before the huge one, want 1", got)
	}
	// The decoder may buffer about a record's worth (and its growth);
	// the whole 300 MB record would be far more.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8*limit.MaxRecord {
		t.Errorf("allocated %d MiB for a record limit of %d MiB", alloc>>20, limit.MaxRecord>>20)
	}
	t.Logf("%d MiB record: %v", n>>20, err)
}
