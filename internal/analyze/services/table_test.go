package services

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/thingsec/thingsec/internal/analyze/devroot"
)

// TestDaemonTable: the embedded table loads, knows the daemons the rules
// depend on, and a malformed entry is refused with its reason.
func TestDaemonTable(t *testing.T) {
	tab, err := defaultTable()
	if err != nil {
		t.Fatal(err)
	}
	for name, role := range map[string]string{"telnetd": "cleartext-login", "in.tftpd": "tftp", "vsftpd": "ftp", "in.rshd": "r-service", "gdbserver": "debug", "dnsmasq": "network"} {
		if e := tab.lookup(name); e == nil || e.Role != role {
			t.Errorf("%s: %+v, want role %s", name, e, role)
		}
	}
	for _, tt := range []struct{ yaml, want string }{
		{"daemons:\n- {names: [x], listen: [tcp/0]}\n", "not proto/port"},
		{"daemons:\n- {names: [x], listen: [sctp/1]}\n", "not proto/port"},
		{"daemons:\n- {names: [x], auth: pin}\n", "auth"},
		{"daemons:\n- {names: [x]}\n- {names: [x]}\n", "listed twice"},
		{"daemons:\n- {names: [x], port: 1}\n", "field port not found"},
	} {
		_, err := loadTable(fstest.MapFS{"d.yaml": {Data: []byte(tt.yaml)}}, "d.yaml")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want %q", tt.yaml, err, tt.want)
		}
	}
}

// TestShellWords: quoting, expansion with defaults and field splitting.
func TestShellWords(t *testing.T) {
	vars := map[string]string{"OPTS": "-p 2222 -B", "EMPTY": "", "1": "start"}
	for _, tt := range []struct{ in, want string }{
		{`dropbear $OPTS`, "dropbear|-p|2222|-B"},
		{`dropbear "$OPTS"`, "dropbear|-p 2222 -B"},
		{`httpd -p ${PORT:-80} -h '/w w'`, "httpd|-p|80|-h|/w w"},
		{`x ${EMPTY:-d} ${EMPTY-d} ${UNSET-u} ${OPTS:+set}`, "x|d|u|set"},
		{`a\ b "c\"d" $(cmd) ` + "`cmd`" + ` end`, "a b|c\"d|end"},
		{`case $1`, "case|start"},
	} {
		var got []string
		for _, tok := range lex([]byte(tt.in)) {
			fs, _ := expand(tok.text, vars)
			got = append(got, fs...)
		}
		if strings.Join(got, "|") != tt.want {
			t.Errorf("%s: %q, want %q", tt.in, strings.Join(got, "|"), tt.want)
		}
	}
}

// TestDaemonConfigs: listeners and logins read from daemon configuration
// files written the way their documentation shows them.
func TestDaemonConfigs(t *testing.T) {
	m := memTree{
		"/etc/ssh/sshd_config":        []byte("# $OpenBSD: sshd_config$\nPort 2222\n#Port 22\nListenAddress 192.168.1.1\nPasswordAuthentication no\nMatch User backup\n\tPasswordAuthentication yes\n\tPort 1\n"),
		"/etc/snmp/snmpd.conf":        []byte("#  Listen for connections from the local system only\n#agentAddress  udp:127.0.0.1:161\nagentAddress udp:161,udp6:[::1]:161\n"),
		"/etc/lighttpd/lighttpd.conf": []byte("server.document-root = \"/www\"\nserver.port = 8080\nserver.username = \"www-data\"\n"),
	}
	tab, err := defaultTable()
	if err != nil {
		t.Fatal(err)
	}
	d := newDevice(m, devroot.Root{Layer: "L1"}, m.Files(), tab)
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"sshd", nil, "tcp/192.168.1.1:2222@/etc/ssh/sshd_config:4 auth=key user="},
		{"snmpd", []string{"-c", "/etc/snmp/snmpd.conf"}, "udp/:161@/etc/snmp/snmpd.conf:3 udp/::1:161@/etc/snmp/snmpd.conf:3 auth=password user="},
		{"snmpd", []string{"-Lsd", "tcp:1161"}, "tcp/:1161@argument auth=password user="},
		{"lighttpd", []string{"-f", "/etc/lighttpd/lighttpd.conf"}, "tcp/:8080@/etc/lighttpd/lighttpd.conf:2 auth=none user=www-data"},
		{"dropbear", []string{"-s", "-p", "127.0.0.1:22"}, "tcp/127.0.0.1:22@argument -p auth=key user="},
		{"telnetd", []string{"-l", "/bin/sh", "-p", "2323"}, "tcp/:2323@argument auth=none user="},
		{"nc", []string{"-l", "-p", "31337", "-e", "/bin/sh"}, "tcp/:31337@argument -p auth=none user="},
		{"socat", []string{"UDP-LISTEN:5000,fork", "EXEC:/bin/sh"}, "udp/:5000@argument UDP-LISTEN auth=none user="},
		{"gdbserver", []string{"--multi", "0.0.0.0:2345"}, "tcp/0.0.0.0:2345@argument auth=none user="},
	} {
		f := d.deriveFacts(tt.name, tt.args)
		var parts []string
		for _, l := range f.listen {
			parts = append(parts, l.Protocol+"/"+l.Address+":"+itoa(l.Port)+"@"+l.Source)
		}
		got := strings.Join(append(parts, "auth="+f.auth, "user="+f.user), " ")
		if got != tt.want {
			t.Errorf("%s %q: %s, want %s", tt.name, tt.args, got, tt.want)
		}
	}
}
