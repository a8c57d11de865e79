package binver

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFingerprintWholeBinaries reruns the table on the whole Debian
// binaries the snippets were cut from, when scripts/fixtures/components.sh
// has downloaded them ($THINGSEC_CACHE/thingsec-components/root); a
// binary whose digest differs from the table's (a newer package) is
// skipped. This proves the snippets are faithful and that the rules find
// the same version when the whole file is scanned.
func TestFingerprintWholeBinaries(t *testing.T) {
	root := filepath.Join(os.Getenv("THINGSEC_CACHE"), "thingsec-components", "root")
	if os.Getenv("THINGSEC_CACHE") == "" {
		root = filepath.Join(os.TempDir(), "thingsec-components", "root")
	}
	if _, err := os.Stat(root); err != nil {
		t.Skipf("no unpacked Debian packages at %s (scripts/fixtures/components.sh download)", root)
	}
	if testing.Short() {
		t.Skip("whole binaries are slow under -short")
	}
	cat, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range readTable(t) {
		if ruleByID(cat, r.rule).PathRegex {
			continue
		}
		t.Run(r.rule+"/"+r.arch, func(t *testing.T) {
			dirs, _ := filepath.Glob(filepath.Join(root, r.arch, r.pkg+"_"+strings.ReplaceAll(r.debVersion, ":", "%3a")+"*"))
			if len(dirs) == 0 {
				t.Skipf("%s %s is not in the cache", r.pkg, r.debVersion)
			}
			data, err := os.ReadFile(filepath.Join(dirs[0], r.path))
			if err != nil {
				t.Skipf("not in the cache: %v", err)
			}
			if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != r.sha256 {
				t.Skipf("%s differs from the table's binary (another build)", r.path)
			}
			checkRow(t, cat, r, cat.Scan(r.path, data))
		})
	}
}
