// Package services builds the service graph of a device: what its init
// systems start (BusyBox and System V init, rc scripts, OpenWrt procd
// and UCI, systemd units and sockets, inetd and xinetd, rc.local, cron),
// each with its program resolved to a file and component, its arguments,
// user, listeners, authentication and encryption where they can be
// derived, and the file and line that starts it. The service rules
// (rules/findings/services.yaml) run on that graph.
package services

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/thingsec/thingsec/internal/analyze/devroot"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/model"
)

// Name is the analyzer's name.
const Name = "services"

// Analyzer is the service-graph tree analyzer.
type Analyzer struct {
	daemons *table
	rules   map[string]*rule
}

// New loads the daemon table and the service rules.
func New() (*Analyzer, error) {
	t, err := defaultTable()
	if err != nil {
		return nil, err
	}
	rs, err := loadRules()
	if err != nil {
		return nil, err
	}
	return &Analyzer{daemons: t, rules: rs}, nil
}

// MustNew is New for the embedded data, which the tests keep valid.
func MustNew() *Analyzer {
	a, err := New()
	if err != nil {
		panic(err)
	}
	return a
}

func (a *Analyzer) Name() string { return Name }

// svc is a service found, with what the rules need beyond the report's
// fields.
type svc struct {
	model.Service
	file   string // device path of the starting file
	backup bool   // found in a backup copy: not started, reported lower
	facts  facts
	inetd  *inetdEntry
	tab    *inittabEntry
	noLog  string // getty without login: what runs instead
	dev    *device
}

// AnalyzeTree implements plugin.TreeAnalyzer.
func (a *Analyzer) AnalyzeTree(ctx context.Context, t plugin.Tree, rep *model.Report, out *plugin.Results) error {
	files := t.Files()
	byLayer := map[string][]string{}
	var layers []string
	for _, f := range files {
		if _, ok := byLayer[f.Layer]; !ok {
			layers = append(layers, f.Layer)
		}
		byLayer[f.Layer] = append(byLayer[f.Layer], f.Path)
	}
	comps := componentIndex(rep.Components)
	for _, l := range layers {
		for _, r := range devroot.Find(l, byLayer[l]) {
			if err := ctx.Err(); err != nil {
				return err
			}
			d := newDevice(t, r, files, a.daemons)
			for _, s := range a.device(d) {
				if !s.backup {
					s.Component = comps[key{r.Layer, r.LayerPath(s.Binary)}]
					if s.Binary != "" && !d.isFile(s.Binary) {
						s.Component = ""
					}
					out.Services = append(out.Services, s.Service)
				}
				out.Findings = append(out.Findings, a.findings(s)...)
			}
			out.Skipped = append(out.Skipped, d.skipped...)
		}
	}
	return nil
}

type key struct{ layer, path string }

func componentIndex(cs []model.Component) map[key]string {
	m := map[key]string{}
	for _, c := range cs {
		for _, l := range c.Locations {
			if _, ok := m[key{l.Layer, l.Path}]; !ok {
				m[key{l.Layer, l.Path}] = c.Ref
			}
		}
	}
	return m
}

// device finds every service of one device root.
func (a *Analyzer) device(d *device) []*svc {
	var all []*svc
	seen := map[string]bool{}
	add := func(s *svc) {
		k := s.file + "\x00" + s.Name + "\x00" + strings.Join(s.Args, "\x00") + "\x00" + itoa(s.Location.Line)
		if seen[k] {
			return
		}
		seen[k] = true
		s.backup = isBackup(s.file)
		s.dev = d
		all = append(all, s)
	}
	ran := map[string]bool{}
	runScript := func(p string, args []string) {
		if ran[p] {
			return
		}
		ran[p] = true
		in := newInterp(d, viaOf(p))
		in.runScript(p, args)
		for _, st := range in.out {
			add(a.fromStarted(d, st))
		}
		for p := range in.ranScripts {
			ran[p] = true
		}
	}

	// init: inittab, or BusyBox's built-in default that runs rcS
	sysv := ""
	for _, tab := range append([]string{"/etc/inittab"}, backupsOf(d, "/etc/inittab")...) {
		src, ok := d.read(tab)
		if !ok {
			continue
		}
		for _, e := range parseInittab(src) {
			if e.action == "initdefault" && !isBackup(tab) {
				sysv = e.runlevels
			}
			if !startActions[e.action] {
				continue
			}
			words := shellWords(strings.TrimPrefix(e.process, "-"))
			if len(words) == 0 {
				continue
			}
			prog, args := words[0], words[1:]
			if p := d.resolveScript(prog); p != "" && !isBackup(tab) {
				runScript(p, args)
				if path.Base(p) == "rc" && len(args) > 0 {
					for _, l := range d.glob("/etc/rc" + args[0] + ".d/S*") {
						if r, f := d.lookup(l); f != nil {
							runScript(r, []string{"start"})
						}
					}
				}
				continue
			}
			if p := d.resolveScript(prog); p != "" {
				continue
			}
			e := e
			s := a.base(d, prog, args, "inittab", tab, e.line)
			s.tab = &e
			if consoleActions[e.action] {
				s.Console = consoleOf(e, prog, args)
			}
			if s.Console != "" {
				switch no, what := gettyNoLogin(prog, args); {
				case no:
					s.noLog, s.Auth = what, "none"
				case isShell(prog):
					s.noLog, s.Auth = strings.TrimPrefix(e.process, "-"), "none"
				case path.Base(prog) == "login.sh":
					// OpenWrt: login.sh runs /bin/login only when UCI
					// system.ttylogin is 1, a shell otherwise
					if on, line := ttyLogin(d); !on {
						s.noLog, s.Auth = "/bin/ash --login ("+line+")", "none"
					} else {
						s.Auth = "password"
					}
				case gettys[path.Base(prog)]:
					s.Auth = "password"
				}
				s.Listen, s.Protocol, s.Port, s.TLS = nil, "", 0, ""
			}
			add(s)
		}
	}
	hasInittab := d.isFile("/etc/inittab")
	if !hasInittab && d.isFile("/etc/init.d/rcS") {
		runScript("/etc/init.d/rcS", nil)
	}
	// OpenWrt /etc/rc.d links, System V runlevel links
	links := false
	for _, l := range d.glob("/etc/rc.d/S*") {
		links = true
		if r, f := d.lookup(l); f != nil {
			runScript(r, []string{"boot"})
		}
	}
	levels := []string{"S", "2", "3", "5"}
	if sysv != "" {
		levels = []string{"S", sysv[:1]}
	}
	for _, lv := range []string{"0", "1", "2", "3", "4", "5", "6", "S"} {
		if len(d.under("/etc/rc"+lv+".d")) > 0 {
			links = true
		}
	}
	for _, lv := range levels {
		for _, l := range d.glob("/etc/rc" + lv + ".d/S*") {
			if r, f := d.lookup(l); f != nil {
				runScript(r, []string{"start"})
			}
		}
	}
	// a tree with neither a boot script nor links (a source overlay):
	// every init script counts as enabled
	if !links && !d.isFile("/etc/init.d/rcS") {
		d.source = true
		for _, p := range d.under("/etc/init.d") {
			if !isBackup(p) && d.isFile(p) && initScriptName(path.Base(p)) {
				runScript(p, []string{"start"})
			}
		}
	}
	if d.isFile("/etc/rc.local") {
		runScript("/etc/rc.local", nil)
	}
	// backup copies of init scripts: read, never started
	for _, p := range d.names {
		if isBackup(p) && (strings.HasPrefix(p, "/etc/init.d/") || p == "/etc/rc.local.bak") {
			runScript(p, []string{"start"})
		}
	}

	// inetd and xinetd
	for _, conf := range append([]string{"/etc/inetd.conf"}, backupsOf(d, "/etc/inetd.conf")...) {
		if src, ok := d.read(conf); ok {
			for _, e := range parseInetd(src) {
				add(a.fromInetd(d, e, "inetd", conf))
			}
		}
	}
	xfiles := []string{"/etc/xinetd.conf"}
	xfiles = append(xfiles, d.under("/etc/xinetd.d")...)
	for _, conf := range xfiles {
		if src, ok := d.read(conf); ok {
			for _, e := range parseXinetd(src) {
				if !e.disabled {
					add(a.fromInetd(d, e, "xinetd", conf))
				}
			}
		}
	}

	// systemd
	units := d.loadUnits()
	sockets := map[string]*unit{}
	for _, u := range units {
		if strings.HasSuffix(u.name, ".socket") {
			svcName := strings.TrimSuffix(u.name, ".socket") + ".service"
			if u.service != "" {
				svcName = u.service
			}
			if u.accept {
				svcName = strings.TrimSuffix(u.name, ".socket") + "@.service"
			}
			sockets[svcName] = u
		}
	}
	for _, u := range units {
		if !strings.HasSuffix(u.name, ".service") {
			continue
		}
		a.fromUnit(d, u, sockets[u.name], add)
	}
	for name, sock := range sockets {
		// socket-activated template units are not enabled themselves
		if !slices.ContainsFunc(units, func(u *unit) bool { return u.name == name }) {
			for _, dir := range unitDirs {
				p := dir + "/" + name
				if !d.isFile(p) {
					continue
				}
				u := &unit{name: name, file: p}
				if b, ok := d.read(p); ok {
					parseUnit(u, p, b)
				}
				a.fromUnit(d, u, sock, add)
				break
			}
		}
	}

	// cron
	for _, c := range d.cronFiles() {
		src, ok := d.read(c.path)
		if !ok {
			continue
		}
		for _, j := range parseCrontab(src, c.user, c.system) {
			in := newInterp(d, "cron")
			in.file = c.path
			in.all = true
			in.exec(parse([]byte(j.command)))
			for _, st := range in.out {
				st.line = j.line
				st.via = "cron"
				s := a.fromStarted(d, st)
				s.User = j.user
				add(s)
			}
		}
	}

	a.applyUCI(d, all)
	return all
}

func itoa(n int) string {
	b := []byte{}
	if n == 0 {
		return "0"
	}
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// backupsOf lists the backup copies of device path p.
func backupsOf(d *device, p string) []string {
	var out []string
	for _, q := range d.under(path.Dir(p)) {
		if q != p && isBackup(q) && unbackup(q) == p {
			out = append(out, q)
		}
	}
	return out
}

// initScriptName leaves out what is not a service script in
// /etc/init.d of a source tree.
func initScriptName(n string) bool {
	switch n {
	case "rcS", "rcK", "rc", "functions", "README", "skeleton", "rc.local", "halt", "reboot", "umountfs", "sendsigs":
		return false
	}
	return !strings.HasPrefix(n, ".") && !strings.HasPrefix(n, "K")
}

// viaOf names the mechanism a script stands for.
func viaOf(p string) string {
	switch {
	case path.Base(unbackup(p)) == "rcS":
		return "rcS"
	case strings.HasPrefix(p, "/etc/rc.local"):
		return "rc.local"
	default:
		return "init.d"
	}
}

// shellWords splits a command line the way the shell would, without
// running anything.
func shellWords(s string) []string {
	var out []string
	for _, t := range lex([]byte(s)) {
		if t.kind != tWord {
			break
		}
		fs, _ := expand(t.text, nil)
		out = append(out, fs...)
	}
	return out
}

// base makes the common part of a service: name, binary, arguments,
// mechanism, location and the facts its command line and configuration
// give.
func (a *Analyzer) base(d *device, prog string, args []string, via, file string, line int) *svc {
	name := path.Base(prog)
	written, real, f := d.resolve(prog)
	bin := ""
	switch {
	case f != nil:
		bin = real
	case strings.HasPrefix(prog, "/"):
		bin = path.Clean(prog)
	case written != "":
		bin = written
	}
	s := &svc{file: file}
	s.Name = name
	s.Binary = bin
	s.Args = args
	s.StartedBy = via
	s.Location = d.loc(file, line)
	s.facts = d.deriveFacts(name, args)
	s.Listen, s.Auth, s.TLS = s.facts.listen, s.facts.auth, s.facts.tls
	if s.facts.user != "" {
		s.User = s.facts.user
	}
	s.setFirst()
	return s
}

func (s *svc) setFirst() {
	s.Protocol, s.Port = "", 0
	if len(s.Listen) > 0 {
		s.Protocol, s.Port = s.Listen[0].Protocol, s.Listen[0].Port
	}
}

func (a *Analyzer) fromStarted(d *device, st started) *svc {
	s := a.base(d, st.prog, st.args, st.via, st.file, st.line)
	if st.user != "" {
		s.User = st.user
	}
	return s
}

func (a *Analyzer) fromInetd(d *device, e inetdEntry, via, conf string) *svc {
	prog := e.server
	args := e.argv
	if prog == "internal" {
		prog = e.service
		args = nil
	} else if len(args) > 0 {
		// argv[0] names the program; tcpd wraps the real one
		if path.Base(prog) == "tcpd" {
			prog = args[0]
		}
		args = args[1:]
	}
	if via == "xinetd" && len(e.argv) > 0 {
		args = e.argv[1:]
	}
	s := a.base(d, prog, args, via, conf, e.line)
	if len(e.argv) > 0 && via == "inetd" && path.Base(e.server) != "tcpd" {
		s.Name = path.Base(e.argv[0])
	}
	proto := "tcp"
	if strings.HasPrefix(e.proto, "udp") || e.socket == "dgram" {
		proto = "udp"
	}
	port := e.port
	if port == 0 {
		port = d.servicePort(e.service, proto)
	}
	addr := e.addr
	if addr == "*" {
		addr = ""
	}
	s.Listen = []model.Listen{{Protocol: proto, Address: addr, Port: port, Source: src(conf, e.line)}}
	s.User = e.user
	e2 := e
	s.inetd = &e2
	s.setFirst()
	return s
}

func (a *Analyzer) fromUnit(d *device, u *unit, sock *unit, add func(*svc)) {
	if len(u.execStart) == 0 {
		return
	}
	s := a.base(d, u.execStart[0], u.execStart[1:], "systemd", u.execFile, u.execLine)
	s.User = u.user
	if sock != nil {
		var ls []model.Listen
		for _, l := range sock.listen {
			proto := "tcp"
			if l.kind == "ListenDatagram" {
				proto = "udp"
			}
			if strings.HasPrefix(l.value, "/") || strings.HasPrefix(l.value, "@") {
				ls = append(ls, model.Listen{Protocol: "unix", Address: l.value, Source: src(l.file, l.line)})
				continue
			}
			if h, p, ok := hostPort(l.value); ok {
				ls = append(ls, model.Listen{Protocol: proto, Address: strings.Trim(h, "[]"), Port: p, Source: src(l.file, l.line)})
			}
		}
		if len(ls) > 0 {
			s.Listen = ls
		}
		s.setFirst()
	}
	add(s)
}

// applyUCI adds what OpenWrt's UCI configuration says about the
// services procd starts: dropbear's and uhttpd's listeners and logins.
func (a *Analyzer) applyUCI(d *device, all []*svc) {
	for _, s := range all {
		switch s.Name {
		case "dropbear", "uhttpd", "miniupnpd":
		default:
			continue
		}
		conf := map[string]string{"dropbear": "/etc/config/dropbear", "uhttpd": "/etc/config/uhttpd", "miniupnpd": "/etc/config/upnpd"}[s.Name]
		raw, ok := d.read(conf)
		if !ok || s.StartedBy != "procd" {
			continue
		}
		var ls []model.Listen
		switch s.Name {
		case "dropbear":
			pass := false
			key := true
			for _, sec := range parseUCI(raw) {
				if sec.typ != "dropbear" {
					continue
				}
				if v, _, ok := sec.get("enable"); ok {
					if on, _ := uciBool(v); !on {
						continue
					}
				}
				port, line := 22, 0
				if v, l, ok := sec.get("Port"); ok {
					port, line = atoiOr(v, 22), l
				}
				source := "default"
				if line > 0 {
					source = src(conf, line)
				}
				addr := ""
				if v, l, ok := sec.get("Interface"); ok {
					addr, source = v, src(conf, l)
				}
				ls = append(ls, model.Listen{Protocol: "tcp", Address: addr, Port: port, Source: source})
				p := true
				if v, _, ok := sec.get("PasswordAuth"); ok {
					p, _ = uciBool(v)
				}
				pass = pass || p
			}
			if pass && key {
				s.Auth = "password+key"
			} else if !pass {
				s.Auth = "key"
			}
		case "uhttpd":
			tls := false
			for _, sec := range parseUCI(raw) {
				if sec.typ != "uhttpd" {
					continue
				}
				for _, k := range []string{"listen_http", "listen_https"} {
					for _, v := range sec.options[k] {
						if h, p, ok := hostPort(v.v); ok {
							ls = append(ls, model.Listen{Protocol: "tcp", Address: strings.Trim(h, "[]"), Port: p, Source: src(conf, v.line)})
							if k == "listen_https" {
								tls = true
							}
						}
					}
				}
			}
			s.TLS = "no"
			if tls && !slices.ContainsFunc(ls, func(l model.Listen) bool { return l.Port == 80 }) {
				s.TLS = "yes"
			}
		case "miniupnpd":
			for _, sec := range parseUCI(raw) {
				if sec.typ == "upnpd" {
					if v, l, ok := sec.get("port"); ok {
						ls = append(ls, model.Listen{Protocol: "tcp", Port: atoiOr(v, 5000), Source: src(conf, l)})
					}
				}
			}
			if len(ls) > 0 {
				ls = append(ls, model.Listen{Protocol: "udp", Port: 1900, Source: "default"})
			}
		}
		if len(ls) > 0 {
			s.Listen = ls
			s.setFirst()
		}
	}
}

func atoiOr(s string, def int) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return def
		}
		n = n*10 + int(c-'0')
		if n > 65535 {
			return def
		}
	}
	if n == 0 {
		return def
	}
	return n
}

// ttyLogin reads OpenWrt's system.@system[0].ttylogin: whether the
// console asks for a login, and what says so.
func ttyLogin(d *device) (bool, string) {
	raw, ok := d.read("/etc/config/system")
	if !ok {
		return false, "no /etc/config/system: ttylogin defaults to 0"
	}
	for _, sec := range parseUCI(raw) {
		if sec.typ != "system" {
			continue
		}
		v, line, ok := sec.get("ttylogin")
		if !ok {
			return false, "ttylogin not set in /etc/config/system"
		}
		return v == "1", fmt.Sprintf("/etc/config/system:%d ttylogin '%s'", line, v)
	}
	return false, "ttylogin not set in /etc/config/system"
}
