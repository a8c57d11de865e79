package crypto

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/engine"
)

// TestTreeMatchesKeysToCertificates builds a tree with a CA certificate
// and its key, a leaf certificate and its key, and runs a real scan.
func TestTreeMatchesKeysToCertificates(t *testing.T) {
	dir := t.TempDir()
	put := func(src, dst string) {
		b, err := os.ReadFile(filepath.Join("testdata", src))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, dst)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	put("ca.crt", "etc/ssl/certs/device-ca.crt")
	put("ec-p256.key", "etc/ssl/private/device-ca.key")
	put("leaf-sha1-expired.crt", "etc/ssl/certs/gateway.crt")
	put("rsa2048-pkcs8.key", "etc/ssl/private/gateway.key")
	a := New(Options{Now: fixedNow})
	rep, err := engine.Scan(context.Background(), engine.Config{Target: dir, Workers: 2, Files: []plugin.FileAnalyzer{a}, Trees: []plugin.TreeAnalyzer{a}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.RuleID+" "+f.Location.Path)
	}
	s := strings.Join(got, "\n")
	for _, w := range []string{
		"TS-KEY-020 /etc/ssl/private/device-ca.key",
		"TS-KEY-021 /etc/ssl/private/gateway.key",
		"TS-KEY-001 /etc/ssl/private/device-ca.key",
		"TS-KEY-010 /etc/ssl/certs/gateway.crt",
		"TS-KEY-013 /etc/ssl/certs/gateway.crt",
	} {
		if !strings.Contains(s, w) {
			t.Errorf("missing %s", w)
		}
	}
	if strings.Contains(s, "/etc/ssl/certs/device-ca.crt") {
		t.Errorf("CA certificate in the trust store reported")
	}
	if t.Failed() {
		t.Log(s)
	}
}
