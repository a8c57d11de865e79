package exposure

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/analyze/sets"
	"github.com/thingsec/thingsec/internal/engine"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report"
	"github.com/thingsec/thingsec/internal/report/reporttest"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
	"github.com/thingsec/thingsec/internal/vuln/enrich"
)

var scans sync.Map // target: *scanned

type scanned struct {
	once sync.Once
	rep  *model.Report
	err  error
}

// scan runs the default scan on target as "thingsec scan" does, matching
// against the embedded sample data, with this package's enricher last.
func scan(t testing.TB, target string) *model.Report {
	t.Helper()
	v, _ := scans.LoadOrStore(target, &scanned{})
	s := v.(*scanned)
	s.once.Do(func() {
		set, err := sets.Build(sets.Default, sets.Options{})
		if err != nil {
			s.err = err
			return
		}
		s.rep, s.err = engine.Scan(context.Background(), engine.Config{
			Target: target, Workers: 2, Unpack: true,
			Files: set.Files, Components: set.Components, Trees: set.Trees,
			Enrichers: []engine.Enricher{&enrich.Vulns{Path: filepath.Join(os.TempDir(), "thingsec-exposure-absent.db"), Warn: func(string) {}}, Enricher{}},
		})
	})
	if s.err != nil {
		t.Fatal(s.err)
	}
	return s.rep
}

func component(t *testing.T, rep *model.Report, name string) *model.Component {
	t.Helper()
	for i := range rep.Components {
		if rep.Components[i].Name == name {
			return &rep.Components[i]
		}
	}
	t.Fatalf("no component %s", name)
	return nil
}

// at is a service started by the line of file in the layer of path.
func at(rep *model.Report, name, bin, by, file string, line int, args []string, listen ...model.Listen) model.Service {
	s := model.Service{Name: name, Binary: bin, Args: args, StartedBy: by, Listen: listen}
	for _, f := range rep.Files {
		if f.Path == bin {
			s.Location.Layer = f.Layer
		}
	}
	s.Location.Path, s.Location.Line = file, line
	if len(listen) > 0 {
		s.Protocol, s.Port = listen[0].Protocol, listen[0].Port
	}
	return s
}

// TestDemo is the demo camera image: its rcS starts telnetd and httpd
// (BusyBox applets) and dropbear; its inittab a console shell.
func TestDemo(t *testing.T) {
	rep := scan(t, "../../testdata/demo/acme-cam.bin")
	// the services the scan read from the init files: busybox's telnetd
	// and httpd and dropbear listen; dnsmasq is not started
	want := map[string]string{
		"busybox":  "network listens on tcp/23 (started by /etc/init.d/rcS:4)",
		"dropbear": "network listens on tcp/22 (started by /etc/init.d/rcS:6)",
		"dnsmasq":  "local no service runs or loads it",
	}
	for name, w := range want {
		e := component(t, rep, name).Exposure
		if e == nil || e.Level+" "+e.Reason != w {
			t.Errorf("%s: exposure %+v, want %s", name, e, w)
		}
	}
	// the same with services set by hand, without dropbear
	rep = clone(rep)
	rep.Services = []model.Service{
		at(rep, "ash", "/bin/ash", "inittab", "/etc/inittab", 2, []string{"--login"}),
		at(rep, "telnetd", "/usr/sbin/telnetd", "rcS", "/etc/init.d/rcS", 4, []string{"-l", "/bin/ash"}, model.Listen{Protocol: "tcp", Port: 23, Source: "default"}),
		at(rep, "httpd", "/usr/sbin/httpd", "rcS", "/etc/init.d/rcS", 5, []string{"-p", "80", "-h", "/www"}, model.Listen{Protocol: "tcp", Port: 80, Source: "-p 80"}),
	}
	rep.Services[0].Console = "ttyS0"
	Apply(rep)
	validate(t, rep)
	bb := component(t, rep, "busybox")
	if bb.Exposure == nil || bb.Exposure.Level != Network || bb.Exposure.Reason != "listens on tcp/23 (started by /etc/init.d/rcS:4)" ||
		!slices.Equal(bb.Exposure.Services, []string{"httpd", "telnetd"}) {
		t.Errorf("busybox: %+v", bb.Exposure)
	}
	for _, name := range []string{"dnsmasq", "dropbear"} { // not started by these services
		if e := component(t, rep, name).Exposure; e == nil || e.Level != Local {
			t.Errorf("%s: %+v, want local", name, e)
		}
	}
	n := 0
	for _, v := range rep.Vulnerabilities {
		if v.ComponentName != "busybox" {
			continue
		}
		n++
		if v.Priority == nil || v.Priority.Level != model.Critical || !slices.Contains(v.Priority.Reasons, "reachable: listens on tcp/23 (started by /etc/init.d/rcS:4)") {
			t.Errorf("%s (%s): priority %+v", v.ID, v.Severity, v.Priority)
		}
	}
	if n == 0 {
		t.Error("the sample data matched no busybox vulnerability")
	}
}

// validate checks the JSON report against the report schema.
func validate(t *testing.T, rep *model.Report) {
	t.Helper()
	var b bytes.Buffer
	if err := report.JSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	reporttest.Validate(t, b.Bytes())
}

func clone(rep *model.Report) *model.Report {
	c := *rep
	c.Components = slices.Clone(rep.Components)
	for i := range c.Components {
		c.Components[i].Exposure = nil
	}
	c.Vulnerabilities = slices.Clone(rep.Vulnerabilities)
	c.Findings = slices.Clone(rep.Findings)
	return &c
}

const corpusImage = "../../../shared/corpus/firmware/acme-hg100-1.0.0.bin"

func corpus(t *testing.T) *model.Report {
	t.Helper()
	if testing.Short() {
		t.Skip("corpus scan: not in -short")
	}
	if _, err := os.Stat(corpusImage); err != nil {
		t.Skipf("corpus image absent (%v)", err)
	}
	if formattest.Race {
		// a full scan of a 24 MB image takes minutes under the
		// detector; Apply has no concurrency and the engine's races
		// are covered by its own tests
		t.Skip("skipped under -race; run go test ./internal/exposure")
	}
	return scan(t, corpusImage)
}

// TestCorpusServices is the end-to-end check: the scan's own services
// make dnsmasq (udp/53), snmpd (udp/161), sshd (tcp/22) and BusyBox (httpd
// on tcp/80, telnetd through inetd) network-exposed, their libraries too,
// and their vulnerabilities carry the reason.
func TestCorpusServices(t *testing.T) {
	rep := corpus(t)
	if len(rep.Services) == 0 {
		t.Skip("the scan reports no services yet (the service graph analyzer is not in this build): exposure stays unset, which TestCorpusWithServices covers")
	}
	checkCorpus(t, rep, true)
}

// TestCorpusWithServices gives the corpus report the services its init
// files start, at their real lines, and checks exposure and priority on
// the real components, library dependencies and vulnerabilities.
func TestCorpusWithServices(t *testing.T) {
	rep := clone(corpus(t))
	rep.Services = corpusServices(rep)
	t0 := time.Now()
	Apply(rep)
	t.Logf("Apply on %d components, %d files, %d vulnerabilities, %d findings: %v", len(rep.Components), len(rep.Files), len(rep.Vulnerabilities), len(rep.Findings), time.Since(t0))
	checkCorpus(t, rep, false)
	validate(t, rep)
	if testing.Verbose() {
		for _, c := range rep.Components {
			t.Logf("%s: %+v", c.Name, *c.Exposure)
		}
		for _, v := range rep.Vulnerabilities {
			t.Logf("%s %s: %+v", v.ID, v.ComponentName, *v.Priority)
		}
		for _, f := range rep.Findings {
			if f.Priority != nil {
				t.Logf("%s %s: %+v", f.RuleID, f.Location.Path, *f.Priority)
			}
		}
	}
	for name, level := range map[string]string{"acme-upd": Local, "acme-meshd": Unknown, "acme-webui": Network, "libcurl": Local} {
		if e := component(t, rep, name).Exposure; e == nil || e.Level != level {
			t.Errorf("%s: %+v, want %s", name, e, level)
		}
	}
}

// BenchmarkApplyCorpus measures the enricher on the corpus image's
// report with the services of its init files.
func BenchmarkApplyCorpus(b *testing.B) {
	if _, err := os.Stat(corpusImage); err != nil {
		b.Skipf("corpus image absent (%v)", err)
	}
	rep := clone(scan(b, corpusImage))
	rep.Services = corpusServices(rep)
	b.ResetTimer()
	for range b.N {
		Apply(rep)
	}
}

// corpusServices are the services the corpus image's init files start,
// at their real lines, as the service graph reports them.
func corpusServices(rep *model.Report) []model.Service {
	init := func(n string) string { return "/etc/init.d/" + n }
	return []model.Service{
		at(rep, "dnsmasq", "/usr/sbin/dnsmasq", "init.d", init("S40dnsmasq"), 2, []string{"-C", "/etc/dnsmasq.conf"}, model.Listen{Protocol: "udp", Port: 53, Source: "default"}),
		at(rep, "sshd", "/usr/sbin/sshd", "init.d", init("S50sshd"), 2, []string{"-f", "/etc/ssh/sshd_config"}, model.Listen{Protocol: "tcp", Port: 22, Source: "default"}),
		at(rep, "inetd", "/usr/sbin/inetd", "init.d", init("S55inetd"), 2, []string{"/etc/inetd.conf"}),
		at(rep, "telnetd", "/usr/sbin/telnetd", "inetd", "/etc/inetd.conf", 3, []string{"-i"}, model.Listen{Protocol: "tcp", Port: 23}),
		at(rep, "in.tftpd", "/usr/sbin/in.tftpd", "inetd", "/etc/inetd.conf", 4, []string{"-s", "-c", "/tmp/tftpboot"}, model.Listen{Protocol: "udp", Port: 69}),
		at(rep, "httpd", "/usr/sbin/httpd", "init.d", init("S60httpd"), 3, []string{"-p", "80", "-h", "/www", "-c", "/etc/httpd.conf"}, model.Listen{Protocol: "tcp", Port: 80, Source: "-p 80"}),
		at(rep, "snmpd", "/usr/sbin/snmpd", "init.d", init("S70snmpd"), 2, []string{"-c", "/etc/snmp/snmpd.conf", "-u", "snmp"}, model.Listen{Protocol: "udp", Port: 161, Source: "default"}),
		at(rep, "acme-meshd", "/usr/sbin/acme-meshd", "init.d", init("S75meshd"), 2, nil),
		at(rep, "acme-upd", "/usr/sbin/acme-upd", "cron", "/etc/crontabs/root", 2, nil),
	}
}

func checkCorpus(t *testing.T, rep *model.Report, e2e bool) {
	for name, reason := range map[string]string{
		"dnsmasq":        "listens on udp/53 (started by /etc/init.d/S40dnsmasq:2)",
		"snmpd":          "listens on udp/161 (started by /etc/init.d/S70snmpd:2)",
		"openssh-server": "listens on tcp/22 (started by /etc/init.d/S50sshd:2)",
		"libnetsnmp":     "loaded by snmpd (libnetsnmpagent.so.40), which listens on udp/161",
		"libopenssl3":    "loaded by ",
		"busybox":        "listens on tcp/",
		"kernel":         "kernel: its network stack carries",
	} {
		e := component(t, rep, name).Exposure
		if e == nil || e.Level != Network {
			t.Errorf("%s: %+v, want network", name, e)
			continue
		}
		if !e2e && !strings.HasPrefix(e.Reason, reason) {
			t.Errorf("%s: reason %q, want %q...", name, e.Reason, reason)
		}
	}
	n := 0
	for _, v := range rep.Vulnerabilities {
		if v.ComponentName != "busybox" && v.ComponentName != "zlib" {
			continue
		}
		n++
		if v.Priority == nil || v.Priority.Level != model.Critical {
			t.Errorf("%s in %s (%s): priority %+v, want critical", v.ID, v.ComponentName, v.Severity, v.Priority)
		}
	}
	if n == 0 {
		t.Error("the sample data matched no busybox or zlib vulnerability")
	}
	raised := map[string]bool{}
	for _, f := range rep.Findings {
		if f.Priority != nil {
			raised[f.Location.Path] = true
		}
	}
	for _, p := range []string{"/usr/sbin/in.tftpd", "/bin/busybox"} { // hardening findings of network daemons
		if !raised[p] {
			t.Errorf("no finding in %s has a priority (raised: %v)", p, raised)
		}
	}
	if raised["/usr/sbin/acme-upd"] {
		t.Error("a finding of the cron-only acme-upd was raised")
	}
}
