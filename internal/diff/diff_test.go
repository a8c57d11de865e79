package diff

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
)

// layered is a file target with a TRX, a squashfs in its second part and
// two zstd streams carved from one file, laid out at the given offsets
// and with layer ids in the given order.
func layered(name string, sqOff, z1, z2 int64, ids [5]string) *model.Report {
	return &model.Report{
		Target: model.Target{Name: name, Kind: "file"},
		Layers: []model.Layer{
			{ID: ids[0], Format: "file"},
			{ID: ids[1], Parent: ids[0], Source: "/" + name, Format: "trx"},
			{ID: ids[2], Parent: ids[1], Source: "/part1", Format: "squashfs", Offset: sqOff},
			{ID: ids[3], Parent: ids[1], Source: "/part0", Format: "zstd", Offset: z2},
			{ID: ids[4], Parent: ids[1], Source: "/part0", Format: "zstd", Offset: z1},
		},
	}
}

func TestLayerKeys(t *testing.T) {
	a := LayerKeys(layered("fw-1.0.bin", 0, 100, 200, [5]string{"L0", "L1", "L2", "L3", "L4"}))
	b := LayerKeys(layered("fw-1.1.bin", 4096, 180, 300, [5]string{"L0", "L1", "L4", "L2", "L3"}))
	want := map[string]string{"L0": "", "L1": "trx", "L2": "trx:/part1 > squashfs", "L3": "trx:/part0 > zstd#2", "L4": "trx:/part0 > zstd"}
	for id, k := range want {
		if a[id] != k {
			t.Errorf("old %s: key %q, want %q", id, a[id], k)
		}
	}
	// in b the ids were handed out in another order and every offset moved
	for _, p := range [][2]string{{"L2", "L4"}, {"L3", "L2"}, {"L4", "L3"}} {
		if a[p[0]] != b[p[1]] {
			t.Errorf("old %s (%q) and new %s (%q) differ", p[0], a[p[0]], p[1], b[p[1]])
		}
	}
	dir := &model.Report{Target: model.Target{Name: "rootfs", Kind: "directory"}, Layers: []model.Layer{
		{ID: "L0", Format: "directory"}, {ID: "L1", Parent: "L0", Source: "/boot/initrd.img", Format: "cpio"},
	}}
	if k := LayerKeys(dir)["L1"]; k != "/boot/initrd.img > cpio" {
		t.Errorf("directory target: key %q", k)
	}
}

func comp(purl, name, version string) model.Component {
	return model.Component{Ref: purl, PURL: purl, Name: name, Version: version, Type: "library"}
}

func TestComponents(t *testing.T) {
	old := []model.Component{
		comp("pkg:deb/debian/openssl@1:3.0.9-1?arch=armhf", "openssl", "3.0.9"),
		comp("pkg:deb/debian/zlib@1:1.2.13-1?arch=armhf", "zlib", "1.2.13"),
		comp("pkg:golang/golang.org/x/crypto@v0.0.0-20210921155107-089bfa567519", "golang.org/x/crypto", "v0.0.0-20210921155107-089bfa567519"),
		comp("pkg:opkg/busybox@1.35.0-1?arch=mipsel_24kc", "busybox", "1.35.0"),
		comp("pkg:generic/libfoo@1.0", "libfoo", "1.0"),
		comp("pkg:generic/libfoo@2.0", "libfoo", "2.0"),
		comp("pkg:apk/alpine/musl@1.2.4-r1", "musl", "1.2.4"),
		{Ref: "x", Name: "vendor-blob", Version: "7", Type: "firmware"},
	}
	new := []model.Component{
		comp("pkg:deb/debian/openssl@1:3.0.11-1?arch=armhf", "openssl", "3.0.11"), // 9 -> 11: numeric, not textual
		comp("pkg:deb/debian/zlib@1:1.2.13-1?arch=armhf", "zlib", "1.2.13"),
		comp("pkg:golang/golang.org/x/crypto@v0.17.0", "golang.org/x/crypto", "v0.17.0"),
		comp("pkg:opkg/busybox@1.35.0-2?arch=mipsel_24kc", "busybox", "1.35.0"), // a revision bump
		comp("pkg:generic/libfoo@2.0", "libfoo", "2.0"),
		comp("pkg:generic/libfoo@1.0", "libfoo", "1.0"),
		comp("pkg:apk/alpine/musl@1.2.4_rc1-r0", "musl", "1.2.4_rc1"), // a pre-release: older
		comp("pkg:deb/debian/openssl@1:3.0.11-1?arch=arm64", "openssl", "3.0.11"),
	}
	c := compareComponents(old, new)
	name := func(cs []ComponentChange) []string {
		var s []string
		for _, x := range cs {
			s = append(s, x.Name+" "+x.OldVersion+">"+x.NewVersion)
		}
		return s
	}
	if got := name(c.Upgraded); !slices.Equal(got, []string{"busybox 1.35.0>1.35.0", "golang.org/x/crypto v0.0.0-20210921155107-089bfa567519>v0.17.0", "openssl 3.0.9>3.0.11"}) {
		t.Errorf("upgraded %q", got)
	}
	if got := name(c.Downgraded); !slices.Equal(got, []string{"musl 1.2.4>1.2.4_rc1"}) {
		t.Errorf("downgraded %q", got)
	}
	if len(c.Added) != 1 || c.Added[0].Identity != "pkg:deb/debian/openssl?arch=arm64" {
		t.Errorf("added %+v", c.Added)
	}
	if len(c.Removed) != 1 || c.Removed[0].Identity != "name:firmware/vendor-blob" {
		t.Errorf("removed %+v", c.Removed)
	}
	if len(c.Changed) != 0 {
		t.Errorf("changed %+v", c.Changed)
	}
}

func finding(fp, rule, layer, path string, line int, sev model.Severity, ev string) model.Finding {
	return model.Finding{Fingerprint: fp, RuleID: rule, Severity: sev, Evidence: ev, Title: rule,
		Location: model.Location{Layer: layer, Path: path, Line: line, Chain: "img > " + layer}}
}

// TestFindings: moving lines and layer ids is no change; a finding in
// two layers (A/B systems) pairs within its layer; evidence and severity
// are changes.
func TestFindings(t *testing.T) {
	ab := func(ids ...string) []model.Layer {
		return []model.Layer{{ID: "L0", Format: "file"}, {ID: ids[0], Parent: "L0", Format: "squashfs", Offset: 0},
			{ID: ids[1], Parent: "L0", Format: "ubifs", Offset: 1 << 20}}
	}
	old := &model.Report{Target: model.Target{Kind: "file"}, Layers: ab("L1", "L2"), Findings: []model.Finding{
		finding("a", "R1", "L1", "/etc/x", 3, model.High, "e"),
		finding("b", "R2", "L1", "/etc/y", 1, model.Low, "e"),
		finding("b", "R2", "L2", "/etc/y", 1, model.Low, "e"),
		finding("c", "R3", "L1", "/etc/z", 1, model.Medium, "old"),
		finding("d", "R4", "L1", "/etc/gone", 1, model.Critical, "e"),
	}}
	new := &model.Report{Target: model.Target{Kind: "file"}, Layers: ab("L2", "L1"), Findings: []model.Finding{
		finding("a", "R1", "L2", "/etc/x", 9, model.High, "e"),
		finding("b", "R2", "L1", "/etc/y", 1, model.Medium, "e"), // now the ubifs one, raised
		finding("b", "R2", "L2", "/etc/y", 1, model.Low, "e"),
		finding("c", "R3", "L2", "/etc/z", 1, model.Medium, "new"),
		finding("e", "R5", "L2", "/etc/new", 1, model.Critical, "e"),
	}}
	f := compareFindings(old, new, LayerKeys(old), LayerKeys(new))
	if len(f.New) != 1 || f.New[0].Fingerprint != "e" || f.New[0].LayerKey != "squashfs" {
		t.Errorf("new %+v", f.New)
	}
	if len(f.Fixed) != 1 || f.Fixed[0].Fingerprint != "d" {
		t.Errorf("fixed %+v", f.Fixed)
	}
	var changed []string
	for _, c := range f.Changed {
		changed = append(changed, c.Fingerprint+":"+strings.Join(c.Changes, ","))
	}
	if !slices.Equal(changed, []string{"b:severity", "c:evidence"}) {
		t.Errorf("changed %q", changed)
	}
	if len(f.Unchanged) != 2 {
		t.Errorf("unchanged %+v", f.Unchanged)
	}
	for _, c := range f.Changed {
		if c.Fingerprint == "b" && c.New.Location.Layer != "L1" {
			t.Errorf("b paired across layers: %+v", c)
		}
	}
}

func TestVulnerabilities(t *testing.T) {
	old := &model.Report{
		Components:      []model.Component{comp("pkg:opkg/busybox@1.35.0-1", "busybox", "1.35.0"), comp("pkg:opkg/zlib@1.2.11-1", "zlib", "1.2.11")},
		Vulnerabilities: []model.Vulnerability{{ID: "CVE-1", Component: "pkg:opkg/busybox@1.35.0-1", Severity: model.High}, {ID: "CVE-2", Component: "pkg:opkg/zlib@1.2.11-1", Severity: model.Critical}},
	}
	new := &model.Report{
		Components:      []model.Component{comp("pkg:opkg/busybox@1.36.0-1", "busybox", "1.36.0"), comp("pkg:opkg/zlib@1.3-1", "zlib", "1.3")},
		Vulnerabilities: []model.Vulnerability{{ID: "CVE-1", Component: "pkg:opkg/busybox@1.36.0-1", Severity: model.High}, {ID: "CVE-3", Component: "pkg:opkg/zlib@1.3-1", Severity: model.Medium}},
	}
	v := compareVulns(old, new)
	if len(v.Fixed) != 1 || v.Fixed[0].ID != "CVE-2" || v.Fixed[0].ComponentVersion != "1.2.11" || v.Fixed[0].Cause != "component-changed" {
		t.Errorf("fixed %+v", v.Fixed)
	}
	if len(v.Introduced) != 1 || v.Introduced[0].ID != "CVE-3" || v.Introduced[0].ComponentName != "zlib" || v.Introduced[0].Cause != "component-changed" {
		t.Errorf("introduced %+v", v.Introduced)
	}
	// newer vulnerability data on an unchanged release, and a new package
	again := &model.Report{
		Components: append(slices.Clone(new.Components), comp("pkg:opkg/curl@8.0-1", "curl", "8.0")),
		Vulnerabilities: append(slices.Clone(new.Vulnerabilities), model.Vulnerability{ID: "CVE-4", Component: "pkg:opkg/busybox@1.36.0-1", Severity: model.Low},
			model.Vulnerability{ID: "CVE-5", Component: "pkg:opkg/curl@8.0-1", Severity: model.Low}),
	}
	var causes []string
	for _, x := range compareVulns(new, again).Introduced {
		causes = append(causes, x.ID+" "+x.Cause)
	}
	if !slices.Equal(causes, []string{"CVE-4 same-component", "CVE-5 component-added"}) {
		t.Errorf("causes %q", causes)
	}
	d := &Diff{Vulnerabilities: v}
	if g := NewAtOrAbove(d, model.High); g.Failed() {
		t.Errorf("a medium vulnerability failed the high gate: %s", g.Reason())
	}
	g := NewAtOrAbove(d, model.Medium)
	if !g.Failed() || !strings.Contains(g.Reason(), "CVE-3 in zlib 1.3") {
		t.Errorf("medium gate: %v %q", g.Failed(), g.Reason())
	}
}

func TestServices(t *testing.T) {
	old := []model.Service{{Name: "telnetd", Protocol: "tcp", Port: 23, StartedBy: "/etc/inetd.conf"}, {Name: "sshd", Protocol: "tcp", Port: 22, Binary: "/usr/sbin/sshd"}}
	new := []model.Service{{Name: "sshd", Protocol: "tcp", Port: 2222, Binary: "/usr/sbin/sshd"}, {Name: "snmpd", Protocol: "udp", Port: 161}}
	s := compareServices(old, new)
	if len(s.Added) != 1 || s.Added[0].Name != "snmpd" || len(s.Removed) != 1 || s.Removed[0].Name != "telnetd" ||
		len(s.Changed) != 1 || !slices.Equal(s.Changed[0].Changes, []string{"port"}) {
		t.Errorf("services %+v", s)
	}
}

func TestHardening(t *testing.T) {
	bin := func(relro string, canary, nx bool, opts map[string]string) model.Binary {
		b := model.Binary{Layer: "L1", Path: "/bin/x", Kind: "executable", PIE: "yes", RELRO: relro, Canary: canary, NX: nx}
		if opts != nil {
			b = model.Binary{Layer: "L1", Path: "/boot/vmlinux", Kind: "kernel", Kernel: &model.Kernel{Version: "6.1", Options: opts}}
		}
		return b
	}
	lay := []model.Layer{{ID: "L0"}, {ID: "L1", Parent: "L0", Format: "squashfs"}}
	old := &model.Report{Layers: lay, Binaries: []model.Binary{bin("full", false, true, nil), bin("", false, false, map[string]string{"STRICT_DEVMEM": "y", "HARDENED_USERCOPY": "n"})}}
	new := &model.Report{Layers: lay, Binaries: []model.Binary{bin("partial", true, true, nil), bin("", false, false, map[string]string{"STRICT_DEVMEM": "n", "HARDENED_USERCOPY": "y"})}}
	h := compareHardening(old, new, LayerKeys(old), LayerKeys(new))
	var reg, imp []string
	for _, c := range h.Regressions {
		reg = append(reg, c.Path+" "+strings.Join(c.Lost, ","))
	}
	for _, c := range h.Improvements {
		imp = append(imp, c.Path+" "+strings.Join(c.Gained, ","))
	}
	if !slices.Equal(reg, []string{"/bin/x full-relro", "/boot/vmlinux CONFIG_STRICT_DEVMEM"}) ||
		!slices.Equal(imp, []string{"/bin/x canary", "/boot/vmlinux CONFIG_HARDENED_USERCOPY"}) {
		t.Errorf("regressions %q, improvements %q", reg, imp)
	}
}

// TestLoadReport: a saved report of any 1.x version loads (unknown
// fields ignored); anything else that looks like JSON but is no usable
// report is an error naming the file; other input is left to the scan.
func TestLoadReport(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content string
		ok            bool
		err           string
	}{
		{"1.0.0", `{"schema_version": "1.0.0", "tool": {"name": "thingsec", "version": "0.1"}, "findings": [{"rule_id": "R", "fingerprint": "f"}]}`, true, ""},
		{"1.4.0 with new fields", `{"schema_version": "1.4.0", "exposure": {"ports": [1]}, "findings": [{"rule_id": "R", "fingerprint": "f", "reachable": true}]}`, true, ""},
		{"newer major", `{"schema_version": "9.0.0", "findings": []}`, true, "is not readable by this thingsec"},
		{"not a version", `{"schema_version": "latest"}`, true, "is not MAJOR.MINOR.PATCH"},
		{"diff document", `{"kind": "thingsec-diff", "schema_version": "1.0.0"}`, true, "a diff document"},
		{"truncated", `{"schema_version": "1.0.0", "findings": [`, true, "not a readable thingsec report"},
		{"other JSON", `{"name": "package.json", "version": "1.0.0"}`, false, ""},
		{"binary", "hsqs\x00\x00\x01", false, ""},
		{"empty", "", false, ""},
	}
	for _, tt := range tests {
		p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_"))
		if err := os.WriteFile(p, []byte(tt.content), 0o644); err != nil {
			t.Fatal(err)
		}
		rep, ok, err := LoadReport(p)
		if ok != tt.ok {
			t.Errorf("%s: ok %v, want %v", tt.name, ok, tt.ok)
		}
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), p)):
			t.Errorf("%s: error %v, want one naming the file and %q", tt.name, err, tt.err)
		case tt.ok && tt.err == "" && (rep == nil || len(rep.Findings) != 1):
			t.Errorf("%s: report %+v", tt.name, rep)
		}
	}
	if _, ok, err := LoadReport(filepath.Join(dir, "missing")); ok || err != nil {
		t.Errorf("a missing file: %v %v; want it left to the scan", ok, err)
	}
	if _, ok, err := LoadReport(dir); ok || err != nil {
		t.Errorf("a directory: %v %v; want it left to the scan", ok, err)
	}
}

// TestEmptyLists: the JSON shape has arrays, never null.
func TestEmptyLists(t *testing.T) {
	d := Compare(&model.Report{}, &model.Report{})
	if d.Findings.New == nil || d.Files.Changed == nil || d.Services.Added == nil || d.Layers.Removed == nil || d.Hardening.Regressions == nil ||
		d.Kind != DocumentKind || d.SchemaVersion != SchemaVersion {
		t.Errorf("%+v", d)
	}
}
