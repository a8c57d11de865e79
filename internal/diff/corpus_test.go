package diff_test

import (
	"context"
	"encoding/json"
	"github.com/thingsec/thingsec/internal/analyze/inventory"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/sets"
	"github.com/thingsec/thingsec/internal/diff"
	"github.com/thingsec/thingsec/internal/engine"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/unpack"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
	"github.com/thingsec/thingsec/internal/vuln/enrich"
)

func sharedDir(t *testing.T) string {
	d := os.Getenv("THINGSEC_SHARED")
	if d == "" {
		d = "../../../shared"
	}
	if _, err := os.Stat(filepath.Join(d, "corpus/firmware/answers.json")); err != nil {
		t.Skipf("shared corpus absent (%v)", err)
	}
	return d
}

// scan runs the default analyzer set (what thingsec scan runs) and the
// vulnerability match against a database that is not there (so the
// embedded sample, the same on every machine).
func scan(t *testing.T, target string) *model.Report {
	t.Helper()
	set, err := sets.Build(sets.Default, sets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := engine.Scan(context.Background(), engine.Config{
		Target: target, Workers: 2, Unpack: true, Limits: unpack.DefaultLimits(),
		Files: set.Files, Components: set.Components, Trees: set.Trees,
		Enrichers: []engine.Enricher{&enrich.Vulns{Path: filepath.Join(t.TempDir(), "none.db")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// answerDiff is the "diff" section of the corpus answer key.
type answerDiff struct {
	Components struct {
		Added   []any `json:"added"`
		Removed []any `json:"removed"`
		Changed []struct {
			Name, Old, New string
		} `json:"changed"`
	} `json:"components"`
	Findings struct {
		Removed []struct{ ID, Path string } `json:"removed"`
		Added   []struct{ ID, Path string } `json:"added"`
		Changed []struct{ ID, Path string } `json:"changed"`
	} `json:"findings"`
	Files struct {
		Added        []string `json:"added"`
		Removed      []string `json:"removed"`
		Changed      []string `json:"changed"`
		OpkgMetadata []string `json:"changed_opkg_metadata"`
	} `json:"files"`
}

// TestCorpusRelease: thingsec diff of the two releases of the corpus
// router gives the answer key's delta for everything thingsec detects:
// the eight vendor version changes and nothing else, the new, fixed and
// changed findings, the hardening regression and improvement, the files
// changed in the root file system, and the partitions that changed.
func TestCorpusRelease(t *testing.T) {
	dir := filepath.Join(sharedDir(t), "corpus/firmware")
	if formattest.Race {
		// two full scans of 24 MB images: minutes under the detector,
		// while the diff has no concurrency of its own and the
		// engine's races are covered by its own tests
		t.Skip("skipped under -race; run go test ./internal/diff")
	}
	raw, err := os.ReadFile(filepath.Join(dir, "answers.json"))
	if err != nil {
		t.Fatal(err)
	}
	var key struct {
		Diff answerDiff `json:"diff"`
	}
	if err := json.Unmarshal(raw, &key); err != nil {
		t.Fatal(err)
	}
	want := key.Diff
	old := scan(t, filepath.Join(dir, "acme-hg100-1.0.0.bin"))
	new := scan(t, filepath.Join(dir, "acme-hg100-1.1.0.bin"))
	d := diff.Compare(old, new)

	// components: exactly the key's version changes, all upgrades
	var gotComp, wantComp []string
	for _, c := range d.Components.Upgraded {
		// the key gives upstream versions; opkg components carry the revision
		gotComp = append(gotComp, c.Name+" "+inventory.Upstream(c.OldVersion)+" -> "+inventory.Upstream(c.NewVersion))
	}
	for _, c := range want.Components.Changed {
		wantComp = append(wantComp, c.Name+" "+c.Old+" -> "+c.New)
	}
	slices.Sort(gotComp)
	slices.Sort(wantComp)
	if !slices.Equal(gotComp, wantComp) {
		t.Errorf("upgraded components:\n got %q\nwant %q", gotComp, wantComp)
	}
	if n := len(d.Components.Added) + len(d.Components.Removed) + len(d.Components.Downgraded) + len(d.Components.Changed); n != 0 ||
		len(want.Components.Added)+len(want.Components.Removed) != 0 {
		t.Errorf("components added/removed/downgraded/changed: %+v", d.Components)
	}

	// findings: by path, the key's removed and added ones that thingsec
	// detects, and nothing else
	paths := func(fs []diff.Finding) []string {
		var ps []string
		for _, f := range fs {
			ps = append(ps, f.Location.Path)
		}
		slices.Sort(ps)
		return ps
	}
	expect := func(items []struct{ ID, Path string }) []string {
		var ps []string
		for _, it := range items {
			ps = append(ps, it.Path)
		}
		slices.Sort(ps)
		return ps
	}
	if got, w := paths(d.Findings.Fixed), expect(want.Findings.Removed); !slices.Equal(got, w) {
		t.Errorf("fixed findings at %q, want %q", got, w)
	}
	if got, w := paths(d.Findings.New), expect(want.Findings.Added); !slices.Equal(got, w) {
		t.Errorf("new findings at %q, want %q", got, w)
	}
	for _, f := range d.Findings.Fixed {
		if f.Location.Path == "/etc/gateway/cloud.conf" && !strings.Contains(f.Title, "Slack") {
			t.Errorf("fixed finding in cloud.conf is %q, want the Slack token", f.Title)
		}
		// F06: root no longer logs in with a password
		if f.Location.Path == "/etc/ssh/sshd_config" && (f.RuleID != "TS-CONF-001" || f.Location.Line != 7) {
			t.Errorf("fixed finding in sshd_config is %s at line %d, want TS-CONF-001 (PermitRootLogin yes) at 7", f.RuleID, f.Location.Line)
		}
	}
	for _, f := range d.Findings.Fixed {
		if f.Location.Path == "/etc/inetd.conf" && (f.RuleID != "TS-SVC-001" || f.Location.Line != 3) {
			t.Errorf("fixed finding in inetd.conf is %s at line %d, want the telnet service (TS-SVC-001, line 3)", f.RuleID, f.Location.Line)
		}
	}
	// services: telnet is the only one gone, none came or changed
	if r := d.Services.Removed; len(r) != 1 || r[0].Name != "telnetd" || r[0].Port != 23 || r[0].Location.Path != "/etc/inetd.conf" ||
		len(d.Services.Added)+len(d.Services.Changed) != 0 {
		t.Errorf("services: removed %+v, added %+v, changed %+v; want only telnetd removed", d.Services.Removed, d.Services.Added, d.Services.Changed)
	}
	for _, f := range d.Findings.New {
		if f.Location.Path == "/www/js/main.js" && !strings.Contains(f.Title, "GitHub") {
			t.Errorf("new finding in main.js is %q, want the GitHub token", f.Title)
		}
		if f.Location.Path == "/usr/sbin/acme-meshd" && !strings.Contains(f.Evidence, "Partial RELRO") {
			t.Errorf("new acme-meshd finding: %q, want the Partial RELRO regression", f.Evidence)
		}
	}
	var changed []string
	for _, c := range d.Findings.Changed {
		changed = append(changed, c.New.Location.Path)
		// F07: password logins stay, root's way in changed
		if c.New.Location.Path == "/etc/ssh/sshd_config" && (c.New.RuleID != "TS-CONF-004" || c.New.Location.Line != 8 ||
			!strings.Contains(c.Old.Evidence, "PermitRootLogin yes") || !strings.Contains(c.New.Evidence, "PermitRootLogin prohibit-password")) {
			t.Errorf("changed finding in sshd_config: %s line %d, %q -> %q; want TS-CONF-004 at 8 with PermitRootLogin yes -> prohibit-password",
				c.New.RuleID, c.New.Location.Line, c.Old.Evidence, c.New.Evidence)
		}
	}
	slices.Sort(changed)
	if w := expect(want.Findings.Changed); !slices.Equal(changed, w) {
		t.Errorf("changed findings at %q, want %q", changed, w)
	}
	// the findings in files that changed elsewhere keep their identity
	for _, p := range []string{"/etc/gateway/cloud.conf", "/usr/lib/lua/gateway/cloud.lua", "/usr/sbin/acme-upd"} {
		if !slices.ContainsFunc(d.Findings.Unchanged, func(f diff.FindingRef) bool { return f.Path == p }) &&
			!slices.Contains(changed, p) {
			t.Errorf("no finding at %s is unchanged or changed: a fingerprint moved with the file's content", p)
		}
	}
	if len(d.Findings.Unchanged) == 0 || len(d.Findings.Unchanged)+len(d.Findings.Changed)+len(d.Findings.Fixed) != len(old.Findings) ||
		len(d.Findings.Unchanged)+len(d.Findings.Changed)+len(d.Findings.New) != len(new.Findings) {
		t.Errorf("finding counts do not add up: %+v, old %d, new %d", d.Summary, len(old.Findings), len(new.Findings))
	}

	// hardening: acme-meshd lost full RELRO, acme-upd gained a canary
	reg := d.Hardening.Regressions
	if len(reg) != 1 || reg[0].Path != "/usr/sbin/acme-meshd" || !slices.Equal(reg[0].Lost, []string{"full-relro"}) {
		t.Errorf("hardening regressions: %+v", reg)
	}
	imp := d.Hardening.Improvements
	if len(imp) != 1 || imp[0].Path != "/usr/sbin/acme-upd" || !slices.Equal(imp[0].Gained, []string{"canary"}) {
		t.Errorf("hardening improvements: %+v", imp)
	}

	// vulnerabilities: every vulnerable component is byte-identical
	if len(d.Vulnerabilities.Introduced)+len(d.Vulnerabilities.Fixed) != 0 {
		t.Errorf("vulnerabilities changed: %+v", d.Vulnerabilities)
	}

	// files of the root file system: the key's list, by path
	const rootfs = "trx:/part1 > squashfs"
	var gotFiles []string
	for _, f := range d.Files.Changed {
		if f.Layer == rootfs {
			gotFiles = append(gotFiles, f.Path)
		}
	}
	wantFiles := append(slices.Clone(want.Files.Changed), want.Files.OpkgMetadata...)
	slices.Sort(wantFiles)
	if !slices.Equal(gotFiles, wantFiles) {
		t.Errorf("files changed in %s:\n got %q\nwant %q", rootfs, gotFiles, wantFiles)
	}
	if len(d.Files.Added)+len(d.Files.Removed) != 0 || len(want.Files.Added)+len(want.Files.Removed) != 0 {
		t.Errorf("files added %v, removed %v", d.Files.Added, d.Files.Removed)
	}
	// outside the root file system, only the TRX partition holding it
	// changed: the kernel part, the UBI config and the factory archive
	// are identical
	for _, f := range d.Files.Changed {
		if f.Layer != rootfs && (f.Layer != "trx" || f.Path != "/part1") {
			t.Errorf("file changed outside the root file system: %s:%s", f.Layer, f.Path)
		}
	}
	var layers []string
	for _, l := range d.Layers.Changed {
		layers = append(layers, l.Key)
	}
	if !slices.Equal(layers, []string{"trx", rootfs}) || len(d.Layers.Added)+len(d.Layers.Removed) != 0 {
		t.Errorf("layers changed %q, added %v, removed %v; want the TRX and its squashfs only", layers, d.Layers.Added, d.Layers.Removed)
	}
}
