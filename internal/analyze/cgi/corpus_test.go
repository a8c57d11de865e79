package cgi

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

// TestCorpus: on both HG-100 images the diagnostics CGI's injection (F10)
// is reported at the os.execute line with the path from QUERY_STRING
// through "host", and nothing else: status.lua's constant os.execute
// (N07) stays quiet.
func TestCorpus(t *testing.T) {
	fw := firmwareDir(t)
	a := New()
	for _, ver := range []string{"1.0.0", "1.1.0"} {
		t.Run(ver, func(t *testing.T) {
			fs := scanTree(t, a, extractRootfs(t, filepath.Join(fw, "acme-hg100-"+ver+".bin")))
			if len(fs) != 1 {
				t.Fatalf("want exactly the F10 finding, got %d: %+v", len(fs), fs)
			}
			f := fs[0]
			if f.RuleID != RuleCommand || f.Location.Path != "/www/cgi-bin/diag.lua" || f.Location.Line != 13 ||
				f.Category != "command-injection" || f.Severity != model.Critical {
				t.Errorf("F10: %+v", f)
			}
			for _, want := range []string{"QUERY_STRING", "line 7: q", "line 8: host", "line 13: os.execute(tool"} {
				if !strings.Contains(f.Evidence, want) {
					t.Errorf("F10 evidence %q lacks %q", f.Evidence, want)
				}
			}
		})
	}
}
