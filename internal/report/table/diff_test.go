package table

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/diff"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
)

// TestDiffGolden: the sample report against a next release that fixed
// the default password, upgraded busybox (and its CVE with it), added a
// token, dropped the setuid bit and lost a canary; a name with a
// terminal escape is printed harmless.
func TestDiffGolden(t *testing.T) {
	old := sample()
	old.Binaries = []model.Binary{{Layer: "L1", Path: "/bin/busybox", Kind: "executable", PIE: "no", RELRO: "partial", Canary: true}}
	old.Findings[0].Fingerprint = "f1"
	new := sample()
	new.Target.Name = "fw-1.1\x1b[31m.bin"
	new.Components[0].Version, new.Components[0].Ref, new.Components[0].PURL = "1.36.1", "pkg:opkg/busybox@1.36.1-1", "pkg:opkg/busybox@1.36.1-1"
	new.Vulnerabilities = nil
	new.Findings = []model.Finding{{RuleID: "TS-SECRET-031", Title: "GitHub token", Severity: model.High, Fingerprint: "f2",
		Location: model.Location{Layer: "L1", Path: "/www/app.js", Line: 2}}}
	new.Files[1].Mode, new.Files[1].SHA256 = "-rwxr-xr-x", "cd35"
	new.Binaries = []model.Binary{{Layer: "L1", Path: "/bin/busybox", Kind: "executable", PIE: "no", RELRO: "partial"}}
	var buf bytes.Buffer
	if err := Diff(&buf, diff.Compare(old, new)); err != nil {
		t.Fatal(err)
	}
	reporttest.Golden(t, filepath.Join("testdata", "diff.txt"), buf.Bytes(), *update)
	if strings.Contains(buf.String(), "\x1b") {
		t.Error("an escape sequence reached the terminal")
	}
}
