package exposure

import (
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
)

// router is a small device the way the inventory reports one: opkg
// packages with their files and declared dependencies, a BusyBox whose
// applets are symlinks, a library chain and a CGI script.
func router() *model.Report {
	loc := func(p string) model.Location { return model.Location{Layer: "L2", Path: p} }
	file := func(p, typ string) model.File { return model.File{Layer: "L2", Path: p, Type: typ} }
	link := func(p, to string) model.File {
		return model.File{Layer: "L2", Path: p, Type: "symlink", LinkTarget: to}
	}
	comp := func(name, typ string, deps []string, paths ...string) model.Component {
		c := model.Component{Ref: "pkg:opkg/" + name, Name: name, Version: "1", Type: typ, Dependencies: deps}
		c.Locations = append(c.Locations, loc("/usr/lib/opkg/status"))
		for _, p := range paths {
			c.Locations = append(c.Locations, loc(p))
		}
		return c
	}
	return &model.Report{
		Files: []model.File{
			file("/usr/lib/opkg/status", "text"),
			file("/usr/sbin/dnsmasq", "elf"), file("/usr/sbin/snmpd", "elf"), file("/usr/sbin/acme-upd", "elf"),
			file("/usr/sbin/acme-meshd", "elf"), file("/usr/sbin/lcd-daemon", "elf"), file("/bin/busybox", "elf"),
			link("/usr/sbin/telnetd", "../../bin/busybox"), link("/usr/sbin/httpd", "../../bin/busybox"),
			file("/lib/libc.so.6", "elf"), file("/usr/lib/libhogweed.so.6.6", "elf"), file("/usr/lib/libnettle.so.8.6", "elf"),
			file("/usr/lib/libnetsnmp.so.40", "elf"), file("/usr/lib/libcurl.so.4", "elf"),
			file("/www/cgi-bin/diag.lua", "script"), file("/www/index.html", "html"), file("/etc/services", "text"),
			file("/usr/bin/statusd", "elf"),
		},
		Binaries: []model.Binary{
			{Layer: "L2", Path: "/usr/sbin/acme-meshd", Kind: "executable", Listens: true},
			{Layer: "L2", Path: "/lib/libc.so.6", Kind: "shared-library"},
		},
		Components: []model.Component{
			comp("dnsmasq", "application", []string{"pkg:opkg/libc", "pkg:opkg/libhogweed", "pkg:opkg/netbase"}, "/usr/sbin/dnsmasq"),
			comp("libhogweed", "library", []string{"pkg:opkg/libc", "pkg:opkg/libnettle"}, "/usr/lib/libhogweed.so.6.6"),
			comp("libnettle", "library", []string{"pkg:opkg/libc"}, "/usr/lib/libnettle.so.8.6"),
			comp("libc", "library", nil, "/lib/libc.so.6"),
			comp("netbase", "application", nil, "/etc/services"),
			comp("snmpd", "library", []string{"pkg:opkg/libnetsnmp"}, "/usr/sbin/snmpd"),
			comp("libnetsnmp", "library", []string{"pkg:opkg/libc"}, "/usr/lib/libnetsnmp.so.40"),
			comp("acme-upd", "application", []string{"pkg:opkg/libcurl"}, "/usr/sbin/acme-upd"),
			comp("libcurl", "library", []string{"pkg:opkg/libc"}, "/usr/lib/libcurl.so.4"),
			comp("acme-meshd", "application", nil, "/usr/sbin/acme-meshd"),
			comp("lcd-daemon", "application", nil, "/usr/sbin/lcd-daemon"),
			comp("busybox", "application", nil, "/bin/busybox"),
			comp("acme-webui", "application", nil, "/www/cgi-bin/diag.lua", "/www/index.html"),
			comp("statusd", "application", nil, "/usr/bin/statusd"),
			{Ref: "pkg:opkg/kernel", Name: "kernel", Version: "6.1", Type: "operating-system"},
		},
	}
}

func svc(name, bin, by, file string, line int, listen ...model.Listen) model.Service {
	s := model.Service{Name: name, Binary: bin, StartedBy: by, Listen: listen, Location: model.Location{Layer: "L2", Path: file, Line: line}}
	if len(listen) > 0 {
		s.Protocol, s.Port = listen[0].Protocol, listen[0].Port
	}
	return s
}

func TestComponents(t *testing.T) {
	dnsmasq := svc("dnsmasq", "/usr/sbin/dnsmasq", "init.d", "/etc/init.d/S40dnsmasq", 2, model.Listen{Protocol: "udp", Port: 53, Address: "0.0.0.0"})
	type want struct{ level, reason, services string }
	for _, c := range []struct {
		name     string
		services []model.Service
		want     map[string]want // component name: exposure ("" level: none)
	}{
		{"no services: nothing is claimed", nil, map[string]want{
			"dnsmasq": {}, "libc": {}, "kernel": {}, "busybox": {},
		}},
		{"executed binary and its DT_NEEDED chain", []model.Service{dnsmasq}, map[string]want{
			"dnsmasq":    {Network, "listens on udp/53 (started by /etc/init.d/S40dnsmasq:2)", "dnsmasq"},
			"libhogweed": {Network, "loaded by dnsmasq, which listens on udp/53 (started by /etc/init.d/S40dnsmasq:2)", "dnsmasq"},
			"libnettle":  {Network, "loaded by dnsmasq (through libhogweed), which listens on udp/53", "dnsmasq"},
			"libc":       {Network, "loaded by dnsmasq, which listens on udp/53", "dnsmasq"},
			"netbase":    {Local, "no service runs or loads it", ""}, // a dependency without a shared object
			"snmpd":      {Local, "no service runs or loads it", ""},
			"kernel":     {Network, "kernel: its network stack carries the traffic of dnsmasq, which listens on udp/53", "dnsmasq"},
		}},
		{"loopback only", []model.Service{
			svc("snmpd", "/usr/sbin/snmpd", "init.d", "/etc/init.d/S70snmpd", 2,
				model.Listen{Protocol: "udp", Port: 161, Address: "127.0.0.1"}, model.Listen{Protocol: "unix", Address: "/var/agentx/master"}),
		}, map[string]want{
			"snmpd":      {Local, "listens on udp/161 on 127.0.0.1, unix /var/agentx/master only (started by /etc/init.d/S70snmpd:2)", ""},
			"libnetsnmp": {Local, "loaded by snmpd, which listens on udp/161 on 127.0.0.1", ""},
			"kernel":     {Local, "no service runs or loads it", ""},
		}},
		{"one listener on the LAN makes it network", []model.Service{
			svc("snmpd", "/usr/sbin/snmpd", "init.d", "/etc/init.d/S70snmpd", 2,
				model.Listen{Protocol: "udp", Port: 161, Address: "::1"}, model.Listen{Protocol: "udp", Port: 161, Address: "br-lan"}),
		}, map[string]want{
			"snmpd": {Network, "listens on udp/161 on br-lan (started by /etc/init.d/S70snmpd:2)", "snmpd"},
		}},
		{"cron only", []model.Service{svc("acme-upd", "/usr/sbin/acme-upd", "cron", "/etc/crontabs/root", 3)}, map[string]want{
			"acme-upd": {Local, "runs from cron (started by /etc/crontabs/root:3)", ""},
			"libcurl":  {Local, "loaded by acme-upd, which runs from cron", ""},
		}},
		{"inetd through a BusyBox applet symlink", []model.Service{
			svc("telnetd", "/usr/sbin/telnetd", "inetd", "/etc/inetd.conf", 4, model.Listen{Protocol: "tcp", Port: 23}),
		}, map[string]want{
			"busybox": {Network, "listens on tcp/23 (started by /etc/inetd.conf:4)", "telnetd"},
		}},
		{"inetd without a derived port", []model.Service{svc("telnetd", "/usr/sbin/telnetd", "inetd", "/etc/inetd.conf", 4)}, map[string]want{
			"busybox": {Network, "is started by inetd for each connection (started by /etc/inetd.conf:4)", "telnetd"},
		}},
		{"console shell is local, the web server on the same BusyBox is not", []model.Service{
			{Name: "sh", Binary: "/bin/busybox", StartedBy: "inittab", Console: "ttyS0", Location: model.Location{Layer: "L2", Path: "/etc/inittab", Line: 5}},
			{Name: "httpd", Binary: "/usr/sbin/httpd", StartedBy: "init.d", Args: []string{"-p", "80", "-h", "/www"}, Location: model.Location{Layer: "L2", Path: "/etc/init.d/S60httpd", Line: 3}},
		}, map[string]want{
			"busybox":    {Network, "is a network daemon, listen address not derived (started by /etc/init.d/S60httpd:3)", "httpd"},
			"acme-webui": {Network, "run by httpd (CGI), which is a network daemon", "httpd"},
		}},
		{"console shell only", []model.Service{
			{Name: "sh", Binary: "/bin/busybox", StartedBy: "inittab", Console: "ttyS0", Location: model.Location{Layer: "L2", Path: "/etc/inittab", Line: 5}},
		}, map[string]want{
			"busybox": {Local, "runs on the console ttyS0 (started by /etc/inittab:5)", ""},
		}},
		{"socket imports but no address: unknown", []model.Service{svc("acme-meshd", "/usr/sbin/acme-meshd", "init.d", "/etc/init.d/S75meshd", 2)}, map[string]want{
			"acme-meshd": {Unknown, "accepts connections (socket imports), listen address not derived (started by /etc/init.d/S75meshd:2)", ""},
		}},
		{"a bare program name is looked up in PATH", []model.Service{svc("snmpd", "snmpd", "init.d", "/etc/init.d/S70snmpd", 2, model.Listen{Protocol: "udp", Port: 161})}, map[string]want{
			"snmpd":      {Network, "listens on udp/161 (started by /etc/init.d/S70snmpd:2)", "snmpd"},
			"libnetsnmp": {Network, "loaded by snmpd, which listens on udp/161", "snmpd"},
		}},
		{"a daemon without listener", []model.Service{svc("lcd-daemon", "/usr/sbin/lcd-daemon", "init.d", "/etc/init.d/S10lcd", 2)}, map[string]want{
			"lcd-daemon": {Local, "has no known listener (started by /etc/init.d/S10lcd:2)", ""},
		}},
		{"the service names its component", []model.Service{{Name: "statusd", Component: "pkg:opkg/statusd", StartedBy: "procd", Listen: []model.Listen{{Protocol: "tcp", Port: 8000}}, Location: model.Location{Layer: "L2", Path: "/etc/init.d/statusd", Line: 9}}}, map[string]want{
			"statusd": {Network, "listens on tcp/8000 (started by /etc/init.d/statusd:9)", "statusd"},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep := router()
			rep.Services = c.services
			Components(rep)
			for _, comp := range rep.Components {
				w, ok := c.want[comp.Name]
				if !ok {
					continue
				}
				e := comp.Exposure
				if w.level == "" {
					if e != nil {
						t.Errorf("%s: exposure %+v, want none", comp.Name, *e)
					}
					continue
				}
				if e == nil {
					t.Errorf("%s: no exposure, want %s", comp.Name, w.level)
					continue
				}
				if e.Level != w.level || !strings.HasPrefix(e.Reason, w.reason) || strings.Join(e.Services, ",") != w.services {
					t.Errorf("%s: got %s %q %v\nwant %s %q... [%s]", comp.Name, e.Level, e.Reason, e.Services, w.level, w.reason, w.services)
				}
			}
		})
	}
}

// TestChainBound: a library chain longer than maxChain is followed to
// its bound and no further, and a dependency cycle ends.
func TestChainBound(t *testing.T) {
	rep := &model.Report{Services: []model.Service{svc("d", "/bin/d", "init.d", "/etc/init.d/d", 1, model.Listen{Protocol: "tcp", Port: 1})}}
	rep.Files = append(rep.Files, model.File{Layer: "L1", Path: "/bin/d", Type: "elf"})
	rep.Components = append(rep.Components, model.Component{Ref: "d", Name: "d", Locations: []model.Location{{Layer: "L1", Path: "/bin/d"}}, Dependencies: []string{"lib0"}})
	const n = maxChain + 3
	for i := range n {
		p := "/lib/lib" + string(rune('a'+i)) + ".so"
		next := "lib" + string(rune('0'+i+1))
		if i == n-1 {
			next = "lib0" // a cycle back to the start
		}
		rep.Files = append(rep.Files, model.File{Layer: "L1", Path: p, Type: "elf"})
		rep.Components = append(rep.Components, model.Component{Ref: "lib" + string(rune('0'+i)), Name: "lib" + string(rune('0'+i)), Locations: []model.Location{{Layer: "L1", Path: p}}, Dependencies: []string{next}})
	}
	Components(rep)
	for i, c := range rep.Components[1:] {
		want := Network
		if i >= maxChain {
			want = Local
		}
		if c.Exposure == nil || c.Exposure.Level != want {
			t.Errorf("%s (depth %d): %+v, want %s", c.Name, i+1, c.Exposure, want)
		}
	}
}

func TestApplyAgain(t *testing.T) {
	rep := router()
	rep.Services = []model.Service{svc("dnsmasq", "/usr/sbin/dnsmasq", "init.d", "/etc/init.d/S40dnsmasq", 2, model.Listen{Protocol: "udp", Port: 53})}
	Apply(rep)
	rep.Services = nil
	Apply(rep)
	for _, c := range rep.Components {
		if c.Exposure != nil {
			t.Errorf("%s keeps %+v after the services are gone", c.Name, *c.Exposure)
		}
	}
}

// TestNeededChain: an unidentified vendor daemon (no component of its
// own) loads OpenSSL through a symlinked soname, and OpenSSL loads
// zlib: both are reached through the binaries' DT_NEEDED entries.
func TestNeededChain(t *testing.T) {
	f := func(p, typ string) model.File { return model.File{Layer: "L1", Path: p, Type: typ} }
	rep := &model.Report{
		Files: []model.File{
			f("/usr/bin/vendord", "elf"),
			{Layer: "L1", Path: "/usr/lib/libssl.so.3", Type: "symlink", LinkTarget: "libssl.so.3.0.13"},
			f("/usr/lib/libssl.so.3.0.13", "elf"), f("/lib/libz.so.1", "elf"), f("/opt/old/libz.so.1", "elf"),
			f("/usr/lib/libunused.so.1", "elf"),
		},
		Binaries: []model.Binary{
			{Layer: "L1", Path: "/usr/bin/vendord", Kind: "executable", Needed: []string{"libssl.so.3", "libc.so.6"}},
			{Layer: "L1", Path: "/usr/lib/libssl.so.3.0.13", Kind: "shared-library", Needed: []string{"libz.so.1"}},
		},
		Components: []model.Component{
			{Ref: "openssl", Name: "openssl", Locations: []model.Location{{Layer: "L1", Path: "/usr/lib/libssl.so.3.0.13"}}},
			{Ref: "zlib", Name: "zlib", Locations: []model.Location{{Layer: "L1", Path: "/lib/libz.so.1"}}},
			{Ref: "oldzlib", Name: "oldzlib", Locations: []model.Location{{Layer: "L1", Path: "/opt/old/libz.so.1"}}},
			{Ref: "unused", Name: "unused", Locations: []model.Location{{Layer: "L1", Path: "/usr/lib/libunused.so.1"}}},
		},
		Services: []model.Service{svc("vendord", "/usr/bin/vendord", "init.d", "/etc/init.d/S50vendord", 3, model.Listen{Protocol: "tcp", Port: 8443})},
	}
	rep.Services[0].Location.Layer = "L1"
	Components(rep)
	want := map[string]string{
		"openssl": "network loaded by vendord (libssl.so.3), which listens on tcp/8443 (started by /etc/init.d/S50vendord:3)",
		"zlib":    "network loaded by vendord (libssl.so.3, libz.so.1), which listens on tcp/8443 (started by /etc/init.d/S50vendord:3)",
		"oldzlib": "local no service runs or loads it", // the loader finds /lib's copy
		"unused":  "local no service runs or loads it",
	}
	for _, c := range rep.Components {
		if got := c.Exposure.Level + " " + c.Exposure.Reason; got != want[c.Name] {
			t.Errorf("%s: %q, want %q", c.Name, got, want[c.Name])
		}
	}
}
