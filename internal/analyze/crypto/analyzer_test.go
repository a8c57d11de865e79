package crypto

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/model"
)

// The fixtures are judged at the current time: the expired leaf ended in
// 2021, the other certificates are valid for 10 or 20 years from generation.
var fixedNow = time.Now

// analyzeFile runs the file pass on one file as the engine would, with
// dev as its in-image path.
func analyzeFile(t *testing.T, a *Analyzer, file, dev string) []model.Finding {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	head := data[:min(len(data), filetype.HeadSize)]
	fi := plugin.FileInfo{Path: dev, Size: int64(len(data)), Type: filetype.Detect(dev, head, int64(len(data))), Head: head}
	var out plugin.Results
	if !a.FileRequired(&fi) {
		return nil
	}
	in := &plugin.Input{FileInfo: fi, Data: data, Loc: model.Location{Layer: "L0", Path: dev}}
	if err := a.Analyze(context.Background(), in, &out); err != nil {
		t.Fatal(err)
	}
	return out.Findings
}

func rules(fs []model.Finding) string {
	var s []string
	for _, f := range fs {
		s = append(s, f.RuleID+"/"+f.Category)
	}
	sort.Strings(s)
	return strings.Join(s, " ")
}

// TestFixtures checks each openssl/ssh-keygen/dropbearkey/gpg fixture
// (scripts/fixtures/secrets.sh) for exactly its expected findings.
func TestFixtures(t *testing.T) {
	a := New(Options{Now: fixedNow})
	tests := []struct {
		file, dev, want string
		evidence        string
	}{
		{"rsa1024-pkcs1.key", "/etc/ssl/private/a.key", "TS-KEY-001/private-key TS-KEY-004/weak-crypto/cert", "PKCS#1 PEM RSA 1024 bits, unencrypted"},
		{"rsa2048-pkcs8.key", "/etc/ssl/private/b.key", "TS-KEY-001/private-key", "PKCS#8 PEM RSA 2048 bits"},
		{"rsa2048-enc-pkcs8.key", "/etc/ssl/private/c.key", "TS-KEY-003/private-key", "encrypted"},
		{"rsa1024-enc-pkcs1.key", "/etc/ssl/private/d.key", "TS-KEY-003/private-key", "PKCS#1 PEM RSA, encrypted"},
		{"ec-p256.key", "/etc/ssl/private/e.key", "TS-KEY-001/private-key", "SEC1 PEM EC P-256 256 bits"},
		{"dsa1024.key", "/etc/ssl/private/f.key", "TS-KEY-001/private-key TS-KEY-004/weak-crypto/cert", "DSA 1024 bits"},
		{"rsa2048-pkcs8.der", "/etc/ssl/private/g.der", "TS-KEY-001/private-key", "DER RSA 2048"},
		{"ca.crt", "/etc/ssl/ca.crt", "", ""},
		{"ca.crt", "/etc/ssl/certs/ca.crt", "", ""},
		{"leaf-sha1-expired.crt", "/etc/ssl/certs/leaf.crt", "TS-KEY-010/weak-crypto/cert TS-KEY-013/weak-crypto/cert", "ECDSA-SHA1"},
		{"leaf-sha1-expired.der", "/etc/leaf.der", "TS-KEY-010/weak-crypto/cert TS-KEY-013/weak-crypto/cert", "valid 2019-06-01 to 2021-06-01"},
		{"rsa1024-selfsigned.crt", "/etc/weak.crt", "TS-KEY-014/weak-crypto/cert", "RSA 1024 bits"},
		{"empty-pass.p12", "/etc/dev.p12", "TS-KEY-005/private-key", "RSA"},
		{"default-pass.p12", "/etc/dev2.p12", "TS-KEY-005/private-key", "RSA"},
		{"strong-pass.p12", "/etc/dev3.p12", "TS-KEY-006/private-key", ""},
		{"aes-default.p12", "/etc/dev4.p12", "TS-KEY-006/private-key", ""},
		{"firmware-blob.bin", "/usr/bin/blob", "TS-KEY-001/private-key", "DER RSA 2048"},
		{"ssh_host_ed25519_key", "/etc/ssh/ssh_host_ed25519_key", "TS-KEY-002/private-key", "OpenSSH Ed25519"},
		{"ssh_host_ed25519_key.pub", "/etc/ssh/ssh_host_ed25519_key.pub", "", ""},
		{"id_rsa_encrypted", "/root/.ssh/id_rsa", "TS-KEY-003/private-key", "OpenSSH RSA 2048 bits, encrypted"},
		{"authorized_keys", "/root/.ssh/authorized_keys", "TS-KEY-008/backdoor-key", "vendor-support@acme"},
		{"dropbear_ed25519_host_key", "/etc/dropbear/dropbear_ed25519_host_key", "TS-KEY-002/private-key", "dropbear Ed25519"},
		{"dropbear_rsa_host_key", "/etc/dropbear/dropbear_rsa_host_key", "TS-KEY-002/private-key", "dropbear RSA 2048"},
		{"pgp-private.asc", "/etc/keys/signing.asc", "TS-KEY-007/private-key", "OpenPGP"},
	}
	for _, tt := range tests {
		t.Run(tt.file+"@"+tt.dev, func(t *testing.T) {
			fs := analyzeFile(t, a, filepath.Join("testdata", tt.file), tt.dev)
			if got := rules(fs); got != tt.want {
				t.Fatalf("findings %q, want %q (%v)", got, tt.want, fs)
			}
			if tt.evidence != "" && !strings.Contains(fs[0].Evidence, tt.evidence) {
				t.Errorf("evidence %q does not mention %q", fs[0].Evidence, tt.evidence)
			}
		})
	}
}
