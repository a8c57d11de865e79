package update

import (
	"context"
	"flag"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/vuln/db"
	"github.com/thingsec/thingsec/internal/vuln/feed"
	"github.com/thingsec/thingsec/internal/vuln/feedtest"
	"github.com/thingsec/thingsec/internal/vuln/synth"
)

var benchRecords = flag.Int("install-records", 20000, "synthetic NVD records in the database of BenchmarkInstallCopy (the real NVD: about 300000)")

// BenchmarkInstallCopy is what the work copy costs: an update that
// changes nothing but the KEV catalog, on a database of -install-records
// synthetic NVD records, is a copy (VACUUM INTO), an integrity check and
// a rename.
func BenchmarkInstallCopy(b *testing.B) {
	dir := b.TempDir()
	feedPath := filepath.Join(dir, "feed.json")
	f, err := os.Create(feedPath)
	if err != nil {
		b.Fatal(err)
	}
	if err := synth.WriteFeed(f, *benchRecords, 1); err != nil {
		b.Fatal(err)
	}
	f.Close()
	path := filepath.Join(dir, "vuln.db")
	d, err := db.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := feed.ImportPaths(ctx, d, []string{feedPath}, time.Now()); err != nil {
		b.Fatal(err)
	}
	d.Close()
	os.Remove(feedPath)
	fs := &feedtest.Server{Files: map[string]string{"/kev.json": filepath.Join("..", "sample", "kev.json")}}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Install(ctx, path, Config{Sources: []string{"kev"}, KEVURL: srv.URL + "/kev.json"}); err != nil {
			b.Fatal(err)
		}
	}
	st, _ := os.Stat(path)
	b.ReportMetric(float64(st.Size())/(1<<20), "db-MiB")
}
