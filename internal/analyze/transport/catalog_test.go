package transport

import (
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/analyzetest"
	"github.com/thingsec/thingsec/internal/model"
)

// analyzeFile runs the analyzer on one file at its in-image path the way
// the engine hands it over; nil findings when the file is not wanted.
func analyzeFile(t *testing.T, a *Analyzer, inPath string, data []byte) []model.Finding {
	t.Helper()
	return analyzetest.File(t, a, inPath, data)
}

// TestCatalogExamples runs every tls and net rule's catalog examples
// (rules/findings/tls.yaml, net.yaml) through the analyzer: "match" inputs must
// make the rule fire at their path, "no_match" inputs must not.
func TestCatalogExamples(t *testing.T) {
	analyzetest.CatalogExamples(t, New(), "testdata", "tls", "net")
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
