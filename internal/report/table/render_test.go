package table

import (
	"bytes"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
)

func TestTruncate(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		cut  cut
		want string
	}{
		{"short", 10, cutEnd, "short"},
		{"exactly10!", 10, cutEnd, "exactly10!"},
		{"a long title here", 10, cutEnd, "a long ..."},
		{"squashfs:/etc/shadow:3", 12, cutStart, ".../shadow:3"},
		{"固件镜像文件名", 9, cutEnd, "固件镜..."}, // wide characters take two columns
		{"固件镜像文件名", 8, cutStart, "...件名"},
		{"abcdef", 2, cutEnd, "ab"},
	} {
		got := truncate(c.in, c.n, c.cut)
		if got != c.want || textWidth(got) > c.n {
			t.Errorf("truncate(%q, %d) = %q (%d columns), want %q", c.in, c.n, got, textWidth(got), c.want)
		}
	}
}

func TestWrap(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want []string
	}{
		{"fits", 10, []string{"fits"}},
		{"break at the spaces please", 10, []string{"break at", "the spaces", "please"}},
		{"averyveryverylongword x", 8, []string{"averyver", "yverylon", "gword x"}},
	} {
		if got := wrap(c.in, c.n); strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("wrap(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

// TestGridFits: a grid wider than the terminal gives up width from its
// flexible columns only, down to their minimum; lines never end in
// spaces; an omitEmpty column with no value disappears.
func TestGridFits(t *testing.T) {
	g := &grid{cols: []column{{head: "ID"}, {head: "TITLE", flex: true}, {head: "KEV", omitEmpty: true}, {head: "WHERE", flex: true, cut: cutStart}}}
	g.add(c("TS-1"), c(strings.Repeat("title ", 20)), c(""), c("squashfs:/a/very/long/path/to/some/file.conf:12"))
	g.add(c("TS-22"), c("short"), c(""), c(""))
	var b bytes.Buffer
	g.render(newPrinter(&b, Options{Width: 60}))
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 3 || strings.Contains(lines[0], "KEV") {
		t.Fatalf("want a header and two rows, no KEV column:\n%s", b.String())
	}
	for _, l := range lines {
		if textWidth(l) > 60 || strings.HasSuffix(l, " ") {
			t.Errorf("line %q: %d columns or a trailing space", l, textWidth(l))
		}
	}
	if !strings.HasPrefix(lines[1], "TS-1   title title") || !strings.HasSuffix(lines[1], "/file.conf:12") {
		t.Errorf("the title keeps its start and the location its end:\n%s", b.String())
	}
	// a grid that cannot fit keeps its columns at their minimum rather
	// than cutting fixed columns
	g = &grid{cols: []column{{head: "FIXED"}, {head: "FLEX", flex: true}}}
	g.add(c(strings.Repeat("x", 50)), c(strings.Repeat("y", 50)))
	b.Reset()
	g.render(newPrinter(&b, Options{Width: 40}))
	if !strings.Contains(b.String(), strings.Repeat("x", 50)+"  "+strings.Repeat("y", minFlex-3)+"...") {
		t.Errorf("fixed column cut or flexible column not at its minimum:\n%s", b.String())
	}
}

func TestSeverityOrder(t *testing.T) {
	var fs []model.Finding
	for _, s := range []model.Severity{model.Info, "unknown", model.Low, model.Critical, "bogus", model.Medium, model.High} {
		fs = append(fs, model.Finding{RuleID: string(s), Severity: s})
	}
	var got []string
	for _, f := range sortedFindings(fs) {
		got = append(got, f.RuleID)
	}
	if want := "critical high medium low bogus unknown info"; strings.Join(got, " ") != want {
		t.Errorf("order %v, want %s", got, want)
	}
}

// TestVulnPriority: within a severity, known exploited first, then the
// CVSS score of the newest version, then EPSS.
func TestVulnPriority(t *testing.T) {
	cv := func(v string, s float64) []model.CVSS { return []model.CVSS{{Version: v, Score: s}} }
	vs := []model.Vulnerability{
		{ID: "low-epss", Severity: model.High, CVSS: cv("3.1", 7.5), EPSS: &model.EPSS{Score: 0.01}},
		{ID: "high-epss", Severity: model.High, CVSS: cv("3.1", 7.5), EPSS: &model.EPSS{Score: 0.5}},
		{ID: "v2-only-10", Severity: model.High, CVSS: cv("2.0", 10)},
		{ID: "score-8", Severity: model.High, CVSS: append(cv("3.1", 8.1), model.CVSS{Version: "2.0", Score: 10})},
		{ID: "kev", Severity: model.High, CVSS: cv("3.1", 7.0), KEV: &model.KEV{}},
		{ID: "crit", Severity: model.Critical},
		{ID: "unscored", Severity: "unknown"},
		{ID: "low", Severity: model.Low, CVSS: cv("3.1", 3.0)},
	}
	var got []string
	for _, v := range sortedVulns(vs) {
		got = append(got, v.ID)
	}
	if want := "crit kev v2-only-10 score-8 high-epss low-epss low unscored"; strings.Join(got, " ") != want {
		t.Errorf("order %v, want %s", got, want)
	}
}

func TestLocations(t *testing.T) {
	rep := &model.Report{Layers: []model.Layer{
		{ID: "L0", Format: "file", Chain: "fw.bin"},
		{ID: "L1", Format: "squashfs", Depth: 1, Chain: "fw.bin > squashfs@0x40"},
		{ID: "L2", Format: "jffs2", Depth: 1, Chain: "fw.bin > jffs2@0x800000"},
		{ID: "L3", Format: "jffs2", Depth: 1, Chain: "fw.bin > jffs2@0x900000"},
	}}
	for _, c := range []struct {
		loc     model.Location
		verbose bool
		want    string
	}{
		{model.Location{Layer: "L1", Path: "/etc/shadow", Line: 3}, false, "squashfs:/etc/shadow:3"},
		{model.Location{Layer: "L1", Path: "/etc/shadow", Line: 3}, true, "fw.bin > squashfs@0x40:/etc/shadow:3"},
		{model.Location{Layer: "L1", Chain: "fw.bin > squashfs@0x40", Path: "/etc/shadow"}, true, "fw.bin > squashfs@0x40:/etc/shadow"},
		{model.Location{Layer: "L3", Path: "/cfg"}, false, "jffs2[L3]:/cfg"}, // two jffs2 layers
		{model.Location{Layer: "L0", Path: "/fw.bin"}, false, "/fw.bin"},
		{model.Location{Layer: "git", Chain: "git:abc123", Path: "src/app.go", Line: 7}, false, "git:abc123:src/app.go:7"},
		{model.Location{Layer: "git", Chain: "git:0123456789abcdef0123456789abcdef01234567", Path: "a.go"}, false, "git:0123456789ab:a.go"},
		{model.Location{Layer: "git", Chain: "git:0123456789abcdef0123456789abcdef01234567", Path: "a.go"}, true, "git:0123456789abcdef0123456789abcdef01234567:a.go"},
	} {
		if got := newLocator(rep, c.verbose).loc(c.loc); got != c.want {
			t.Errorf("%+v verbose=%v: %q, want %q", c.loc, c.verbose, got, c.want)
		}
	}
}

// TestAttackSurface: services, network-facing and set-user-ID binaries
// are listed when the report has them, and the section is absent when it
// has none.
func TestAttackSurface(t *testing.T) {
	rep := &model.Report{
		Layers: []model.Layer{{ID: "L0", Format: "file"}, {ID: "L1", Format: "squashfs", Depth: 1}},
		Services: []model.Service{
			{Name: "telnetd", Protocol: "tcp", Port: 23, Binary: "/bin/busybox", StartedBy: "inetd", User: "root", Auth: "password", TLS: "no",
				Listen:   []model.Listen{{Protocol: "tcp", Port: 23, Source: "/etc/inetd.conf:3"}},
				Location: model.Location{Layer: "L1", Path: "/etc/inetd.conf", Line: 3}},
			{Name: "upnpd", Binary: "/usr/bin/upnpd"},
			{Name: "dnsmasq", Binary: "/usr/sbin/dnsmasq", StartedBy: "init.d", Auth: "none", Protocol: "udp", Port: 53,
				Listen:   []model.Listen{{Protocol: "udp", Address: "br-lan", Port: 53}, {Protocol: "tcp", Address: "::1", Port: 53}, {Protocol: "udp", Address: "127.0.0.1", Port: 53}, {Protocol: "tcp", Port: 53}},
				Location: model.Location{Layer: "L1", Path: "/etc/init.d/S40dnsmasq", Line: 2}},
			{Name: "getty", Binary: "/bin/busybox", StartedBy: "inittab", Auth: "none", Console: "ttyS1", Location: model.Location{Layer: "L1", Path: "/etc/inittab", Line: 6}},
		},
		Binaries: []model.Binary{{Path: "/usr/sbin/telnetd", Listens: true}, {Path: "/bin/su", Setuid: true}, {Path: "/bin/ls"}},
	}
	var b bytes.Buffer
	if err := Report(&b, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"ATTACK SURFACE (4 services, 1 network-facing binary, 1 set-user-ID binary)",
		"  SERVICE  LISTEN                       AUTH      TLS  USER  BINARY             STARTED BY  LOCATION\n",
		"  telnetd  tcp/*:23                     password  no   root  /bin/busybox       inetd       squashfs:/etc/inetd.conf:3\n",
		"  upnpd    -                            -         -    -     /usr/bin/upnpd     -\n",
		"  dnsmasq  udp/br-lan:53 tcp/[::1]:...  none      -    -     /usr/sbin/dnsmasq  init.d      ...:/etc/init.d/S40dnsmasq:2\n",
		"  getty    console ttyS1                none      -    -     /bin/busybox       inittab     squashfs:/etc/inittab:6\n",
		"  network-facing: /usr/sbin/telnetd",
		"  set-user-ID: /bin/su",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	b.Reset()
	if err := Report(&b, &model.Report{Binaries: []model.Binary{{Path: "/bin/ls"}}}, Options{}); err != nil || strings.Contains(b.String(), "ATTACK SURFACE") {
		t.Errorf("an attack surface section without services or exposed binaries:\n%s", b.String())
	}
}

// TestVerdict: counts of findings and vulnerabilities together, worst
// first, problems, and the gate only when there is one.
func TestVerdict(t *testing.T) {
	rep := &model.Report{
		Components:      []model.Component{{Ref: "c"}},
		Findings:        []model.Finding{{Severity: model.High}, {Severity: model.Medium}, {Severity: model.High}},
		Vulnerabilities: []model.Vulnerability{{Severity: model.Critical, Component: "c"}, {Severity: "unknown", Component: "c"}},
		Problems:        []model.Problem{{Kind: "corrupt"}},
	}
	for _, c := range []struct {
		gate *Gate
		want string
	}{
		{nil, "Verdict  1 critical, 2 high, 1 medium, 1 unknown (3 findings, 2 vulnerabilities) · 1 problem\n"},
		{&Gate{Failed: true, Reason: "2 files not fully analysed"}, "· 1 problem · gate: FAILED (2 files not fully analysed)\n"},
		{&Gate{Reason: "no secret found"}, "· gate: passed (no secret found)\n"},
	} {
		var b bytes.Buffer
		if err := Report(&b, rep, Options{Gate: c.gate, Width: 200}); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(b.String(), c.want) {
			t.Errorf("gate %+v: output ends\n%q\nwant suffix %q", c.gate, b.String()[max(0, b.Len()-150):], c.want)
		}
	}
	// too wide for the width: the gate goes on lines of its own, wrapped
	var b bytes.Buffer
	if err := Report(&b, rep, Options{Gate: &Gate{Failed: true, Reason: "2 files not fully analysed"}, Width: 60}); err != nil {
		t.Fatal(err)
	}
	want := "· 1 problem\n         gate: FAILED (2 files not fully analysed)\n"
	if !strings.HasSuffix(b.String(), want) {
		t.Errorf("narrow: output ends\n%q\nwant suffix %q", b.String()[max(0, b.Len()-150):], want)
	}
}

// FuzzFit: for any text and width, truncate fits the width and keeps a
// side of the text, and wrap ends, fits the width (but for a character
// wider than it) and loses nothing but the spaces it breaks at.
func FuzzFit(f *testing.F) {
	for _, s := range []string{"", "a b c", "固件镜像 文件名", "squashfs:/etc/shadow:3", "   lead", "x\u0301y"} {
		f.Add(s, 5)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		s = esc(s) // cells are escaped before they are fitted
		n = 1 + abs(n)%200
		for _, c := range []cut{cutEnd, cutStart} {
			got := truncate(s, n, c)
			if textWidth(got) > n {
				t.Fatalf("truncate(%q, %d) = %q, %d columns", s, n, got, textWidth(got))
			}
			kept := strings.TrimSuffix(strings.TrimPrefix(got, ellipsis), ellipsis)
			if !strings.HasPrefix(s, kept) && !strings.HasSuffix(s, kept) {
				t.Fatalf("truncate(%q, %d) = %q keeps neither end", s, n, got)
			}
		}
		lines := wrap(s, n)
		for _, l := range lines {
			if textWidth(l) > n && textWidth(l) > 2 {
				t.Fatalf("wrap(%q, %d): line %q is %d columns", s, n, l, textWidth(l))
			}
		}
		if strings.ReplaceAll(strings.Join(lines, ""), " ", "") != strings.ReplaceAll(s, " ", "") {
			t.Fatalf("wrap(%q, %d) = %q loses text", s, n, lines)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
