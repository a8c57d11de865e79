package perms

import (
	"archive/tar"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/engine"
	"github.com/thingsec/thingsec/internal/model"
)

func scan(t *testing.T, target string, files []plugin.FileAnalyzer) *model.Report {
	t.Helper()
	rep, err := engine.Scan(context.Background(), engine.Config{Target: target, Workers: 2, Unpack: true,
		Files: files, Trees: []plugin.TreeAnalyzer{New()}})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func summary(rep *model.Report) []string {
	var s []string
	for _, f := range rep.Findings {
		s = append(s, f.RuleID+" "+string(f.Severity)+" "+f.Location.Path)
	}
	sort.Strings(s)
	return s
}

// TestImages: the same tree packed by mksquashfs, GNU tar and cpio
// (scripts/fixtures/perms.sh) gives the same findings through the real
// unpackers: the modes survive each format.
func TestImages(t *testing.T) {
	want := []string{
		"TS-PERM-001 high /etc/app.conf",
		"TS-PERM-002 medium /var/lib/app",
		"TS-PERM-003 high /etc/init.d/S50app",
		"TS-PERM-004 high /bin/busybox",
		"TS-PERM-004 medium /usr/sbin/acme-diag",
		"TS-PERM-005 info /usr/bin/passwd",
		"TS-PERM-005 info /usr/sbin/pppd",
		"TS-PERM-006 medium /etc/shadow",
	}
	for _, name := range []string{"tree.sqfs", "tree.tar", "tree.cpio"} {
		t.Run(name, func(t *testing.T) {
			got := summary(scan(t, filepath.Join("testdata", name), nil))
			if !slices.Equal(got, want) {
				t.Errorf("findings\n got %q\nwant %q", got, want)
			}
		})
	}
}

// TestDirectoryTarget: a plain directory (a source tree, a checkout, an
// extraction) carries the modes of whoever wrote it: even with the same
// risky modes on disk, no permission finding is made.
func TestDirectoryTarget(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Open("testdata/tree.tar")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	risky := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			b, _ := io.ReadAll(tr)
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		default:
			continue
		}
		if err := os.Chmod(p, os.FileMode(h.Mode&0o777)|modeBits(h.Mode)); err != nil {
			t.Fatal(err)
		}
		if h.Mode&0o6002 != 0 {
			risky++
		}
	}
	if risky < 4 {
		t.Fatalf("only %d risky modes staged", risky)
	}
	rep := scan(t, dir, nil)
	if got := summary(rep); len(got) != 0 {
		t.Errorf("directory target: %q", got)
	}
}

func modeBits(m int64) os.FileMode {
	var o os.FileMode
	if m&0o4000 != 0 {
		o |= os.ModeSetuid
	}
	if m&0o2000 != 0 {
		o |= os.ModeSetgid
	}
	if m&0o1000 != 0 {
		o |= os.ModeSticky
	}
	return o
}
