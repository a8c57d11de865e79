package exposure

import (
	"fmt"
	"net/netip"
	"path"
	"strings"

	"github.com/thingsec/thingsec/internal/model"
)

// networkDaemons are programs whose purpose is to serve the network: a
// service running one is network-facing even when the address it binds
// could not be derived (they bind every interface unless told not to).
var networkDaemons = map[string]bool{
	"dnsmasq": true, "named": true, "unbound": true,
	"sshd": true, "dropbear": true,
	"httpd": true, "uhttpd": true, "lighttpd": true, "nginx": true, "boa": true,
	"goahead": true, "mini_httpd": true, "thttpd": true, "apache2": true,
	"telnetd": true, "utelnetd": true, "rlogind": true, "in.rlogind": true, "in.telnetd": true,
	"ftpd": true, "vsftpd": true, "proftpd": true, "pure-ftpd": true, "bftpd": true,
	"tftpd": true, "in.tftpd": true, "atftpd": true, "udpsvd": true, "tcpsvd": true,
	"snmpd": true, "miniupnpd": true, "minissdpd": true, "upnpd": true,
	"mosquitto": true, "avahi-daemon": true, "mdnsd": true, "smbd": true, "nmbd": true,
	"udhcpd": true, "dhcpd": true, "odhcpd": true, "lldpd": true, "rpcbind": true,
	"portmap": true, "cupsd": true, "openvpn": true, "xl2tpd": true, "inetd": true,
	"xinetd": true, "rsyncd": true, "hostapd": true, "ntpd": true, "gdbserver": true,
	"adbd": true, "tcf-agent": true,
}

// onDemand are the mechanisms that start a program for each connection
// to a socket they listen on.
var onDemand = map[string]bool{"inetd": true, "xinetd": true, "systemd-socket": true, "socket": true}

// classify says how exposed the service itself is, and why.
func classify(s *model.Service, ix *index) use {
	u := use{service: s.Name, level: Local}
	if u.service == "" {
		u.service = path.Base(s.Binary)
	}
	by := "(started by " + startedBy(s) + ")"
	var loop []string
	for _, l := range s.Listen {
		if isLocalAddr(l) {
			loop = append(loop, listenText(l))
			continue
		}
		u.level = Network
		u.reason = "listens on " + listenText(l) + " " + by
		return u
	}
	switch {
	case len(loop) > 0:
		u.reason = "listens on " + strings.Join(loop, ", ") + " only " + by
	case s.Console != "":
		u.reason = "runs on the console " + s.Console + " " + by
	case s.StartedBy == "cron":
		u.reason = "runs from cron " + by
	case onDemand[s.StartedBy]:
		u.level = Network
		u.reason = fmt.Sprintf("is started by %s for each connection %s", s.StartedBy, by)
		if s.Port > 0 {
			u.reason = fmt.Sprintf("listens on %s/%d through %s %s", orTCP(s.Protocol), s.Port, s.StartedBy, by)
		}
	case networkDaemons[s.Name] || networkDaemons[path.Base(s.Binary)]:
		u.level = Network
		u.reason = "is a network daemon, listen address not derived " + by
	case ix.programListens(s):
		u.level = Unknown
		u.reason = "accepts connections (socket imports), listen address not derived " + by
	default:
		u.reason = "has no known listener " + by
	}
	return u
}

func orTCP(p string) string {
	if p == "" {
		return "tcp"
	}
	return p
}

// listenText is "udp/53", "tcp/8080 on 127.0.0.1", "unix /run/x.sock".
func listenText(l model.Listen) string {
	if l.Protocol == "unix" {
		return "unix " + l.Address
	}
	s := orTCP(l.Protocol)
	if l.Port > 0 {
		s += fmt.Sprintf("/%d", l.Port)
	}
	if l.Address != "" && !isWildcard(l.Address) {
		s += " on " + l.Address
	}
	return s
}

func isWildcard(a string) bool {
	switch strings.Trim(a, "[]") {
	case "", "0.0.0.0", "::", "*", "any":
		return true
	}
	return false
}

// isLocalAddr: a unix socket, or an address only this host can reach.
func isLocalAddr(l model.Listen) bool {
	if l.Protocol == "unix" {
		return true
	}
	a := strings.Trim(l.Address, "[]")
	if a == "localhost" || a == "lo" {
		return true
	}
	ip, err := netip.ParseAddr(a)
	return err == nil && ip.IsLoopback()
}
