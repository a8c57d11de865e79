// Package analyzetest holds what the tests of per-file analyzers share:
// running one file the way the engine hands it over, running a catalog
// family's examples, and extracting the root file system of the shared
// corpus's firmware images.
package analyzetest

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/model"
)

// File runs a on one file at its in-image path, as the engine would
// (type detected, mode 0755, layer L1); nil when a does not want it.
func File(t testing.TB, a plugin.FileAnalyzer, inPath string, data []byte) []model.Finding {
	t.Helper()
	head := data[:min(len(data), filetype.HeadSize)]
	fi := plugin.FileInfo{Layer: "L1", Path: inPath, Size: int64(len(data)), Type: filetype.Detect(inPath, head, int64(len(data))), Head: head, Mode: 0o755}
	if !a.FileRequired(&fi) {
		return nil
	}
	res := &plugin.Results{}
	in := &plugin.Input{FileInfo: fi, Data: data, R: strings.NewReader(string(data)), Loc: model.Location{Layer: "L1", Path: inPath}}
	if err := a.Analyze(context.Background(), in, res); err != nil {
		t.Fatal(err)
	}
	return res.Findings
}

// CatalogExamples runs the catalog examples of every rule of families
// through a: a "match" example must make its rule fire, a "no_match" one
// must not. testdata is the analyzer's fixture directory for examples
// given as files.
func CatalogExamples(t *testing.T, a plugin.FileAnalyzer, testdata string, families ...string) {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	var rules []*catalog.Rule
	for _, f := range families {
		rules = append(rules, cat.Family(f)...)
	}
	if len(rules) == 0 {
		t.Fatalf("no rules of %v in the catalog", families)
	}
	for _, r := range rules {
		for i, c := range r.Cases() {
			p, err := c.Write(t.TempDir(), testdata)
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			fired := false
			fs := File(t, a, filepath.ToSlash(c.Path), data)
			for _, f := range fs {
				fired = fired || f.RuleID == r.ID
			}
			if fired != c.Fire {
				t.Errorf("%s example %d (%s): fired %v, want %v; findings %+v", r.ID, i, c.Path, fired, c.Fire, fs)
			}
		}
	}
}

// FirmwareDir is the shared corpus's firmware directory
// ($THINGSEC_SHARED or ../shared beside the repository); the test skips
// when it is absent.
func FirmwareDir(t testing.TB) string {
	t.Helper()
	root := os.Getenv("THINGSEC_SHARED")
	if root == "" {
		root = filepath.Join(repoRoot(t), "..", "shared")
	}
	d := filepath.Join(root, "corpus", "firmware")
	if _, err := os.Stat(filepath.Join(d, "answers.json")); err != nil {
		t.Skipf("shared corpus not found at %s", d)
	}
	return d
}

// repoRoot is the directory holding go.mod, found upwards from the
// test's working directory.
func repoRoot(t testing.TB) string {
	d, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		up := filepath.Dir(d)
		if up == d {
			t.Fatal("go.mod not found above the test directory")
		}
		d = up
	}
}

// ExtractRootfs unpacks the squashfs root file system of an HG-100 image
// with unsquashfs (the TRX's second partition starts at 0x4A0000); the
// test skips without squashfs-tools.
func ExtractRootfs(t testing.TB, img string) string {
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

// ScanTree runs a over every regular file of dir, at its path under dir.
func ScanTree(t testing.TB, a plugin.FileAnalyzer, dir string) []model.Finding {
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
		all = append(all, File(t, a, "/"+filepath.ToSlash(strings.TrimPrefix(p, dir+"/")), data)...)
		return nil
	})
	return all
}
