package ci

import (
	"testing"

	"github.com/thingsec/thingsec/internal/model"
)

func TestLocations(t *testing.T) {
	img := model.Target{Name: "fw.bin", Kind: "file"}
	dir := model.Target{Name: "src", Kind: "directory"}
	nested := model.Location{Layer: "L2", Chain: "fw.bin > uimage@0x0:/rootfs > squashfs@0x0", Path: "/etc/shadow", Line: 3}
	self := model.Location{Layer: "L0", Chain: "fw.bin", Path: "/fw.bin", Offset: 0x40}
	plain := model.Location{Layer: "L0", Chain: "src", Path: "/app/.env", Line: 7}
	for _, c := range []struct {
		t                       model.Target
		loc                     model.Location
		nested                  bool
		artifact, file, display string
	}{
		{img, nested, true, "fw.bin", "fw.bin!/etc/shadow", "fw.bin > uimage@0x0:/rootfs > squashfs@0x0:/etc/shadow line 3"},
		{img, self, true, "fw.bin", "fw.bin", "/fw.bin at offset 0x40"},
		{dir, plain, false, "app/.env", "app/.env", "/app/.env line 7"},
		{dir, model.Location{Layer: "L1", Chain: "src > zip@0x0:/a.zip", Path: "/k.pem"}, true, "src", "src!/k.pem", "src > zip@0x0:/a.zip:/k.pem"},
		{model.Target{Name: ".", Kind: "directory"}, model.Location{Layer: "git", Chain: "git:ab12", Path: "/conf/app.env", Line: 2}, false, "conf/app.env", "conf/app.env", "git:ab12:/conf/app.env line 2"},
	} {
		if got := Nested(c.t, c.loc); got != c.nested {
			t.Errorf("Nested(%v) = %v", c.loc, got)
		}
		if got := Artifact(c.t, c.loc); got != c.artifact {
			t.Errorf("Artifact(%v) = %q, want %q", c.loc, got, c.artifact)
		}
		if got := File(c.t, c.loc); got != c.file {
			t.Errorf("File(%v) = %q, want %q", c.loc, got, c.file)
		}
		if got := Display(c.loc); got != c.display {
			t.Errorf("Display(%v) = %q, want %q", c.loc, got, c.display)
		}
	}
}

func TestCommit(t *testing.T) {
	if sha, ok := Commit(model.Location{Layer: "git", Chain: "git:ab12"}); !ok || sha != "ab12" {
		t.Errorf("Commit = %q, %v", sha, ok)
	}
	for _, l := range []model.Location{{Layer: "L0", Chain: "git:ab12"}, {Layer: "git", Chain: "git:"}, {Layer: "git"}} {
		if _, ok := Commit(l); ok {
			t.Errorf("Commit(%+v) is a commit", l)
		}
	}
}

func TestSteps(t *testing.T) {
	layers := []model.Layer{
		{ID: "L0", Format: "file", Chain: "fw.bin"},
		{ID: "L1", Parent: "L0", Source: "/fw.bin", Format: "uimage", Chain: "fw.bin > uimage@0x0"},
		{ID: "L2", Parent: "L1", Source: "/rootfs", Format: "squashfs", Chain: "fw.bin > uimage@0x0:/rootfs > squashfs@0x0"},
		{ID: "L9", Parent: "L9", Format: "loop"},
	}
	steps := Steps(layers, model.Location{Layer: "L2"})
	if len(steps) != 3 || steps[0].Layer != "L0" || steps[2].Format != "squashfs" || steps[2].Source != "/rootfs" {
		t.Errorf("steps %+v", steps)
	}
	if Steps(layers, model.Location{Layer: "L7"}) != nil || Steps(layers, model.Location{Layer: "L9"}) != nil {
		t.Error("an unknown layer or a cycle gives steps")
	}
}

func TestCVSS(t *testing.T) {
	v := &model.Vulnerability{CVSS: []model.CVSS{{Version: "2.0", Score: 10}, {Version: "3.1", Score: 7.5}, {Version: "3.0", Score: 9.8}}}
	if best, ok := CVSS(v); !ok || best.Version != "3.1" || best.Score != 7.5 {
		t.Errorf("best %+v", best)
	}
	if _, ok := CVSS(&model.Vulnerability{}); ok {
		t.Error("no score gives a score")
	}
}
