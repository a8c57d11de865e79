package html

import (
	"bytes"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
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

// TestPriority: a vulnerability's priority and its reasons are in its
// severity cell, escaped like the rest.
func TestPriority(t *testing.T) {
	rep := reporttest.RichVEX()
	rep.Vulnerabilities[0].Priority = &model.Priority{Level: model.Critical, Reasons: []string{"CVSS severity high", "reachable: listens on tcp/80 <b>(started by /etc/init.d/rcS:5)"}}
	var buf bytes.Buffer
	if err := Encode(&buf, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`priority <span class="badge`, "reachable: listens on tcp/80 &lt;b&gt;(started by /etc/init.d/rcS:5)"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("no %q in the page", want)
		}
	}
}
