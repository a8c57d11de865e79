package inventory_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
)

// debootstrapTree is the minbase bookworm tree made by
// scripts/mkrootfs-debian.sh.
func debootstrapTree(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "thingsec-debootstrap")
	if c := os.Getenv("THINGSEC_CACHE"); c != "" {
		dir = filepath.Join(c, "thingsec-debootstrap")
	}
	if _, err := os.Stat(filepath.Join(dir, "var", "lib", "dpkg", "status")); err != nil {
		t.Skipf("no debootstrap tree at %s (run scripts/mkrootfs-debian.sh): %v", dir, err)
	}
	return dir
}

func dpkgComponents(rep *model.Report) map[string]string {
	got := map[string]string{}
	for _, c := range rep.Components {
		if strings.HasPrefix(c.PURL, "pkg:deb/") {
			got[c.Name] = c.Version
		}
	}
	return got
}

func diffSets(t *testing.T, who string, want, got map[string]string) {
	t.Helper()
	var bad []string
	for n, v := range want {
		if got[n] != v {
			bad = append(bad, "missing or different: "+n+" "+v+" (got "+got[n]+")")
		}
	}
	for n, v := range got {
		if _, ok := want[n]; !ok {
			bad = append(bad, "extra: "+n+" "+v)
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Error(who + ": " + b)
	}
	if len(want) == 0 {
		t.Errorf("%s listed no packages", who)
	}
}

// TestDebianMinbaseMatchesDpkgAndSyft: the dpkg components of a real
// debootstrap tree equal what dpkg-query and syft report, name and version.
func TestDebianMinbaseMatchesDpkgAndSyft(t *testing.T) {
	tree := debootstrapTree(t)
	rep := scan(t, tree, false)
	got := dpkgComponents(rep)
	checkRefs(t, rep)

	t.Run("dpkg-query", func(t *testing.T) {
		out, err := exec.Command("dpkg-query", "--admindir="+filepath.Join(tree, "var/lib/dpkg"), "-W", "-f", "${db:Status-Abbrev}\t${Package}\t${Version}\n").Output()
		if err != nil {
			t.Skipf("dpkg-query: %v", err)
		}
		want := map[string]string{}
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			f := strings.Split(l, "\t")
			if len(f) == 3 && strings.HasPrefix(f[0], "ii") {
				want[f[1]] = f[2]
			}
		}
		diffSets(t, "dpkg-query", want, got)
	})
	t.Run("syft", func(t *testing.T) {
		syft, err := exec.LookPath("syft")
		if err != nil {
			home, _ := os.UserHomeDir()
			syft = filepath.Join(home, "go", "bin", "syft")
			if _, err := os.Stat(syft); err != nil {
				t.Skip("syft not installed (go install github.com/anchore/syft/cmd/syft@v1.57.0)")
			}
		}
		cmd := exec.Command(syft, "dir:"+tree, "-o", "syft-json", "-q")
		cmd.Env = append(os.Environ(), "SYFT_CHECK_FOR_APP_UPDATE=false")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("syft: %v", err)
		}
		var doc struct {
			Artifacts []struct {
				Name    string `json:"name"`
				Version string `json:"version"`
				Type    string `json:"type"`
			} `json:"artifacts"`
		}
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{}
		for _, a := range doc.Artifacts {
			if a.Type == "deb" {
				want[a.Name] = a.Version
			}
		}
		diffSets(t, "syft", want, got)
	})
}
