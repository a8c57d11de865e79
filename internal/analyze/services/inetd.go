package services

import (
	"strconv"
	"strings"
)

// inetdEntry is one service of inetd.conf or of an xinetd.d file.
type inetdEntry struct {
	service  string // name or port, from the first field
	addr     string // host part of "host:service"
	socket   string // stream, dgram
	proto    string // tcp, udp
	user     string
	server   string // program path; "internal" for built-ins
	argv     []string
	port     int // xinetd port =
	line     int
	disabled bool
}

// parseInetd reads inetd.conf: service socket proto wait[.max] user[.group]
// server argv...
func parseInetd(src []byte) []inetdEntry {
	var out []inetdEntry
	for i, l := range strings.Split(string(src), "\n") {
		t := strings.TrimSpace(l)
		if t == "" || t[0] == '#' {
			continue
		}
		f := strings.Fields(t)
		if len(f) < 6 {
			continue
		}
		e := inetdEntry{service: f[0], socket: f[1], proto: f[2], user: f[4], server: f[5], line: i + 1}
		if h, s, ok := strings.Cut(e.service, ":"); ok && !strings.Contains(s, ":") {
			e.addr, e.service = h, s
		}
		e.user, _, _ = strings.Cut(e.user, ".")
		e.user, _, _ = strings.Cut(e.user, ":")
		if len(f) > 6 {
			e.argv = f[6:]
		}
		out = append(out, e)
	}
	return out
}

// parseXinetd reads the service blocks of an xinetd configuration file.
func parseXinetd(src []byte) []inetdEntry {
	var out []inetdEntry
	var cur *inetdEntry
	var args string
	for i, l := range strings.Split(string(src), "\n") {
		t := strings.TrimSpace(l)
		if t == "" || t[0] == '#' {
			continue
		}
		if name, ok := strings.CutPrefix(t, "service "); ok && cur == nil {
			cur = &inetdEntry{service: strings.TrimSpace(name), line: i + 1}
			args = ""
			continue
		}
		if cur == nil {
			continue
		}
		if t == "}" {
			if cur.server != "" || cur.socket != "" {
				cur.argv = append([]string{cur.server}, strings.Fields(args)...)
				if cur.proto == "" {
					cur.proto = "tcp"
					if cur.socket == "dgram" {
						cur.proto = "udp"
					}
				}
				out = append(out, *cur)
			}
			cur = nil
			continue
		}
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(k, "+"), "-")), strings.TrimSpace(v)
		switch k {
		case "disable":
			cur.disabled = v == "yes"
		case "socket_type":
			cur.socket = v
		case "protocol":
			cur.proto = v
		case "user":
			cur.user = v
		case "server":
			cur.server = v
			cur.line = i + 1
		case "server_args":
			args = v
		case "port":
			cur.port, _ = strconv.Atoi(v)
		case "bind", "interface":
			cur.addr = v
		case "type":
			if strings.Contains(v, "INTERNAL") {
				cur.server = "internal"
			}
		}
	}
	return out
}

// wellKnown are the ports of the services inetd usually runs, for images
// without /etc/services (RFC 1700 / IANA assignments).
var wellKnown = map[string]int{
	"ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "time": 37, "tftp": 69, "finger": 79, "http": 80, "www": 80,
	"pop3": 110, "auth": 113, "ident": 113, "ntp": 123, "netbios-ssn": 139, "snmp": 161, "https": 443,
	"exec": 512, "login": 513, "shell": 514, "printer": 515, "echo": 7, "discard": 9, "daytime": 13, "chargen": 19,
	"swat": 901, "rsync": 873,
}

// servicePort finds the port of a service name in /etc/services.
func (d *device) servicePort(name, proto string) int {
	if p, err := strconv.Atoi(name); err == nil {
		return p
	}
	found := 0
	d.configLines("/etc/services", func(_ int, l string) {
		if found != 0 {
			return
		}
		f := strings.Fields(l)
		if len(f) < 2 {
			return
		}
		pp, pr, _ := strings.Cut(f[1], "/")
		if pr != proto {
			return
		}
		names := f[:1]
		for _, a := range f[2:] {
			if strings.HasPrefix(a, "#") {
				break
			}
			names = append(names, a)
		}
		for _, n := range names {
			if n == name {
				found, _ = strconv.Atoi(pp)
			}
		}
	})
	if found != 0 {
		return found
	}
	return wellKnown[name]
}
