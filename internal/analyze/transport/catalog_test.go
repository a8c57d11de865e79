package transport

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/model"
)

// analyzeFile runs the analyzer on one file at its in-image path the way
// the engine hands it over; nil findings when the file is not wanted.
func analyzeFile(t *testing.T, a *Analyzer, inPath string, data []byte) []model.Finding {
	t.Helper()
	head := data[:min(len(data), filetype.HeadSize)]
	fi := plugin.FileInfo{Layer: "L1", Path: inPath, Size: int64(len(data)), Type: filetype.Detect(inPath, head, int64(len(data))), Head: head, Mode: 0o755}
	if !a.FileRequired(&fi) {
		return nil
	}
	res := &plugin.Results{}
	in := &plugin.Input{FileInfo: fi, Data: data, R: strings.NewReader(string(data)), Loc: model.Location{Layer: "L1", Path: inPath}}
	if err := a.Analyze(context.Background(), in, res); err != nil {
		t.Fatal(err)
	}
	return res.Findings
}

// TestCatalogExamples runs every tls and net rule's catalog examples
// (rules/findings/tls.yaml, net.yaml) through the analyzer: "match" inputs must
// make the rule fire at their path, "no_match" inputs must not.
func TestCatalogExamples(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	rules := append(cat.Family("tls"), cat.Family("net")...)
	if len(rules) == 0 {
		t.Fatal("no tls or net rules in the catalog")
	}
	a := New()
	for _, r := range rules {
		for i, c := range r.Cases() {
			dir := t.TempDir()
			p, err := c.Write(dir, "testdata")
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			fired := false
			fs := analyzeFile(t, a, filepath.ToSlash(c.Path), data)
			for _, f := range fs {
				fired = fired || f.RuleID == r.ID
			}
			if fired != c.Fire {
				t.Errorf("%s example %d (%s): fired %v, want %v; findings %+v", r.ID, i, c.Path, fired, c.Fire, fs)
			}
		}
	}
}

// TestBackupAndRedaction: a setting in a backup copy is reported one
// severity lower and says so; a password in an endpoint URL is redacted
// in the evidence.
func TestBackupAndRedaction(t *testing.T) {
	a := New()
	conf := []byte("connection cloud\naddress mqtt.vendor.example.net:8883\ntls_insecure true\n")
	live := analyzeFile(t, a, "/etc/mosquitto/conf.d/bridge.conf", conf)
	bak := analyzeFile(t, a, "/etc/mosquitto/conf.d/bridge.conf.bak", conf)
	if len(live) != 1 || len(bak) != 1 || live[0].Severity != model.High || bak[0].Severity != model.Medium || !strings.Contains(bak[0].Title, "backup copy bridge.conf.bak") {
		t.Errorf("live %+v\nbackup %+v", live, bak)
	}
	fs := analyzeFile(t, a, "/etc/config/cloud", []byte("config cloud\n\toption endpoint 'mqtt://device:Sup3rS3cret@broker.example.com:1883'\n"))
	if len(fs) != 1 || strings.Contains(fs[0].Evidence, "Sup3rS3cret") || !strings.Contains(fs[0].Evidence, "device:****@broker.example.com") || fs[0].Location.Line != 2 {
		t.Errorf("endpoint with a password: %+v", fs)
	}
}
