package services

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/analyzetest"
	"github.com/thingsec/thingsec/internal/analyze/inventory"
	"github.com/thingsec/thingsec/internal/analyze/pkgdb"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/engine"
	"github.com/thingsec/thingsec/internal/model"
)

type keyFinding struct {
	ID       string `json:"id"`
	Category string `json:"category"`
	Path     string `json:"path"`
	Evidence struct {
		File string `json:"file"`
		Line int    `json:"line"`
	} `json:"evidence"`
}

// TestCorpusServices: on both HG-100 images the service graph holds every
// service the boot scripts, inittab, inetd and cron start, with the line
// that starts it and what can be derived about its listeners, and the
// service rules report the answer key's service items (F03 telnet only
// in 1.0.0, F04 TFTP, F05 the ttyS1 shell, F29 the nc backdoor) at their
// path and line, and nothing else: the ttyS0 getty that asks for a login
// and the 1.1.0 commented-out telnet line are not findings.
func TestCorpusServices(t *testing.T) {
	fw := analyzetest.FirmwareDir(t)
	raw, err := os.ReadFile(filepath.Join(fw, "answers.json"))
	if err != nil {
		t.Fatal(err)
	}
	var key struct {
		Images map[string]struct {
			Findings []keyFinding `json:"findings"`
		} `json:"images"`
	}
	if err := json.Unmarshal(raw, &key); err != nil {
		t.Fatal(err)
	}
	mine := map[string]string{"F03": RuleTelnet, "F04": RuleTFTP, "F05": RuleSerialShell, "F29": RuleShellListener}
	for _, v := range []string{"1.0.0", "1.1.0"} {
		t.Run(v, func(t *testing.T) {
			dir := analyzetest.ExtractRootfs(t, filepath.Join(fw, "acme-hg100-"+v+".bin"))
			rep, err := engine.Scan(context.Background(), engine.Config{Target: dir, Workers: 2,
				Files: []plugin.FileAnalyzer{pkgdb.New()}, Components: inventory.New(), Trees: []plugin.TreeAnalyzer{MustNew()}})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]model.Service{}
			for _, s := range rep.Services {
				got[fmt.Sprintf("%s %s:%d", s.Name, s.Location.Path, s.Location.Line)] = s
			}
			type want struct {
				key, by, user, listen, auth, tls, binary, console, comp string
			}
			wants := []want{
				{"pppd /etc/init.d/S20network:12", "init.d", "", "", "", "", "/usr/sbin/pppd", "", "ppp"},
				{"dnsmasq /etc/init.d/S40dnsmasq:2", "init.d", "", "udp/br-lan:53", "none", "no", "/usr/sbin/dnsmasq", "", "dnsmasq"},
				{"hostapd /etc/init.d/S45wifi:2", "init.d", "", "", "", "", "/usr/sbin/hostapd", "", "hostapd"},
				{"sshd /etc/init.d/S50sshd:2", "init.d", "", "tcp/0.0.0.0:22", "password+key", "yes", "/usr/sbin/sshd", "", "openssh-server"},
				{"inetd /etc/init.d/S55inetd:2", "init.d", "", "", "", "", "/usr/sbin/inetd", "", "inetd"},
				{"httpd /etc/init.d/S60httpd:3", "init.d", "", "tcp/:80", "password", "no", "/bin/busybox", "", "busybox"},
				{"miniupnpd /etc/init.d/S65miniupnpd:2", "init.d", "", "tcp/br-lan:5000", "none", "no", "/usr/sbin/miniupnpd", "", "miniupnpd"},
				{"snmpd /etc/init.d/S70snmpd:2", "init.d", "snmp", "udp/:161", "password", "no", "/usr/sbin/snmpd", "", "snmpd"},
				{"acme-meshd /etc/init.d/S75meshd:2", "init.d", "", "", "", "", "/usr/sbin/acme-meshd", "", "acme-meshd"},
				{"acme-rsupport /etc/init.d/S80rsupport:3", "init.d", "", "", "", "", "/usr/sbin/acme-rsupport", "", "acme-rsupport"},
				{"crond /etc/init.d/S90cron:2", "init.d", "", "", "", "", "/bin/busybox", "", "busybox"},
				{"nc /etc/init.d/S99debug:5", "init.d", "", "tcp/:4444", "none", "no", "/bin/busybox", "", "busybox"},
				{"getty /etc/inittab:4", "inittab", "", "", "password", "", "/bin/busybox", "ttyS0", "busybox"},
				{"getty /etc/inittab:6", "inittab", "", "", "none", "", "/bin/busybox", "ttyS1", "busybox"},
				{"in.tftpd /etc/inetd.conf:4", "inetd", "root", "udp/:69", "none", "no", "/usr/sbin/in.tftpd", "", "tftpd-hpa"},
				{"acme-upd /etc/crontabs/root:2", "cron", "root", "", "", "", "/usr/sbin/acme-upd", "", "acme-upd"},
				{"lua /etc/crontabs/root:3", "cron", "root", "", "", "", "/usr/bin/lua5.1", "", "lua"},
			}
			if v == "1.0.0" {
				wants = append(wants, want{"telnetd /etc/inetd.conf:3", "inetd", "root", "tcp/:23", "password", "no", "/bin/busybox", "", "busybox"})
			}
			for _, w := range wants {
				s, ok := got[w.key]
				if !ok {
					t.Errorf("service %s missing (have %v)", w.key, keys(got))
					continue
				}
				first := ""
				if len(s.Listen) > 0 {
					first = fmt.Sprintf("%s/%s:%d", s.Listen[0].Protocol, s.Listen[0].Address, s.Listen[0].Port)
				}
				comp := s.Component
				if !strings.Contains(comp, "/"+w.comp+"@") {
					t.Errorf("%s: component %q, want %s", w.key, comp, w.comp)
				}
				if s.StartedBy != w.by || s.User != w.user || first != w.listen || s.Auth != w.auth || s.TLS != w.tls || s.Binary != w.binary || s.Console != w.console {
					t.Errorf("%s: by %q user %q listen %q auth %q tls %q binary %q console %q, want %+v", w.key, s.StartedBy, s.User, first, s.Auth, s.TLS, s.Binary, s.Console, w)
				}
				if first != "" && (s.Protocol+"/"+s.Listen[0].Address+":"+fmt.Sprint(s.Port)) != first {
					t.Errorf("%s: Protocol/Port %s/%d are not the first listener", w.key, s.Protocol, s.Port)
				}
			}
			if len(rep.Services) != len(wants) {
				t.Errorf("%d services, want %d: %v", len(rep.Services), len(wants), keys(got))
			}

			// the answer key's service items, at their path and line
			var wantF []string
			for _, f := range key.Images[v].Findings {
				if id, ok := mine[f.ID]; ok {
					if f.Evidence.File != f.Path {
						t.Fatalf("%s: evidence in %s, not %s", f.ID, f.Evidence.File, f.Path)
					}
					wantF = append(wantF, fmt.Sprintf("%s %s %s:%d", id, f.Category, f.Path, f.Evidence.Line))
				}
			}
			var gotF []string
			for _, f := range rep.Findings {
				if strings.HasPrefix(f.RuleID, "TS-SVC-") {
					gotF = append(gotF, fmt.Sprintf("%s %s %s:%d", f.RuleID, f.Category, f.Location.Path, f.Location.Line))
				}
			}
			slices.Sort(wantF)
			slices.Sort(gotF)
			if len(wantF) < 3 || !slices.Equal(gotF, wantF) {
				t.Errorf("service findings\n got %q\nwant %q", gotF, wantF)
			}
		})
	}
}

func keys(m map[string]model.Service) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
