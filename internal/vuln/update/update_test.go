package update

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func sharedData(t *testing.T) string {
	dir := os.Getenv("THINGSEC_SHARED")
	if dir == "" {
		dir = "../../../../shared"
	}
	dir = filepath.Join(dir, "data")
	if _, err := os.Stat(filepath.Join(dir, "nvd", "INDEX.tsv")); err != nil {
		t.Skipf("shared corpus absent (%v): set THINGSEC_SHARED", err)
	}
	return dir
}

// fakeSources serves the shared corpus the way the real sources do: the
// NVD API pages (honouring startIndex and lastModStartDate), an OSV
// all.zip with an ETag, the KEV catalog with Last-Modified, EPSS gzip'd.
type fakeSources struct {
	mu       sync.Mutex
	nvd      []json.RawMessage
	modified []time.Time
	osvZip   []byte
	kev      []byte
	queries  []string
	notMod   int
	down     map[string]bool
}

func newFake(t *testing.T, dir string) *fakeSources {
	f := &fakeSources{down: map[string]bool{}}
	files, _ := filepath.Glob(filepath.Join(dir, "nvd", "CVE-*.json"))
	sort.Strings(files)
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			LastModified string `json:"lastModified"`
		}
		json.Unmarshal(b, &c)
		m, err := time.Parse("2006-01-02T15:04:05.000", c.LastModified)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		f.nvd = append(f.nvd, b)
		f.modified = append(f.modified, m)
	}
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	osv, _ := filepath.Glob(filepath.Join(dir, "osv-go", "GO-*.json"))
	for _, p := range osv {
		w, _ := zw.Create(filepath.Base(p))
		b, _ := os.ReadFile(p)
		w.Write(b)
	}
	zw.Close()
	f.osvZip = zb.Bytes()
	f.kev, _ = os.ReadFile(filepath.Join(dir, "kev", "known_exploited_vulnerabilities.json"))
	return f
}

func (f *fakeSources) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for p := range f.down {
		if strings.HasPrefix(r.URL.Path, p) {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
	}
	switch {
	case r.URL.Path == "/nvd":
		q := r.URL.Query()
		f.queries = append(f.queries, r.URL.RawQuery)
		start, _ := strconv.Atoi(q.Get("startIndex"))
		per, _ := strconv.Atoi(q.Get("resultsPerPage"))
		var from, to time.Time
		if s := q.Get("lastModStartDate"); s != "" {
			from, _ = time.Parse(nvdTime, s)
			to, _ = time.Parse(nvdTime, q.Get("lastModEndDate"))
		}
		var sel []json.RawMessage
		for i, rec := range f.nvd {
			if from.IsZero() || !f.modified[i].Before(from) && !f.modified[i].After(to) {
				sel = append(sel, rec)
			}
		}
		end := min(start+per, len(sel))
		page := sel[min(start, len(sel)):end]
		var b bytes.Buffer
		fmt.Fprintf(&b, `{"resultsPerPage":%d,"startIndex":%d,"totalResults":%d,"format":"NVD_CVE","version":"2.0","timestamp":"2026-11-24T00:00:00.000","vulnerabilities":[`, len(page), start, len(sel))
		for i, rec := range page {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"cve":`)
			b.Write(rec)
			b.WriteString(`}`)
		}
		b.WriteString("]}")
		w.Write(b.Bytes())
	case r.URL.Path == "/osv/Go/all.zip":
		if r.Header.Get("If-None-Match") == `"osv-1"` {
			f.notMod++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"osv-1"`)
		w.Write(f.osvZip)
	case r.URL.Path == "/kev.json":
		lm := "Mon, 25 Aug 2025 17:04:19 GMT"
		if r.Header.Get("If-Modified-Since") == lm {
			f.notMod++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Last-Modified", lm)
		w.Write(f.kev)
	case r.URL.Path == "/epss.csv":
		w.Write([]byte("#model_version:v2025.03.14,score_date:2025-08-25T00:00:00Z\ncve,epss,percentile\nCVE-2022-0847,0.93557,0.99824\n"))
	default:
		http.NotFound(w, r)
	}
}

func TestUpdateFromFakeSources(t *testing.T) {
	dir := sharedData(t)
	fake := newFake(t, dir)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "vuln.db")
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	cfg := Config{
		NVDURL: srv.URL + "/nvd", NVDPageSize: 50, NVDDelay: time.Millisecond,
		OSVURL: srv.URL + "/osv", OSVEcosystems: []string{"Go"},
		KEVURL: srv.URL + "/kev.json", EPSSURL: srv.URL + "/epss.csv",
		Now:   func() time.Time { return now },
		Sleep: noSleep,
	}
	out, err := Install(ctx, path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := counts(t, path)
	if c.NVD != 131 || c.OSV != 96 || c.KEV != 1404 || c.EPSS != 1 {
		t.Fatalf("counts %+v (results %+v)", c, out)
	}
	if len(fake.queries) != 3 { // 131 records in pages of 50
		t.Errorf("NVD queries %v", fake.queries)
	}

	// second run: conditional requests and an incremental NVD query
	fake.queries = nil
	now = now.Add(24 * time.Hour)
	out, err = Install(ctx, path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if fake.notMod != 2 {
		t.Errorf("conditional requests answered 304: %d, want 2 (osv, kev)", fake.notMod)
	}
	if len(fake.queries) != 1 || !strings.Contains(fake.queries[0], "lastModStartDate=2026-11-24T00%3A00%3A00.000Z") {
		t.Errorf("incremental NVD query: %v", fake.queries)
	}
	for _, r := range out.Sources {
		if r.Name == "kev" && (!r.Unchanged || r.Records != 0) {
			t.Errorf("kev result %+v", r)
		}
	}
	if after := counts(t, path); after != c {
		t.Errorf("counts changed on a no-op update: %+v -> %+v", c, after)
	}
	kev := source(t, path, "kev")
	if kev.Records != 1404 || kev.UpdatedAt != "2026-11-25T00:00:00Z" {
		t.Errorf("kev source after 304: %+v", kev)
	}
	if nvd := source(t, path, "nvd"); nvd.Records != 131 {
		t.Errorf("nvd source after an incremental update: %+v, want all 131 records counted", nvd)
	}

	// a source that is down: a clear error naming it, nothing changes
	fake.down["/kev"] = true
	before := fileSum(t, path)
	nvdBefore := source(t, path, "nvd")
	now = now.Add(24 * time.Hour)
	_, err = Install(ctx, path, cfg)
	var se *SourceError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "source kev") || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), srv.URL+"/kev.json") {
		t.Fatalf("down source: %v", err)
	}
	if fileSum(t, path) != before {
		t.Error("a failed update changed the database file")
	}
	if nvdAfter := source(t, path, "nvd"); nvdAfter != nvdBefore {
		t.Errorf("failed update moved the NVD cursor: %+v -> %+v", nvdBefore, nvdAfter)
	}
	srv.Close()
	_, err = Install(ctx, path, Config{Sources: []string{"epss"}, EPSSURL: srv.URL + "/epss.csv", Sleep: noSleep})
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "source epss") || !strings.Contains(err.Error(), "cannot be reached") || !strings.Contains(err.Error(), srv.URL+"/epss.csv") {
		t.Fatalf("unreachable source: %v", err)
	}
}
