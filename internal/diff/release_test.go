package diff_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/diff"
	"github.com/thingsec/thingsec/internal/model"
)

// Secrets from the rule catalog's own examples (random, in the real
// formats).
const (
	slackToken  = "xoxb-147813489774-9404301643467-0fl4oQCtYkmRgLc8DXSOFZGA"
	stripeKey   = "sk_live_qxfrrJQ8kpTl0j3MtAAB67lj"
	githubToken = "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"
)

// release describes one of two releases of a small device image.
type release struct {
	shadow  string // root's sha256crypt hash of "admin", salted differently
	cloud   string
	app     string
	status  string
	meshd   []string // compiler flags
	upd     []string
	libName string
	extra   string // a file only this release has
	tz      string
	pad     int // bytes before the squashfs
}

var releases = [2]release{{
	shadow:  `$5$rPmxP43u0u/h1bhE$bezJGo/4rM8Qz9GYOlyNp.76MsHv04MiNHRYbE6Clx0`,
	cloud:   "telemetry=1\nslack_bot_token=" + slackToken + "\nstripe_key=" + stripeKey + "\n",
	app:     "var x = 1;\n",
	status:  opkg("foo", "1.9-1") + opkg("bar", "2.0-1") + opkg("baz", "1.0-1") + opkg("same", "3.0-1"),
	meshd:   []string{"-O2", "-D_FORTIFY_SOURCE=2", "-fstack-protector-strong", "-fPIE", "-pie", "-Wl,-z,relro,-z,now", "-Wl,-z,noexecstack"},
	upd:     []string{"-O2", "-fno-stack-protector", "-fno-PIE", "-no-pie", "-Wl,-z,norelro"},
	libName: "libfoo.so.1.2.3",
	extra:   "etc/removed.conf",
	tz:      "/usr/share/zoneinfo/UTC",
	pad:     64 << 10,
}, {
	shadow:  `$5$abcdefgh$eKmO8qqatxyseBbtE4o3nrolLfuFP7p82NOMAwOerUC`,
	cloud:   "# release 2\n# the telemetry moved\ntelemetry=2\nstripe_key=" + stripeKey + "\n",
	app:     "var x = 2;\nvar GH_TOKEN = \"" + githubToken + "\";\n",
	status:  opkg("foo", "1.10-1") + opkg("bar", "1.9-1") + opkg("same", "3.0-1") + opkg("qux", "0.1-1"),
	meshd:   []string{"-O2", "-D_FORTIFY_SOURCE=2", "-fstack-protector-strong", "-fPIE", "-pie", "-Wl,-z,relro", "-Wl,-z,noexecstack"},
	upd:     []string{"-O2", "-fstack-protector-all", "-fno-PIE", "-no-pie", "-Wl,-z,norelro"},
	libName: "libfoo.so.1.2.4",
	extra:   "etc/added.conf",
	tz:      "/usr/share/zoneinfo/CET",
	pad:     128 << 10,
}}

func opkg(name, version string) string {
	return "Package: " + name + "\nVersion: " + version + "\nArchitecture: mipsel_24kc\nStatus: install user installed\n\n"
}

const program = `#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
	char buf[64];
	strcpy(buf, argc > 1 ? argv[1] : "x");
	printf("%s\n", buf);
	return 0;
}
`

func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (.ci/run installs it): %v", tool, err)
		}
	}
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// buildImage makes release r: a root file system packed by mksquashfs
// after r.pad bytes of erased flash, with two MIPS programs built by
// gcc with r's hardening flags.
func buildImage(t *testing.T, dir string, r release) string {
	t.Helper()
	root := filepath.Join(dir, "rootfs")
	write := func(p, s string, mode os.FileMode) {
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/shadow", "root:"+r.shadow+":20157:0:99999:7:::\nnobody:*:20157:0:99999:7:::\n", 0o600)
	write("etc/cloud.conf", r.cloud, 0o644)
	write("www/app.js", r.app, 0o644)
	write("usr/lib/opkg/status", r.status, 0o644)
	write(r.extra, "x=1\n", 0o644)
	write("etc/hostname", "device\n", 0o644)
	if err := os.Symlink(r.tz, filepath.Join(root, "etc/localtime")); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "main.c")
	lib := filepath.Join(dir, "lib.c")
	if err := os.WriteFile(src, []byte(program), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lib, []byte("int foo(int x) { return x + 1; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, bin := range []struct {
		path  string
		flags []string
	}{{"usr/bin/meshd", r.meshd}, {"usr/bin/upd", r.upd}} {
		out := filepath.Join(root, bin.path)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			t.Fatal(err)
		}
		run(t, "mipsel-linux-gnu-gcc", append(append([]string{}, bin.flags...), "-o", out, src)...)
	}
	if err := os.MkdirAll(filepath.Join(root, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, "mipsel-linux-gnu-gcc", "-shared", "-fPIC", "-O2", "-Wl,-z,norelro", "-o", filepath.Join(root, "lib", r.libName), lib)

	fs := filepath.Join(dir, "rootfs.sqfs")
	run(t, "mksquashfs", root, fs, "-noappend", "-quiet", "-no-progress", "-all-root", "-comp", "gzip")
	data, err := os.ReadFile(fs)
	if err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "device.bin")
	if err := os.WriteFile(img, append(bytes.Repeat([]byte{0xff}, r.pad), data...), 0o644); err != nil {
		t.Fatal(err)
	}
	return img
}

// TestRelease diffs two releases made by real tools: every kind of change
// the diff knows is in them once, and nothing else may show up. The
// squashfs moves in the image, the files with findings change elsewhere
// and a library's versioned name changes: none of it moves a finding.
func TestRelease(t *testing.T) {
	need(t, "mksquashfs", "mipsel-linux-gnu-gcc")
	var reps [2]*model.Report
	for i, r := range releases {
		reps[i] = scan(t, buildImage(t, t.TempDir(), r))
	}
	d := diff.Compare(reps[0], reps[1])

	comps := func(cs []diff.ComponentChange) []string {
		var s []string
		for _, c := range cs {
			s = append(s, c.Name+" "+c.OldVersion+" -> "+c.NewVersion)
		}
		return s
	}
	refs := func(cs []diff.ComponentRef) []string {
		var s []string
		for _, c := range cs {
			s = append(s, c.Name+" "+c.Version)
		}
		return s
	}
	check := func(what string, got, want []string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", what, got, want)
		}
	}
	// 1.9 -> 1.10 is an upgrade, which a string comparison gets wrong
	check("upgraded", comps(d.Components.Upgraded), []string{"foo 1.9-1 -> 1.10-1"})
	check("downgraded", comps(d.Components.Downgraded), []string{"bar 2.0-1 -> 1.9-1"})
	check("components added", refs(d.Components.Added), []string{"qux 0.1-1"})
	check("components removed", refs(d.Components.Removed), []string{"baz 1.0-1"})
	check("components changed", comps(d.Components.Changed), nil)

	findings := func(fs []diff.Finding) []string {
		var s []string
		for _, f := range fs {
			s = append(s, f.RuleID+" "+f.Location.Path)
		}
		slices.Sort(s)
		return s
	}
	check("new findings", findings(d.Findings.New), []string{"TS-HARD-001 /usr/bin/meshd", "TS-SECRET-031 /www/app.js"})
	check("fixed findings", findings(d.Findings.Fixed), []string{"TS-SECRET-051 /etc/cloud.conf"})
	var changed []string
	for _, c := range d.Findings.Changed {
		changed = append(changed, c.New.RuleID+" "+c.New.Location.Path+" "+strings.Join(c.Changes, ","))
	}
	slices.Sort(changed)
	check("changed findings", changed, []string{
		"TS-CRED-001 /etc/shadow evidence",      // a new salt, the same default password
		"TS-HARD-001 /lib/libfoo.so.1.2.4 path", // a new version of the library, the same problem
		"TS-HARD-001 /usr/bin/upd evidence",     // a canary now, still no RELRO or PIE
	})
	if !slices.ContainsFunc(d.Findings.Unchanged, func(f diff.FindingRef) bool {
		return f.RuleID == "TS-SECRET-064" && f.Path == "/etc/cloud.conf"
	}) {
		t.Errorf("the Stripe key in the changed /etc/cloud.conf (moved two lines down) is not unchanged: %+v", d.Findings.Unchanged)
	}

	hard := func(cs []diff.HardeningChange, what func(diff.HardeningChange) []string) []string {
		var s []string
		for _, c := range cs {
			s = append(s, c.Layer+":"+c.Path+" "+strings.Join(what(c), ","))
		}
		return s
	}
	check("hardening regressions", hard(d.Hardening.Regressions, func(c diff.HardeningChange) []string { return c.Lost }),
		[]string{"squashfs:/usr/bin/meshd full-relro"})
	check("hardening improvements", hard(d.Hardening.Improvements, func(c diff.HardeningChange) []string { return c.Gained }),
		[]string{"squashfs:/usr/bin/upd canary"})

	var files []string
	for _, f := range d.Files.Changed {
		files = append(files, f.Layer+":"+f.Path+" "+strings.Join(f.Changes, ","))
	}
	check("files changed", files, []string{
		"squashfs:/etc/cloud.conf content", "squashfs:/etc/localtime link", "squashfs:/etc/shadow content",
		"squashfs:/usr/bin/meshd content", "squashfs:/usr/bin/upd content", "squashfs:/usr/lib/opkg/status content",
		"squashfs:/www/app.js content",
	})
	paths := func(fs []diff.FileRef) []string {
		var s []string
		for _, f := range fs {
			s = append(s, f.Layer+":"+f.Path)
		}
		return s
	}
	check("files added", paths(d.Files.Added), []string{"squashfs:/etc/added.conf", "squashfs:/lib/libfoo.so.1.2.4"})
	check("files removed", paths(d.Files.Removed), []string{"squashfs:/etc/removed.conf", "squashfs:/lib/libfoo.so.1.2.3"})

	if len(d.Layers.Changed) != 1 || d.Layers.Changed[0].Key != "squashfs" || d.Layers.Changed[0].OldOffset != 64<<10 ||
		d.Layers.Changed[0].NewOffset != 128<<10 || d.Layers.Changed[0].FilesChanged != 7 {
		t.Errorf("layers changed: %+v", d.Layers.Changed)
	}
	if len(d.Layers.Added)+len(d.Layers.Removed) != 0 {
		t.Errorf("layers added %+v, removed %+v", d.Layers.Added, d.Layers.Removed)
	}

	doc, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	diff.Validate(t, doc)

	// The same delta from the saved JSON reports.
	var saved [2]*model.Report
	for i, rep := range reps {
		p := filepath.Join(t.TempDir(), "r.json")
		b, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		r, ok, err := diff.LoadReport(p)
		if err != nil || !ok {
			t.Fatalf("LoadReport: %v, %v", ok, err)
		}
		saved[i] = r
	}
	if d2 := diff.Compare(saved[0], saved[1]); !reflect.DeepEqual(d, d2) {
		t.Error("the diff of the saved reports differs from the diff of the scans")
	}

	// The gate: the GitHub token is high, the hardening finding low.
	if g := diff.NewAtOrAbove(d, model.High); !g.Failed() || len(g.Findings) != 1 || g.Findings[0].RuleID != "TS-SECRET-031" {
		t.Errorf("gate at high: %+v", g)
	}
	if g := diff.NewAtOrAbove(d, model.Critical); g.Failed() {
		t.Errorf("gate at critical failed: %s", g.Reason())
	}
}
