package transport

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
)

func firmwareDir(t *testing.T) string {
	t.Helper()
	root := os.Getenv("THINGSEC_SHARED")
	if root == "" {
		root = filepath.Join("..", "..", "..", "..", "shared")
	}
	d := filepath.Join(root, "corpus", "firmware")
	if _, err := os.Stat(filepath.Join(d, "answers.json")); err != nil {
		t.Skipf("shared corpus not found at %s", d)
	}
	return d
}

// extractRootfs unpacks the squashfs root file system of an HG-100 image
// with unsquashfs (the TRX's second partition starts at 0x4A0000).
func extractRootfs(t *testing.T, img string) string {
	t.Helper()
	if _, err := exec.LookPath("unsquashfs"); err != nil {
		t.Skip("unsquashfs not installed (squashfs-tools)")
	}
	dir := filepath.Join(t.TempDir(), "rootfs")
	if out, err := exec.Command("unsquashfs", "-no-xattrs", "-q", "-n", "-o", "4849664", "-d", dir, img).CombinedOutput(); err != nil {
		t.Fatalf("unsquashfs %s: %v\n%s", img, err, out)
	}
	return dir
}

// scanTree runs the analyzer over every regular file of dir.
func scanTree(t *testing.T, a *Analyzer, dir string) []model.Finding {
	t.Helper()
	var all []model.Finding
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Error(err)
			return nil
		}
		all = append(all, analyzeFile(t, a, "/"+filepath.ToSlash(strings.TrimPrefix(p, dir+"/")), data)...)
		return nil
	})
	return all
}

// TestCorpus: on both HG-100 images, acme-upd turns TLS verification off
// (F23), acme-rsupport ignores the relay's SSH host key (F30), the web UI
// and the cloud configuration use http:// endpoints (F31, F32), and the
// https:// URLs beside them (N10 main.js:7, N11 cloud.lua:9) are not
// reported. Every other finding is listed in the log and counted.
func TestCorpus(t *testing.T) {
	fw := firmwareDir(t)
	a := New()
	for _, ver := range []string{"1.0.0", "1.1.0"} {
		t.Run(ver, func(t *testing.T) {
			all := scanTree(t, a, extractRootfs(t, filepath.Join(fw, "acme-hg100-"+ver+".bin")))
			got := map[string]model.Finding{}
			for _, f := range all {
				got[f.RuleID+" "+f.Location.Path] = f
				t.Logf("%s %s:%d %s | %s", f.RuleID, f.Location.Path, f.Location.Line, f.Severity, f.Evidence)
				if f.Location.Path == "/www/js/main.js" && f.Location.Line == 7 || f.Location.Path == "/usr/lib/lua/gateway/cloud.lua" && f.Location.Line == 9 ||
					strings.Contains(f.Evidence, "https://") && strings.HasPrefix(f.RuleID, "TS-NET") {
					t.Errorf("negative control N10/N11 reported: %+v", f)
				}
			}
			for k, line := range map[string]int{
				RuleInsecureBinary + " /usr/sbin/acme-upd":     0,
				RuleHostKey + " /usr/sbin/acme-rsupport":       0,
				RuleCleartextText + " /www/js/main.js":         6,
				RuleCleartextText + " /etc/gateway/cloud.conf": 5,
			} {
				f, ok := got[k]
				if !ok {
					t.Errorf("missing %s", k)
					continue
				}
				if f.Location.Line != line {
					t.Errorf("%s at line %d, want %d", k, f.Location.Line, line)
				}
			}
			if f := got[RuleHostKey+" /usr/sbin/acme-rsupport"]; !strings.Contains(f.Evidence, "main.dial.InsecureIgnoreHostKey.func2") || !strings.Contains(f.Evidence, "rs.acme-gateway.example.net:2222") {
				t.Errorf("F30 evidence: %q", f.Evidence)
			}
			if f := got[RuleInsecureBinary+" /usr/sbin/acme-upd"]; !strings.Contains(f.Evidence, "CURLOPT_SSL_VERIFYPEER=0") || !strings.Contains(f.Evidence, "curl_easy_setopt") {
				t.Errorf("F23 evidence: %q", f.Evidence)
			}
			if f := got[RuleCleartextText+" /www/js/main.js"]; f.Severity != model.Medium || f.Category != "cleartext-transmission" {
				t.Errorf("F31: %+v", f)
			}
		})
	}
}
