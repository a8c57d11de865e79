package update

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

// TestCorpus: on both HG-100 images, fw-update.sh downloads over TFTP
// and HTTP and flashes without a check (F22: cleartext at the tftp line
// 11, no signature at the mtd line 27), and acme-upd fetches a manifest,
// compares an MD5 from it and runs mtd write (F24); each is also listed
// as an update path, and nothing else is reported.
func TestCorpus(t *testing.T) {
	fw := firmwareDir(t)
	a := New()
	for _, ver := range []string{"1.0.0", "1.1.0"} {
		t.Run(ver, func(t *testing.T) {
			got := map[string]model.Finding{}
			for _, f := range scanTree(t, a, extractRootfs(t, filepath.Join(fw, "acme-hg100-"+ver+".bin"))) {
				k := f.RuleID + " " + f.Location.Path
				if _, dup := got[k]; dup {
					t.Errorf("%s twice", k)
				}
				got[k] = f
			}
			want := map[string]int{
				RuleCleartext + " /sbin/fw-update.sh":    11,
				RuleNoSignature + " /sbin/fw-update.sh":  27,
				RuleMechanism + " /sbin/fw-update.sh":    27,
				RuleChecksumOnly + " /usr/sbin/acme-upd": 0,
				RuleMechanism + " /usr/sbin/acme-upd":    0,
			}
			for k, line := range want {
				f, ok := got[k]
				if !ok {
					t.Errorf("missing %s", k)
					continue
				}
				if f.Location.Line != line || f.Category != "insecure-update" {
					t.Errorf("%s: line %d category %s, want line %d", k, f.Location.Line, f.Category, line)
				}
				t.Logf("%s: %s | %s", k, f.Title, f.Evidence)
			}
			for k := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("unexpected %s: %+v", k, got[k])
				}
			}
			for _, w := range []string{"line 14: wget", "UPDATE_URL=http://update.acme-gateway.example.net"} {
				if ev := got[RuleCleartext+" /sbin/fw-update.sh"].Evidence; !strings.Contains(ev, w) {
					t.Errorf("F22 evidence %q lacks %q", ev, w)
				}
			}
			for _, w := range []string{"https://fw.acme-gateway.example.net/hg100/stable/manifest.txt", "md5sum %s", "mtd -r write %s firmware", "curl_easy_perform()"} {
				if ev := got[RuleChecksumOnly+" /usr/sbin/acme-upd"].Evidence; !strings.Contains(ev, w) {
					t.Errorf("F24 evidence %q lacks %q", ev, w)
				}
			}
		})
	}
}
