package formattest

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ulikunitz/xz"
)

// SharedRoot is the root of the shared sample corpus: $THINGSEC_SHARED when
// set, else the "shared" folder beside the module checkout (found by
// walking up from the working directory to go.mod). It is not checked for
// existence.
func SharedRoot() string {
	if d := os.Getenv("THINGSEC_SHARED"); d != "" {
		return d
	}
	if dir, err := os.Getwd(); err == nil {
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				return filepath.Join(filepath.Dir(dir), "shared")
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	// The layout of an unpacker package: internal/unpack/<format>.
	return filepath.Join("..", "..", "..", "..", "shared")
}

// Shared returns the path sub (joined) under the shared corpus root and
// skips the test when it does not exist, so tests on real samples run only
// where the corpus is checked out.
func Shared(t testing.TB, sub ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{SharedRoot()}, sub...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared corpus sample absent (set THINGSEC_SHARED): %v", err)
	}
	return p
}

// ReadShared returns the contents of Shared(t, sub...).
func ReadShared(t testing.TB, sub ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(Shared(t, sub...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ReadXZ returns the decompressed contents of the xz file at path.
func ReadXZ(t testing.TB, path string) []byte {
	t.Helper()
	return readCompressed(t, path, func(r io.Reader) (io.Reader, error) { return xz.NewReader(r) })
}

// ReadGzip returns the decompressed contents of the gzip file at path.
func ReadGzip(t testing.TB, path string) []byte {
	t.Helper()
	return readCompressed(t, path, func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) })
}

func readCompressed(t testing.TB, path string, open func(io.Reader) (io.Reader, error)) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := open(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

// Stride is the step of a damaged-input loop (bit flips, cuts): n, or 8n
// under the race detector, which makes each extraction several times
// slower and would otherwise dominate the suite's time.
func Stride(n int) int {
	if Race {
		return 8 * n
	}
	return n
}

// Testdata reads testdata/name of the calling package.
func Testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
