package formattest

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"github.com/ulikunitz/xz"
)

func TestShared(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "corpus", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "corpus", "x", "f"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("THINGSEC_SHARED", root)
	if got := Shared(t, "corpus", "x"); got != filepath.Join(root, "corpus", "x") {
		t.Errorf("Shared = %q", got)
	}
	if b := ReadShared(t, "corpus/x/f"); string(b) != "data" {
		t.Errorf("ReadShared = %q", b)
	}
	ran := false
	t.Run("absent", func(t *testing.T) {
		Shared(t, "corpus", "missing")
		ran = true
	})
	if ran {
		t.Error("Shared did not skip on an absent path")
	}
}

func TestReadCompressed(t *testing.T) {
	want := bytes.Repeat([]byte("fixture "), 100)
	dir := t.TempDir()

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(want)
	zw.Close()
	gzPath := filepath.Join(dir, "f.gz")
	if err := os.WriteFile(gzPath, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := ReadGzip(t, gzPath); !bytes.Equal(got, want) {
		t.Errorf("ReadGzip: %d bytes", len(got))
	}

	var x bytes.Buffer
	xw, err := xz.NewWriter(&x)
	if err != nil {
		t.Fatal(err)
	}
	xw.Write(want)
	xw.Close()
	xzPath := filepath.Join(dir, "f.xz")
	if err := os.WriteFile(xzPath, x.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := ReadXZ(t, xzPath); !bytes.Equal(got, want) {
		t.Errorf("ReadXZ: %d bytes", len(got))
	}
}
