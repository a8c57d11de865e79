package crypto

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
)

// FuzzScan feeds arbitrary bytes to every key and certificate parser.
func FuzzScan(f *testing.F) {
	files, _ := filepath.Glob("testdata/*")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && len(b) < 8192 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, ft := range []filetype.Result{{Type: filetype.Text}, {Type: filetype.Data}, {Type: filetype.DER}} {
			Scan("/etc/x", b, ft)
			Scan("/etc/dropbear/dropbear_rsa_host_key", b, ft)
			Scan("/root/.ssh/authorized_keys", b, ft)
		}
	})
}
