package inventory

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/binver"
	"github.com/thingsec/thingsec/internal/analyze/pkgdb"
	"github.com/thingsec/thingsec/internal/model"
)

type memTree struct {
	files []model.File
	data  map[string][]byte
}

func (m *memTree) Files() []model.File { return m.files }
func (m *memTree) Chain(string) string { return "" }
func (m *memTree) ReadFile(layer, p string, max int64) ([]byte, error) {
	d, ok := m.data[p]
	if !ok {
		return nil, errors.New("no such file")
	}
	return d[:min(int64(len(d)), max)], nil
}

func TestUpstream(t *testing.T) {
	for in, want := range map[string]string{
		"1:9.2p1-2+deb12u3": "9.2p1", "2.9.14+dfsg-1.3~deb12u1": "2.9.14", "1:1.2.13.dfsg-1": "1.2.13",
		"2.36-9+deb12u14": "2.36", "1.35.0": "1.35.0", "2.90-4~deb12u2": "2.90",
	} {
		if got := Upstream(in); got != want {
			t.Errorf("Upstream(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestBuild: a fingerprint in a file a package owns merges into the
// package; duplicates merge; CPEs come from the rule table; package
// dependencies and ELF DT_NEEDED become Refs.
func TestBuild(t *testing.T) {
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not installed: needed to build a real dynamically linked ELF")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "p.c")
	os.WriteFile(src, []byte("#include <stdio.h>\nconst char *v = \"dnsmasq-2.89\";\nint main(void){puts(v);return 0;}\n"), 0o644)
	if out, err := exec.Command(gcc, "-o", filepath.Join(dir, "p"), src).CombinedOutput(); err != nil {
		t.Skipf("gcc: %v %s", err, out)
	}
	prog, _ := os.ReadFile(filepath.Join(dir, "p"))
	cat, err := binver.Default()
	if err != nil {
		t.Fatal(err)
	}
	status := []byte("Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9\n\n" +
		"Package: busybox\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:1.35.0-4\nDepends: libc6 (>= 2.34)\n\n")
	tree := &memTree{
		files: []model.File{
			{Layer: "L0", Path: "/var/lib/dpkg/status", Type: "text"},
			{Layer: "L0", Path: "/var/lib/dpkg/info/libc6:amd64.list", Type: "text"},
			{Layer: "L0", Path: "/var/lib/dpkg/info/busybox.list", Type: "text"},
			{Layer: "L0", Path: "/bin/busybox", Type: "elf"},
			{Layer: "L0", Path: "/lib/x86_64-linux-gnu/libc.so.6", Type: "elf"},
			{Layer: "L0", Path: "/opt/bin/p", Type: "elf"},
			{Layer: "L0", Path: "/opt/bin/p2", Type: "elf"},
		},
		data: map[string][]byte{
			"/var/lib/dpkg/status":                status,
			"/var/lib/dpkg/info/libc6:amd64.list": []byte("/.\n/lib/x86_64-linux-gnu/libc.so.6\n"),
			"/var/lib/dpkg/info/busybox.list":     []byte("/.\n/bin/busybox\n"),
			"/opt/bin/p":                          prog,
			"/opt/bin/p2":                         prog,
		},
	}
	loc := func(p string) model.Location { return model.Location{Layer: "L0", Path: p} }
	comps, reqs := pkgdb.Dpkg(status, loc("/var/lib/dpkg/status"))
	for _, p := range []string{"/bin/busybox", "/opt/bin/p", "/opt/bin/p2"} {
		data := []byte("BusyBox v1.35.0 (Debian 1:1.35.0-4)")
		if p != "/bin/busybox" {
			data = prog
		}
		for _, m := range cat.Scan(p, data) {
			comps = append(comps, m.Component(loc(p)))
		}
	}
	got := Build(context.Background(), tree, cat, comps, reqs)
	by := map[string]model.Component{}
	for _, c := range got {
		by[c.Name] = c
	}
	if len(got) != 3 {
		t.Fatalf("%d components: %+v", len(got), got)
	}
	bb := by["busybox"]
	if len(bb.Evidence) != 2 || len(bb.Locations) != 2 || len(bb.CPEs) != 1 || bb.CPEs[0] != "cpe:2.3:a:busybox:busybox:1.35.0:*:*:*:*:*:*:*" {
		t.Errorf("busybox not merged with its fingerprint: %+v", bb)
	}
	libc := by["libc6"]
	if len(bb.Dependencies) != 1 || bb.Dependencies[0] != libc.Ref {
		t.Errorf("busybox deps %v, want [%s]", bb.Dependencies, libc.Ref)
	}
	if libc.Type != "library" || libc.CPEs[0] != "cpe:2.3:a:gnu:glibc:2.36:*:*:*:*:*:*:*" {
		t.Errorf("libc6: %+v", libc)
	}
	dm := by["dnsmasq"]
	if len(dm.Locations) != 2 {
		t.Errorf("dnsmasq in two files should be one component with two locations: %+v", dm)
	}
	if len(dm.Dependencies) != 1 || dm.Dependencies[0] != libc.Ref {
		t.Errorf("dnsmasq DT_NEEDED libc.so.6 not linked to %s: %v", libc.Ref, dm.Dependencies)
	}
}
