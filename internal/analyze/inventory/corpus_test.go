package inventory_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/binver"
	"github.com/thingsec/thingsec/internal/analyze/gobin"
	"github.com/thingsec/thingsec/internal/analyze/inventory"
	"github.com/thingsec/thingsec/internal/analyze/lockfile"
	"github.com/thingsec/thingsec/internal/analyze/pkgdb"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/engine"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/unpack"
)

func shared(t *testing.T) string {
	t.Helper()
	d := os.Getenv("THINGSEC_SHARED")
	if d == "" {
		d = "../../../../shared"
	}
	if _, err := os.Stat(filepath.Join(d, "corpus", "firmware", "answers.json")); err != nil {
		t.Skipf("shared corpus absent (%v)", err)
	}
	return d
}

func scan(t *testing.T, target string, unpackIt bool) *model.Report {
	t.Helper()
	bv, err := binver.New()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := engine.Scan(context.Background(), engine.Config{
		Target:     target,
		Workers:    2,
		Unpack:     unpackIt,
		Limits:     unpack.DefaultLimits(),
		Files:      []plugin.FileAnalyzer{pkgdb.New(), bv, gobin.New(), lockfile.New()},
		Components: inventory.New(),
		TempDir:    t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

type answerComponent struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	CPE     string `json:"cpe"`
}

type answers struct {
	Images map[string]struct {
		Image struct {
			File       string `json:"file"`
			Partitions []struct {
				Name string `json:"name"`
				TRX  *struct {
					Parts []struct {
						Offset int64 `json:"offset"`
						Size   int64 `json:"size"`
					} `json:"parts"`
				} `json:"trx"`
			} `json:"partitions"`
		} `json:"image"`
		Components []answerComponent `json:"components"`
	} `json:"images"`
}

func hasSquashfs() bool {
	for _, f := range unpack.Registry() {
		if f.Name() == "squashfs" {
			return true
		}
	}
	return false
}

// TestCorpusAnswerKey checks every component of the corpus answer keys is
// found with the right version (and, where the key has one, the CPE).
// With the squashfs unpacker registered it scans the .bin images; until
// then it extracts the root file system with unsquashfs (squashfs-tools)
// and scans the tree.
func TestCorpusAnswerKey(t *testing.T) {
	dir := filepath.Join(shared(t), "corpus", "firmware")
	raw, err := os.ReadFile(filepath.Join(dir, "answers.json"))
	if err != nil {
		t.Fatal(err)
	}
	var key answers
	if err := json.Unmarshal(raw, &key); err != nil {
		t.Fatal(err)
	}
	for ver, img := range key.Images {
		t.Run(ver, func(t *testing.T) {
			bin := filepath.Join(dir, img.Image.File)
			var rep *model.Report
			switch {
			case hasSquashfs():
				rep = scan(t, bin, true)
			default:
				if _, err := exec.LookPath("unsquashfs"); err != nil {
					t.Skip("no squashfs unpacker registered and no unsquashfs on PATH")
				}
				root := extractRootfs(t, bin, img.Image.Partitions[0].TRX.Parts[1].Offset, img.Image.Partitions[0].TRX.Parts[1].Size)
				rep = scan(t, root, false)
			}
			byName := map[string][]model.Component{}
			for _, c := range rep.Components {
				byName[c.Name] = append(byName[c.Name], c)
			}
			for _, want := range img.Components {
				name := want.Name
				if name == "go-stdlib" {
					name = "stdlib"
				}
				found := false
				for _, c := range byName[name] {
					// The key names upstream versions ("1.35.0", "go1.26.8");
					// components carry the package version their purl
					// carries ("1.35.0-1", "v1.26.8").
					if c.Version != want.Version && inventory.Upstream(c.Version) != want.Version && c.Version != "v"+strings.TrimPrefix(want.Version, "go") {
						continue
					}
					found = true
					if want.CPE != "" && !containsStr(c.CPEs, want.CPE) {
						t.Errorf("%s %s: CPEs %v, want %s", want.Name, want.Version, c.CPEs, want.CPE)
					}
				}
				if !found {
					var got []string
					for _, c := range byName[name] {
						got = append(got, c.Version)
					}
					t.Errorf("component %s %s not found (versions found: %v)", want.Name, want.Version, got)
				}
			}
			checkRefs(t, rep)
			// one component, many locations: the opkg entry and the binary
			// fingerprint of /bin/busybox are the same component
			for _, c := range byName["busybox"] {
				kinds := map[string]bool{}
				for _, e := range c.Evidence {
					kinds[e.Kind] = true
				}
				if !kinds["package-db"] || !kinds["binary-fingerprint"] || !hasPath(c.Locations, "/bin/busybox") {
					t.Errorf("busybox: evidence %v, locations %v", c.Evidence, c.Locations)
				}
			}
		})
	}
}

func hasPath(ls []model.Location, p string) bool {
	for _, l := range ls {
		if l.Path == p {
			return true
		}
	}
	return false
}

func containsStr(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// checkRefs: every component has a unique Ref and every dependency names one.
func checkRefs(t *testing.T, rep *model.Report) {
	t.Helper()
	refs := map[string]bool{}
	for _, c := range rep.Components {
		if c.Ref == "" || refs[c.Ref] {
			t.Errorf("component %s %s: empty or duplicate ref %q", c.Name, c.Version, c.Ref)
		}
		refs[c.Ref] = true
	}
	for _, c := range rep.Components {
		for _, d := range c.Dependencies {
			if !refs[d] {
				t.Errorf("%s depends on unknown ref %q", c.Ref, d)
			}
		}
	}
}

func extractRootfs(t *testing.T, bin string, off, size int64) string {
	t.Helper()
	f, err := os.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, size)
	if _, err := f.ReadAt(buf, off); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	img := filepath.Join(tmp, "rootfs.sqsh")
	if err := os.WriteFile(img, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(tmp, "root")
	out, err := exec.Command("unsquashfs", "-q", "-n", "-d", root, img).CombinedOutput()
	if err != nil && !strings.Contains(string(out), "created") {
		if _, serr := os.Stat(filepath.Join(root, "usr")); serr != nil {
			t.Fatalf("unsquashfs: %v: %s", err, out)
		}
	}
	return root
}
