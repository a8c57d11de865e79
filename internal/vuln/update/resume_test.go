package update

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/vuln/db"
	"github.com/thingsec/thingsec/internal/vuln/feedtest"
)

func noSleep(ctx context.Context, d time.Duration) error { return ctx.Err() }

func counts(t *testing.T, path string) db.Counts {
	t.Helper()
	d, err := db.OpenDefault(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	c, err := d.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func source(t *testing.T, path, name string) db.Source {
	t.Helper()
	d, err := db.OpenDefault(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s, _, err := d.SourceByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fileSum(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// sampleFeed serves the repository's sample records (77 NVD CVEs, 4 KEV
// entries) as the NVD API and the KEV catalog.
func sampleFeed(t *testing.T) (*feedtest.Server, Config) {
	t.Helper()
	fs := &feedtest.Server{Files: map[string]string{"/kev.json": filepath.Join("..", "sample", "kev.json")}}
	if err := fs.LoadNVD(filepath.Join("..", "sample", "nvd")); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fs)
	t.Cleanup(srv.Close)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	return fs, Config{
		Sources: []string{"nvd", "kev"},
		NVDURL:  srv.URL + "/nvd", NVDPageSize: 10, KEVURL: srv.URL + "/kev.json",
		Now:   func() time.Time { return now },
		Sleep: noSleep,
	}
}

func mustFault(t *testing.T, s string) *feedtest.Fault {
	f, err := feedtest.ParseFault(s)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func startIndexes(reqs []string) []string {
	var out []string
	for _, r := range reqs {
		if i := strings.Index(r, "startIndex="); i >= 0 {
			out = append(out, strings.SplitN(r[i+len("startIndex="):], "&", 2)[0])
		}
	}
	return out
}

// TestTransientFaultsAreRetried: 503s, a 429 with Retry-After, a dropped
// connection and a page cut short, each on some page, end in a complete
// database.
func TestTransientFaultsAreRetried(t *testing.T) {
	fs, cfg := sampleFeed(t)
	for _, f := range []string{"/nvd@0=503x2", "/nvd@10=429x1,retry-after=3", "/nvd@20=dropx1", "/nvd@30=truncatex1", "/kev.json=502x1", "/kev.json=truncatex1"} {
		fs.AddFault(mustFault(t, f))
	}
	var waits []string
	cfg.Sleep = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d.String())
		return nil
	}
	path := filepath.Join(t.TempDir(), "vuln.db")
	if _, err := Install(context.Background(), path, cfg); err != nil {
		t.Fatal(err)
	}
	if c := counts(t, path); c.NVD != 77 || c.KEV != 4 {
		t.Errorf("counts %+v", c)
	}
	got := strings.Join(startIndexes(fs.Requests()), " ")
	if want := "0 0 0 10 10 20 20 30 30 40 50 60 70"; got != want {
		t.Errorf("NVD pages requested %s, want %s", got, want)
	}
	if !strings.Contains(strings.Join(waits, " "), "3s") {
		t.Errorf("Retry-After 3 not honoured: waits %v", waits)
	}
	if _, err := os.Stat(WorkPath(path)); err == nil {
		t.Error("the work copy is left after a complete update")
	}
	if n := strings.Count(strings.Join(fs.Requests(), " "), "/kev.json"); n != 3 {
		t.Errorf("%d KEV requests, want 3 (502, cut-short JSON, whole)", n)
	}
}

// TestCheckComplete: files cut short are caught whatever their kind;
// whole ones pass.
func TestCheckComplete(t *testing.T) {
	dir := t.TempDir()
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("GO-2022-0001.json")
	w.Write(bytes.Repeat([]byte(`{"id":"GO-2022-0001"}`), 100))
	zw.Close()
	var gb bytes.Buffer
	gw := gzip.NewWriter(&gb)
	gw.Write(bytes.Repeat([]byte("cve,epss,percentile\nCVE-2022-0847,0.9,0.9\n"), 200))
	gw.Close()
	kev, err := os.ReadFile(filepath.Join("..", "sample", "kev.json"))
	if err != nil {
		t.Fatal(err)
	}
	for name, whole := range map[string][]byte{"all.zip": zb.Bytes(), "epss.csv.gz": gb.Bytes(), "kev.json": kev} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, whole, 0o644)
		if err := checkComplete(p); err != nil {
			t.Errorf("%s whole: %v", name, err)
		}
		for _, cut := range []int{len(whole) / 2, len(bytes.TrimSpace(whole)) - 1} {
			os.WriteFile(p, whole[:cut], 0o644)
			if err := checkComplete(p); err == nil {
				t.Errorf("%s cut at %d of %d: no error", name, cut, len(whole))
			}
		}
	}
}

// TestFailedFirstUpdateLeavesNoFile: when the first update fails there is
// no database file at all (never an empty one), and the rerun resumes at
// the page that failed.
func TestFailedFirstUpdateLeavesNoFile(t *testing.T) {
	fs, cfg := sampleFeed(t)
	fs.AddFault(mustFault(t, "/nvd@30=503"))
	path := filepath.Join(t.TempDir(), "vuln.db")
	_, err := Install(context.Background(), path, cfg)
	var se *SourceError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "/nvd?") || !strings.Contains(err.Error(), "startIndex=30") || !strings.Contains(err.Error(), "6 attempts") {
		t.Fatalf("error %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a failed first update left %s (%v)", path, err)
	}
	fs.ClearFaults()
	before := len(fs.Requests())
	out, err := Install(context.Background(), path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(startIndexes(fs.Requests()[before:]), " "); got != "30 40 50 60 70" {
		t.Errorf("resumed run requested pages %s, want 30 40 50 60 70", got)
	}
	if !out.Resumed || out.Sources[0].Resumed != 30 || out.Sources[0].Records != 77 {
		t.Errorf("outcome %+v", out)
	}
	if c := counts(t, path); c.NVD != 77 || c.KEV != 4 {
		t.Errorf("counts %+v", c)
	}
	// the cursor is the first run's start: nothing modified during the
	// interrupted download is missed by the next update
	if s := source(t, path, "nvd"); s.Cursor != "2026-12-01T00:00:00.000Z" || s.Records != 77 {
		t.Errorf("nvd source %+v", s)
	}
}

// TestInterruptedUpdateKeepsDatabase cancels an update while a page
// hangs: the existing database is byte for byte unchanged, and the rerun
// continues at that page.
func TestInterruptedUpdateKeepsDatabase(t *testing.T) {
	fs, cfg := sampleFeed(t)
	path := filepath.Join(t.TempDir(), "vuln.db")
	cfg.Sources = []string{"kev"}
	if _, err := Install(context.Background(), path, cfg); err != nil {
		t.Fatal(err)
	}
	before := fileSum(t, path)
	cfg.Sources = []string{"nvd", "kev"}
	fs.AddFault(mustFault(t, "/nvd@40=hang"))
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		fs.WaitFor("startIndex=40", time.Minute)
		cancel()
	}()
	out, err := Install(ctx, path, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	var se *SourceError
	if errors.As(err, &se) {
		t.Errorf("an interruption reported as a source error: %v", err)
	}
	if out.NVDPages != 4 || out.Work != WorkPath(path) {
		t.Errorf("outcome %+v", out)
	}
	if fileSum(t, path) != before {
		t.Error("an interrupted update changed the database file")
	}
	fs.ClearFaults()
	n := len(fs.Requests())
	if _, err := Install(context.Background(), path, cfg); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(startIndexes(fs.Requests()[n:]), " "); got != "40 50 60 70" {
		t.Errorf("resumed pages %s", got)
	}
	if c := counts(t, path); c.NVD != 77 || c.KEV != 4 {
		t.Errorf("counts %+v", c)
	}
}

// TestChangedDatabaseRestarts: a work copy of another database is not
// continued.
func TestChangedDatabaseRestarts(t *testing.T) {
	fs, cfg := sampleFeed(t)
	path := filepath.Join(t.TempDir(), "vuln.db")
	fs.AddFault(mustFault(t, "/nvd@20=404"))
	if _, err := Install(context.Background(), path, cfg); err == nil {
		t.Fatal("no error")
	}
	fs.ClearFaults()
	// another database appears meanwhile (an import, a bundle)
	d, err := db.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	n := len(fs.Requests())
	out, err := Install(context.Background(), path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if out.Resumed || !strings.Contains(out.Discarded, "changed") {
		t.Errorf("outcome %+v", out)
	}
	if got := strings.Join(startIndexes(fs.Requests()[n:]), " "); got != "0 10 20 30 40 50 60 70" {
		t.Errorf("pages %s", got)
	}
}

// TestEmptyMirrorIsRefused: sources that deliver no records do not
// replace a database.
func TestEmptyMirrorIsRefused(t *testing.T) {
	fs := &feedtest.Server{Files: map[string]string{"/kev.json": filepath.Join("..", "sample", "kev.json")}}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "vuln.db")
	_, err := Install(context.Background(), path, Config{Sources: []string{"nvd", "kev"}, NVDURL: srv.URL + "/nvd", KEVURL: srv.URL + "/kev.json", Sleep: noSleep})
	if err == nil || !strings.Contains(err.Error(), "no vulnerability records") {
		t.Fatalf("error %v", err)
	}
	if left, _ := filepath.Glob(path + "*"); len(left) > 1 || len(left) == 1 && !strings.HasSuffix(left[0], ".lock") {
		t.Errorf("left behind: %v", left)
	}
}

// TestOldInterruptionCatchesUp: an update resumed two days after it was
// interrupted also fetches what NVD changed in between and the other
// sources again, so the installed data is as fresh as the run.
func TestOldInterruptionCatchesUp(t *testing.T) {
	fs, cfg := sampleFeed(t)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	cfg.Now = func() time.Time { return now }
	cfg.Sources = []string{"kev", "nvd"}
	fs.AddFault(mustFault(t, "/nvd@50=404"))
	path := filepath.Join(t.TempDir(), "vuln.db")
	if _, err := Install(context.Background(), path, cfg); err == nil {
		t.Fatal("no error")
	}
	fs.ClearFaults()
	now = now.Add(48 * time.Hour)
	n := len(fs.Requests())
	out, err := Install(context.Background(), path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	reqs := strings.Join(fs.Requests()[n:], " ")
	for _, want := range []string{"/kev.json", "startIndex=50", "startIndex=70", "lastModEndDate=2026-12-03T00%3A00%3A00.000Z&lastModStartDate=2026-12-01T00%3A00%3A00.000Z"} {
		if !strings.Contains(reqs, want) {
			t.Errorf("resumed run's requests %s lack %s", reqs, want)
		}
	}
	if strings.Contains(reqs, "startIndex=40") {
		t.Errorf("a page imported before was fetched again: %s", reqs)
	}
	if s := source(t, path, "nvd"); s.Cursor != "2026-12-03T00:00:00.000Z" || s.UpdatedAt != "2026-12-03T00:00:00Z" {
		t.Errorf("nvd source %+v", s)
	}
	if s := source(t, path, "kev"); s.UpdatedAt != "2026-12-03T00:00:00Z" {
		t.Errorf("kev source %+v", s)
	}
	if !out.Resumed || out.Sources[0].Unchanged || out.Sources[0].Records != 4 {
		t.Errorf("outcome %+v", out)
	}
}

// TestConcurrentChangeIsKept: a database changed while the update ran
// (an import) is not replaced by the update's copy.
func TestConcurrentChangeIsKept(t *testing.T) {
	fs, cfg := sampleFeed(t)
	path := filepath.Join(t.TempDir(), "vuln.db")
	cfg.Sources = []string{"kev"}
	if _, err := Install(context.Background(), path, cfg); err != nil {
		t.Fatal(err)
	}
	cfg.Sources = []string{"nvd"}
	fs.AddFault(mustFault(t, "/nvd@70=hold"))
	done := make(chan error, 1)
	go func() {
		_, err := Install(context.Background(), path, cfg)
		done <- err
	}()
	if !fs.WaitFor("startIndex=70", time.Minute) {
		t.Fatal("page 70 never asked for")
	}
	d, err := db.Open(path) // an import meanwhile
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Import(context.Background(), func(tx *db.Tx) error {
		return tx.PutSource(db.Source{Name: "mine", Kind: "kev", UpdatedAt: "2026-12-01T00:00:00Z"})
	}); err != nil {
		t.Fatal(err)
	}
	d.Close()
	changed := fileSum(t, path)
	fs.Release()
	var ce *ChangedError
	if err := <-done; !errors.As(err, &ce) {
		t.Fatalf("error %v, want *ChangedError", err)
	}
	if fileSum(t, path) != changed {
		t.Error("the database changed meanwhile was replaced")
	}
	if _, err := os.Stat(WorkPath(path)); err == nil {
		t.Error("the work copy of an outdated base is kept")
	}
}

// TestOldDoneNVDCatchesUp: NVD completed by a run that then failed on
// another source is brought up to date when the rerun comes days later.
func TestOldDoneNVDCatchesUp(t *testing.T) {
	fs, cfg := sampleFeed(t)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	cfg.Now = func() time.Time { return now }
	fs.AddFault(mustFault(t, "/kev.json=404"))
	path := filepath.Join(t.TempDir(), "vuln.db")
	if _, err := Install(context.Background(), path, cfg); err == nil {
		t.Fatal("no error")
	}
	fs.ClearFaults()
	now = now.Add(72 * time.Hour)
	n := len(fs.Requests())
	if _, err := Install(context.Background(), path, cfg); err != nil {
		t.Fatal(err)
	}
	reqs := strings.Join(fs.Requests()[n:], " ")
	if !strings.Contains(reqs, "lastModStartDate=2026-12-01T00%3A00%3A00.000Z") || strings.Contains(reqs, "startIndex=10") {
		t.Errorf("rerun's requests: %s", reqs)
	}
	if s := source(t, path, "nvd"); s.Cursor != "2026-12-04T00:00:00.000Z" {
		t.Errorf("nvd source %+v", s)
	}
}
