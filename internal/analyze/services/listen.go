package services

import (
	"fmt"
	"net"
	"path"
	"strconv"
	"strings"

	"github.com/thingsec/thingsec/internal/model"
)

// facts are what a service's command line and configuration say about
// how it can be reached.
type facts struct {
	listen []model.Listen
	auth   string
	tls    string
	user   string // from its configuration
	login  string // telnetd -l: the program run instead of login
}

// hostPort reads "[addr:]port", "addr", ":port", "[::]:port".
func hostPort(s string) (addr string, port int, ok bool) {
	if p, err := strconv.Atoi(s); err == nil {
		return "", p, p > 0 && p < 65536
	}
	h, ps, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, false
	}
	p, err := strconv.Atoi(ps)
	if err != nil || p <= 0 || p > 65535 {
		return "", 0, false
	}
	return h, p, true
}

// optVal returns the value of option opt (-p 80, -p80, --port=80,
// --port 80) in args, every occurrence.
func optVals(args []string, opts ...string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		for _, o := range opts {
			switch {
			case a == o && i+1 < len(args):
				out = append(out, args[i+1])
			case strings.HasPrefix(o, "--") && strings.HasPrefix(a, o+"="):
				out = append(out, a[len(o)+1:])
			case !strings.HasPrefix(o, "--") && len(o) == 2 && strings.HasPrefix(a, o) && len(a) > 2 && !strings.HasPrefix(a, "--"):
				out = append(out, a[2:])
			}
		}
	}
	return out
}

func hasFlag(args []string, flag byte) bool {
	for _, a := range args {
		if a == "--" {
			break
		}
		if len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.IndexByte(a[1:], flag) >= 0 {
			return true
		}
	}
	return false
}

func argListen(proto string, vals []string, src string) []model.Listen {
	var out []model.Listen
	for _, v := range vals {
		if a, p, ok := hostPort(v); ok {
			out = append(out, model.Listen{Protocol: proto, Address: a, Port: p, Source: src})
		}
	}
	return out
}

// listenerOf reads the listener from a generic network tool's arguments
// (nc, socat), or nil when it does not listen.
func listenerOf(name string, args []string) []model.Listen {
	switch name {
	case "nc", "netcat", "ncat":
		listening := false
		for _, a := range args {
			if len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.ContainsRune(a[1:], 'l') || a == "--listen" {
				listening = true
			}
		}
		if !listening {
			return nil
		}
		proto := "tcp"
		if hasFlag(args, 'u') {
			proto = "udp"
		}
		if l := argListen(proto, optVals(args, "-p"), "argument -p"); len(l) > 0 {
			return l
		}
		// nc -l [addr] port, nc -lp port
		for i, a := range args {
			if strings.HasPrefix(a, "-") && strings.HasSuffix(a, "p") && i+1 < len(args) {
				return argListen(proto, args[i+1:i+2], "argument "+a)
			}
		}
		for i := len(args) - 1; i >= 0; i-- {
			if p, err := strconv.Atoi(args[i]); err == nil && p > 0 && p < 65536 && (i == 0 || !ncValueOpt[args[i-1]]) {
				return []model.Listen{{Protocol: proto, Port: p, Source: "argument"}}
			}
		}
		return []model.Listen{{Protocol: proto, Source: "argument -l"}}
	case "socat":
		for _, a := range args {
			if strings.HasPrefix(a, "-") {
				continue
			}
			typ, rest, _ := strings.Cut(a, ":")
			typ = strings.ToUpper(typ)
			proto := ""
			switch typ {
			case "TCP-LISTEN", "TCP4-LISTEN", "TCP6-LISTEN", "TCP-L", "OPENSSL-LISTEN", "SSL-L":
				proto = "tcp"
			case "UDP-LISTEN", "UDP4-LISTEN", "UDP6-LISTEN", "UDP-L", "UDP-RECVFROM":
				proto = "udp"
			}
			if proto == "" {
				continue
			}
			port, _, _ := strings.Cut(rest, ",")
			if p, err := strconv.Atoi(port); err == nil {
				return []model.Listen{{Protocol: proto, Port: p, Source: "argument " + typ}}
			}
		}
	}
	return nil
}

// ncValueOpt are netcat options that take a value, so a number after
// them is not the port.
var ncValueOpt = map[string]bool{"-w": true, "-i": true, "-q": true, "-s": true, "-W": true, "-I": true, "-O": true, "-T": true, "-g": true, "-G": true, "-m": true, "--wait": true, "--idle-timeout": true}

// shellListener says which shell a network tool hands to its clients:
// nc -e /bin/sh, socat ... EXEC:/bin/sh; "" when none.
func shellListener(name string, args []string) string {
	switch name {
	case "nc", "netcat", "ncat":
		for _, v := range optVals(args, "-e", "-c", "--exec", "--sh-exec") {
			f := strings.Fields(v)
			if len(f) > 0 && isShell(f[0]) {
				return v
			}
		}
	case "socat":
		for _, a := range args {
			typ, rest, ok := strings.Cut(a, ":")
			if !ok {
				continue
			}
			typ = strings.ToUpper(typ)
			if typ == "EXEC" || typ == "SYSTEM" {
				cmd, _, _ := strings.Cut(rest, ",")
				if f := strings.Fields(cmd); len(f) > 0 && isShell(f[0]) {
					return cmd
				}
			}
		}
	}
	return ""
}

var shells = map[string]bool{"sh": true, "ash": true, "bash": true, "dash": true, "hush": true, "zsh": true, "ksh": true, "mksh": true, "msh": true}

func isShell(p string) bool { return shells[path.Base(strings.TrimPrefix(p, "-"))] }

// deriveFacts works out the listeners, authentication, TLS and user of
// a service named name run with args on device d.
func (d *device) deriveFacts(name string, args []string) facts {
	var f facts
	e := d.daemons.lookup(name)
	if e != nil {
		f.auth, f.tls = e.Auth, e.TLS
	}
	conf := func(def string, opts ...string) string {
		if v := optVals(args, opts...); len(v) > 0 {
			return v[len(v)-1]
		}
		return def
	}
	switch name {
	case "telnetd", "utelnetd", "in.telnetd":
		f.listen = argListen("tcp", append(optVals(args, "-p"), optVals(args, "-b")...), "argument")
		if l := optVals(args, "-l", "-L"); len(l) > 0 {
			f.login = l[len(l)-1]
			if isShell(f.login) {
				f.auth = "none"
			}
		}
	case "dropbear":
		f.listen = argListen("tcp", optVals(args, "-p"), "argument -p")
		switch {
		case hasFlag(args, 's'):
			f.auth = "key"
		case hasFlag(args, 'B'):
			f.auth = "none"
		}
	case "httpd":
		f.listen = argListen("tcp", optVals(args, "-p"), "argument -p")
		if c := conf("/etc/httpd.conf", "-c"); c != "" {
			if b, ok := d.read(c); ok {
				for _, l := range strings.Split(string(b), "\n") {
					l = strings.TrimSpace(l)
					if strings.HasPrefix(l, "/") && strings.Count(l, ":") >= 2 {
						f.auth = "password"
					}
				}
			}
		}
	case "uhttpd":
		f.listen = argListen("tcp", optVals(args, "-p"), "argument -p")
		tls := argListen("tcp", optVals(args, "-s"), "argument -s")
		if len(tls) > 0 {
			f.tls = "yes"
			if len(f.listen) > 0 {
				f.tls = "no" // both: the cleartext listener is the exposure
			}
		}
		f.listen = append(f.listen, tls...)
	case "sshd":
		f.listen = argListen("tcp", optVals(args, "-p"), "argument -p")
		d.sshdConfig(conf("/etc/ssh/sshd_config", "-f"), &f)
	case "dnsmasq":
		d.dnsmasq(conf("/etc/dnsmasq.conf", "-C", "--conf-file"), args, &f)
	case "snmpd":
		d.snmpd(conf("/etc/snmp/snmpd.conf", "-c"), args, &f)
		if u := optVals(args, "-u"); len(u) > 0 {
			f.user = u[0]
		}
	case "miniupnpd":
		d.miniupnpd(conf("", "-f"), args, &f)
	case "lighttpd":
		d.lighttpd(conf("/etc/lighttpd/lighttpd.conf", "-f"), &f)
	case "mosquitto":
		f.listen = argListen("tcp", optVals(args, "-p", "--port"), "argument -p")
		if len(f.listen) == 0 {
			d.mosquitto(conf("/etc/mosquitto/mosquitto.conf", "-c", "--config-file"), &f)
		}
	case "in.tftpd", "tftpd", "atftpd":
		if a := optVals(args, "-a", "--address"); len(a) > 0 {
			if h, p, ok := hostPort(a[0]); ok {
				f.listen = []model.Listen{{Protocol: "udp", Address: h, Port: p, Source: "argument -a"}}
			}
		}
	case "gdbserver":
		for _, a := range args {
			if strings.HasPrefix(a, "-") {
				continue
			}
			if h, p, ok := hostPort(a); ok && strings.Contains(a, ":") {
				f.listen = []model.Listen{{Protocol: "tcp", Address: h, Port: p, Source: "argument"}}
			}
			break
		}
	case "nc", "netcat", "ncat", "socat":
		f.listen = listenerOf(name, args)
	}
	if len(f.listen) == 0 && e != nil {
		for _, l := range e.Listen {
			p, n, _ := parseProtoPort(l)
			f.listen = append(f.listen, model.Listen{Protocol: p, Port: n, Source: "default"})
		}
	}
	return f
}

// configLines calls fn with each live line of a configuration file:
// comments (#) and blank lines dropped, 1-based line numbers.
func (d *device) configLines(p string, fn func(line int, text string)) bool {
	b, ok := d.read(p)
	if !ok {
		return false
	}
	for i, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || l[0] == '#' || l[0] == ';' {
			continue
		}
		fn(i+1, l)
	}
	return true
}

func src(p string, line int) string { return fmt.Sprintf("%s:%d", p, line) }

func (d *device) sshdConfig(p string, f *facts) {
	var ports, addrs []model.Listen
	pass, pub := true, true
	match := false
	d.configLines(p, func(n int, l string) {
		k, v := l, ""
		if i := strings.IndexAny(l, " \t="); i > 0 {
			k, v = l[:i], strings.TrimLeft(l[i:], " \t=")
		}
		if strings.EqualFold(k, "match") {
			match = true // what follows applies to some clients only
		}
		if match {
			return
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(k) {
		case "port":
			if q, err := strconv.Atoi(v); err == nil {
				ports = append(ports, model.Listen{Protocol: "tcp", Port: q, Source: src(p, n)})
			}
		case "listenaddress":
			if h, q, ok := hostPort(v); ok {
				addrs = append(addrs, model.Listen{Protocol: "tcp", Address: h, Port: q, Source: src(p, n)})
			} else {
				addrs = append(addrs, model.Listen{Protocol: "tcp", Address: strings.Trim(v, "[]"), Source: src(p, n)})
			}
		case "passwordauthentication":
			pass = strings.EqualFold(v, "yes")
		case "pubkeyauthentication":
			pub = strings.EqualFold(v, "yes")
		}
	})
	if len(f.listen) == 0 {
		f.listen = ports
	}
	if len(addrs) > 0 {
		var out []model.Listen
		for _, a := range addrs {
			if a.Port != 0 {
				out = append(out, a)
				continue
			}
			if len(f.listen) == 0 {
				a.Port = 22
				out = append(out, a)
			}
			for _, l := range f.listen {
				a.Port = l.Port
				out = append(out, a)
			}
		}
		f.listen = out
	}
	switch {
	case pass && pub:
		f.auth = "password+key"
	case pass:
		f.auth = "password"
	case pub:
		f.auth = "key"
	}
}

func (d *device) dnsmasq(p string, args []string, f *facts) {
	port, portSrc := 0, ""
	var addrs []string
	addrSrc := ""
	if v := optVals(args, "-p", "--port"); len(v) > 0 {
		port, _ = strconv.Atoi(v[0])
		portSrc = "argument -p"
	}
	d.configLines(p, func(n int, l string) {
		k, v, _ := strings.Cut(l, "=")
		switch k {
		case "port":
			if portSrc == "" {
				port, _ = strconv.Atoi(v)
				portSrc = src(p, n)
			}
		case "listen-address":
			addrs = append(addrs, strings.Split(v, ",")...)
			addrSrc = src(p, n)
		case "interface":
			addrs = append(addrs, strings.Split(v, ",")...)
			addrSrc = src(p, n)
		case "user":
			f.user = v
		}
	})
	if u := optVals(args, "-u", "--user"); len(u) > 0 {
		f.user = u[0]
	}
	if portSrc == "" {
		port, portSrc = 53, "default"
	}
	if port == 0 {
		return // port=0 turns DNS off
	}
	if len(addrs) == 0 {
		addrs = []string{""}
	}
	for _, a := range addrs {
		s := portSrc
		if a != "" {
			s = addrSrc
		}
		f.listen = append(f.listen, model.Listen{Protocol: "udp", Address: a, Port: port, Source: s}, model.Listen{Protocol: "tcp", Address: a, Port: port, Source: s})
	}
}

// snmpAddr reads an agent address: [proto:][addr:]port or [proto:]addr.
func snmpAddr(s, source string) (model.Listen, bool) {
	proto := "udp"
	rest := s
	if t, r, ok := strings.Cut(s, ":"); ok {
		switch strings.ToLower(t) {
		case "udp", "udp6", "udpv6":
			proto, rest = "udp", r
		case "tcp", "tcp6", "tcpv6":
			proto, rest = "tcp", r
		case "unix":
			return model.Listen{Protocol: "unix", Address: r, Source: source}, true
		}
	}
	if a, p, ok := hostPort(rest); ok {
		return model.Listen{Protocol: proto, Address: a, Port: p, Source: source}, true
	}
	if i := strings.LastIndexByte(rest, ':'); i > 0 {
		if p, err := strconv.Atoi(rest[i+1:]); err == nil {
			return model.Listen{Protocol: proto, Address: strings.Trim(rest[:i], "[]"), Port: p, Source: source}, true
		}
	}
	if rest != "" {
		return model.Listen{Protocol: proto, Address: rest, Port: 161, Source: source}, true
	}
	return model.Listen{}, false
}

func (d *device) snmpd(p string, args []string, f *facts) {
	// agent addresses on the command line follow the options
	for i := len(args) - 1; i >= 0; i-- {
		a := args[i]
		if strings.HasPrefix(a, "-") || i > 0 && strings.HasPrefix(args[i-1], "-") && len(args[i-1]) == 2 && strings.ContainsRune("cCupLIgDAa", rune(args[i-1][1])) {
			break
		}
		for _, x := range strings.Split(a, ",") {
			if l, ok := snmpAddr(x, "argument"); ok {
				f.listen = append(f.listen, l)
			}
		}
	}
	if len(f.listen) > 0 {
		return
	}
	d.configLines(p, func(n int, l string) {
		fs := strings.Fields(l)
		if len(fs) >= 2 && fs[0] == "agentAddress" {
			for _, x := range strings.Split(fs[1], ",") {
				if l, ok := snmpAddr(x, src(p, n)); ok {
					f.listen = append(f.listen, l)
				}
			}
		}
		if len(fs) >= 2 && fs[0] == "agentuser" {
			f.user = fs[1]
		}
	})
}

func (d *device) miniupnpd(p string, args []string, f *facts) {
	var ips []string
	port, portSrc, ipSrc := 0, "", ""
	if p != "" {
		d.configLines(p, func(n int, l string) {
			k, v, _ := strings.Cut(l, "=")
			switch strings.TrimSpace(k) {
			case "listening_ip":
				ips = append(ips, strings.TrimSpace(v))
				ipSrc = src(p, n)
			case "port", "http_port":
				port, _ = strconv.Atoi(strings.TrimSpace(v))
				portSrc = src(p, n)
			}
		})
	}
	if v := optVals(args, "-a"); len(v) > 0 {
		ips, ipSrc = v, "argument -a"
	}
	if v := optVals(args, "-p"); len(v) > 0 {
		port, _ = strconv.Atoi(v[0])
		portSrc = "argument -p"
	}
	if len(ips) == 0 {
		ips = []string{""}
	}
	for _, ip := range ips {
		if port > 0 {
			f.listen = append(f.listen, model.Listen{Protocol: "tcp", Address: ip, Port: port, Source: portSrc})
		}
		s := "default"
		if ip != "" {
			s = ipSrc
		}
		f.listen = append(f.listen, model.Listen{Protocol: "udp", Address: ip, Port: 1900, Source: s})
	}
}

func (d *device) lighttpd(p string, f *facts) {
	port, addr, psrc := 0, "", ""
	d.configLines(p, func(n int, l string) {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			return
		}
		k, v = strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), `"`)
		switch k {
		case "server.port":
			port, _ = strconv.Atoi(v)
			psrc = src(p, n)
		case "server.bind":
			addr = v
		case "ssl.engine":
			if v == "enable" {
				f.tls = "yes"
			}
		case "server.username":
			f.user = v
		}
	})
	if port > 0 {
		f.listen = []model.Listen{{Protocol: "tcp", Address: addr, Port: port, Source: psrc}}
	}
}

func (d *device) mosquitto(p string, f *facts) {
	d.configLines(p, func(n int, l string) {
		fs := strings.Fields(l)
		if len(fs) < 2 {
			return
		}
		switch fs[0] {
		case "listener", "port":
			if q, err := strconv.Atoi(fs[1]); err == nil {
				l := model.Listen{Protocol: "tcp", Port: q, Source: src(p, n)}
				if len(fs) > 2 {
					l.Address = fs[2]
				}
				f.listen = append(f.listen, l)
			}
		case "certfile":
			f.tls = "yes"
		case "password_file":
			f.auth = "password"
		case "user":
			f.user = fs[1]
		}
	})
}
