package html

import (
	"bytes"
	"flag"
	"path/filepath"
	"testing"

	"github.com/thingsec/thingsec/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func render(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, reporttest.RichVEX()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	reporttest.Golden(t, filepath.Join("testdata", "rich.html"), render(t), *update)
}
