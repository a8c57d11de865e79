package buildinfo

import (
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	vcs := []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "0015e19a1b2c3d4e5f60718293a4b5c6d7e8f901"},
		{Key: "vcs.time", Value: "2026-12-05T09:36:13Z"},
		{Key: "vcs.modified", Value: "true"},
	}
	tests := []struct {
		name     string
		override string
		bi       *debug.BuildInfo
		want     string
		rev      string
	}{
		{"no build info", "", nil, "devel", ""},
		{"override wins", "v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "v0.9.0"}, Settings: vcs}, "v1.2.3", "0015e19a1b2c3d4e5f60718293a4b5c6d7e8f901"},
		{"module version", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}}, "v0.4.0", ""},
		{"pseudo-version", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261205093613-0015e19a1b2c+dirty"}, Settings: vcs}, "v0.0.0-20261205093613-0015e19a1b2c+dirty", "0015e19a1b2c3d4e5f60718293a4b5c6d7e8f901"},
		{"devel with revision", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs}, "devel+0015e19a1b2c.dirty", "0015e19a1b2c3d4e5f60718293a4b5c6d7e8f901"},
		{"devel", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "devel", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := fromBuildInfo(tt.override, tt.bi)
			if in.Version != tt.want || in.Revision != tt.rev {
				t.Errorf("version %q revision %q, want %q %q", in.Version, in.Revision, tt.want, tt.rev)
			}
			if in.GoVersion == "" || !strings.Contains(in.Platform, "/") {
				t.Errorf("go %q platform %q", in.GoVersion, in.Platform)
			}
		})
	}
}

// TestLdflagsOverride builds a real binary with -X and checks that the
// stamped version is the one it reports.
func TestLdflagsOverride(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "v")
	build := exec.Command("go", "build", "-ldflags", "-X github.com/thingsec/thingsec/internal/buildinfo.version=v9.8.7", "-o", bin, "./testdata/printversion")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).CombinedOutput()
	if err != nil || string(out) != "v9.8.7" {
		t.Errorf("got %q (%v), want v9.8.7", out, err)
	}
}
