package services

import (
	"strings"
	"testing"
	"testing/fstest"
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
