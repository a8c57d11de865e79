package services

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/model"
)

// memTree is a plugin.Tree over files held in memory.
type memTree map[string][]byte

func (m memTree) Files() []model.File {
	var fs []model.File
	for p, b := range m {
		fs = append(fs, model.File{Layer: "L1", Path: p, Size: int64(len(b)), Type: "text"})
	}
	return fs
}

func (m memTree) ReadFile(layer, p string, max int64) ([]byte, error) {
	b, ok := m[p]
	if !ok {
		return nil, errors.New("no such file")
	}
	return b[:min(int64(len(b)), max)], nil
}

func (m memTree) Chain(string) string { return "fuzz" }

var _ plugin.Tree = memTree{}

// FuzzAnalyzer feeds one input to every parser at once: as a boot script
// (which also sources and runs itself), inittab, inetd.conf, an xinetd
// file, a systemd unit and drop-in, a crontab, a procd script and a UCI
// file. It must not panic, loop or run away, whatever the input.
func FuzzAnalyzer(f *testing.F) {
	for _, s := range []string{
		"#!/bin/sh\ncase \"$1\" in start) nc -ll -p 4444 -e /bin/sh & ;; esac\n",
		"::sysinit:/etc/init.d/rcS\nttyS1::respawn:/sbin/getty -L -n -l /bin/ash 115200 ttyS1 vt100\n",
		"telnet  stream  tcp  nowait  root  /usr/sbin/telnetd  telnetd -i\n",
		"service telnet\n{\n\tserver = /usr/sbin/in.telnetd\n\tdisable = no\n}\n",
		"[Service]\nExecStart=/usr/sbin/sshd -D\n[Socket]\nListenStream=22\n[Install]\nWantedBy=x\n",
		"*/5 * * * * LUA_PATH='/usr/lib/lua/?.lua;;' /usr/bin/lua -e 'x()'\n",
		"#!/bin/sh /etc/rc.common\nUSE_PROCD=1\nstart_service() {\n procd_open_instance\n procd_set_param command /usr/sbin/dropbear -p 22\n procd_close_instance\n}\n",
		"config dropbear\n\toption Port '22'\n\tlist listen_http '0.0.0.0:80'\n",
		". /etc/init.d/rcS\nf() { f; }\nf\nfor x in /etc/*; do $x start; done\n",
		"a=$(b ${c:-${d:=$(e)}}) `f` \"${g#h}\" <<EOF\nbody\nEOF\ncat <<-'X' | sh\n\tX\n",
		"x() (\n case $1 in\n (a|b) y ;;\n esac\n)\nx a &\n",
	} {
		f.Add([]byte(s))
	}
	a := MustNew()
	f.Fuzz(func(t *testing.T, data []byte) {
		m := memTree{}
		for _, p := range []string{"/etc/init.d/rcS", "/etc/inittab", "/etc/inetd.conf", "/etc/xinetd.d/svc", "/lib/systemd/system/x.service",
			"/lib/systemd/system/x.socket", "/etc/systemd/system/x.service.d/o.conf", "/etc/crontabs/root", "/etc/init.d/S50x", "/etc/config/dropbear",
			"/etc/config/uhttpd", "/etc/config/system", "/etc/rc.local", "/etc/ssh/sshd_config", "/etc/dnsmasq.conf", "/etc/snmp/snmpd.conf"} {
			m[p] = data
		}
		var out plugin.Results
		if err := a.AnalyzeTree(context.Background(), m, &model.Report{}, &out); err != nil {
			t.Fatal(err)
		}
		for _, s := range out.Services {
			if s.Name == "" || s.Location.Path == "" {
				t.Fatalf("service without a name or location: %+v", s)
			}
		}
	})
}

// FuzzExpand: word expansion terminates and never invents quotes.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{`"$A"`, `${A:-'x y'}`, `$(a $(b))`, `'a'"b"c\ d`, `${#A}${A%%x}`, `\`, `"`, `${`, `$`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fs, _ := expand(s, map[string]string{"A": "1 2", "1": "start"})
		for _, x := range fs {
			if len(x) > 4*len(s)+16 {
				t.Fatalf("expansion of %q grew to %d bytes", s, len(x))
			}
		}
		_ = strings.Join(fs, " ")
	})
}
