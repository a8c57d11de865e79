package services

import (
	"path"
	"strings"
)

// started is one program a script starts, before it becomes a Service.
type started struct {
	prog  string   // as written or resolved ("/usr/sbin/dropbear", "nc")
	args  []string // after the program name
	user  string
	file  string // device path of the file with the starting line
	line  int
	via   string // mechanism: rcS, init.d, procd, rc.local, ...
	bg    bool   // backgrounded with &
	known bool   // a start-stop-daemon, service_start or procd command: a daemon by definition
}

// interp runs a script's commands far enough to see what it starts.
type interp struct {
	dev    *device
	vars   map[string]string
	funcs  map[string]*node
	file   string // device path of the file being read
	via    string
	depth  int
	out    []started
	inst   *started // the open procd instance
	called map[string]bool
	all    bool // every command is a service (a cron job's command)
	// ranScripts are the init scripts this run read, so that they are
	// not started a second time
	ranScripts map[string]bool
}

func newInterp(d *device, via string) *interp {
	return &interp{dev: d, vars: map[string]string{}, funcs: map[string]*node{}, via: via, called: map[string]bool{}, ranScripts: map[string]bool{}}
}

// runScript reads the script at device path p and runs it with args.
func (in *interp) runScript(p string, args []string) {
	if in.depth >= maxDepth {
		return
	}
	nodes, src, ok := in.dev.script(p)
	if !ok {
		return
	}
	if in.ranScripts[p] {
		return
	}
	in.ranScripts[p] = true
	saveFile, saveVars, saveVia := in.file, in.vars, in.via
	in.file = p
	if in.depth > 0 || in.via != "cron" {
		in.via = viaOf(p)
	}
	in.vars = map[string]string{"0": p}
	for k, v := range saveVars {
		if !isPositional(k) {
			in.vars[k] = v
		}
	}
	in.setArgs(args)
	in.depth++
	in.exec(nodes)
	if isRCCommon(src) {
		// OpenWrt rc.common: "boot" or "start" runs start_service for
		// procd scripts, start otherwise
		switch {
		case in.funcs["boot"] != nil:
			in.call("boot", nil)
		case in.funcs["start_service"] != nil:
			in.call("start_service", nil)
		case in.funcs["start"] != nil:
			in.call("start", nil)
		}
		in.closeInstance()
	}
	in.depth--
	in.file, in.vars, in.via = saveFile, saveVars, saveVia
}

func isPositional(k string) bool {
	return k == "@" || k == "*" || k == "#" || len(k) > 0 && k[0] >= '0' && k[0] <= '9'
}

func isRCCommon(src []byte) bool {
	first, _, _ := strings.Cut(string(src[:min(len(src), 200)]), "\n")
	return strings.HasPrefix(first, "#!") && strings.Contains(first, "rc.common")
}

func (in *interp) setArgs(args []string) {
	for k := range in.vars {
		if isPositional(k) && k != "0" {
			delete(in.vars, k)
		}
	}
	for i, a := range args {
		in.vars[string(rune('1'+i))] = a
		if i == 8 {
			break
		}
	}
	in.vars["@"] = strings.Join(args, " ")
	in.vars["*"] = in.vars["@"]
}

func (in *interp) call(name string, args []string) {
	f := in.funcs[name]
	if f == nil || in.depth >= maxDepth {
		return
	}
	saved := map[string]string{}
	for k, v := range in.vars {
		if isPositional(k) {
			saved[k] = v
		}
	}
	in.setArgs(args)
	in.depth++
	in.exec(f.body)
	in.depth--
	for k := range in.vars {
		if isPositional(k) && k != "0" {
			delete(in.vars, k)
		}
	}
	for k, v := range saved {
		in.vars[k] = v
	}
}

func (in *interp) exec(nodes []node) {
	for i := range nodes {
		if in.dev.steps++; in.dev.steps > maxRuns {
			return
		}
		n := &nodes[i]
		switch n.kind {
		case nFunc:
			in.funcs[n.name] = n
		case nGroup:
			in.exec(n.body)
		case nFor:
			var vals []string
			for _, w := range n.words {
				fs, glob := expand(w.text, in.vars)
				for _, f := range fs {
					if glob {
						vals = append(vals, in.dev.glob(f)...)
					} else {
						vals = append(vals, f)
					}
				}
			}
			for _, v := range vals[:min(len(vals), maxGlob)] {
				in.vars[n.name] = v
				in.exec(n.body)
			}
		case nCase:
			var subj string
			known := false
			if len(n.words) > 0 {
				fs, _ := expand(n.words[0].text, in.vars)
				subj = strings.Join(fs, " ")
				known = knownSubject(n.words[0].text, in.vars)
			}
			for _, it := range n.items {
				if known {
					if matchAny(it.patterns, subj, in.vars) {
						in.exec(it.body)
						break
					}
					continue
				}
				// unknown subject: every branch but the fallback
				if !(len(it.patterns) == 1 && it.patterns[0].text == "*") {
					in.exec(it.body)
				}
			}
		case nSimple:
			in.simple(n)
		}
	}
}

// knownSubject: the case subject is made only of variables whose value
// is known (positional parameters set by the caller, assigned
// variables), so the branch taken can be told.
func knownSubject(raw string, vars map[string]string) bool {
	if strings.Contains(raw, "$(") || strings.Contains(raw, "`") {
		return false
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '$' || i+1 >= len(raw) {
			continue
		}
		j := i + 1
		if raw[j] == '{' {
			j++
		}
		k := j
		for k < len(raw) && isNameByte(raw[k]) {
			k++
		}
		if _, ok := vars[raw[j:k]]; !ok {
			return false
		}
	}
	return true
}

func matchAny(pats []token, subj string, vars map[string]string) bool {
	for _, p := range pats {
		fs, _ := expand(p.text, vars)
		for _, f := range fs {
			if ok, err := path.Match(f, subj); err == nil && ok {
				return true
			}
		}
	}
	return false
}

// wrappers run the command that follows their own options.
var wrappers = map[string]bool{"nohup": true, "exec": true, "setsid": true, "nice": true, "ionice": true, "chrt": true, "taskset": true, "env": true, "command": true, "builtin": true, "time": true}

// ignored never start anything worth listing.
var ignored = map[string]bool{
	"[": true, "test": true, "[[": true, "echo": true, "printf": true, "true": true, "false": true, ":": true, "return": true,
	"exit": true, "shift": true, "set": true, "unset": true, "export": true, "local": true, "readonly": true, "eval": true,
	"trap": true, "wait": true, "sleep": true, "cd": true, "read": true, "logger": true, "let": true, "break": true, "continue": true,
	"append": true, "config_load": true, "config_get": true, "config_get_bool": true, "config_foreach": true, "config_set": true,
	"uci_validate_section": true, "procd_add_reload_trigger": true, "procd_add_interface_trigger": true, "procd_add_jail": true,
	"procd_add_validation": true, "json_init": true, "json_add_string": true,
}

func (in *interp) simple(n *node) {
	if in.dev.steps += len(n.words); in.dev.steps > maxRuns {
		return
	}
	var words []string
	for _, w := range n.words {
		fs, glob := expand(w.text, in.vars)
		for _, f := range fs {
			if glob && strings.HasPrefix(f, "/") {
				if g := in.dev.glob(f); len(g) > 0 {
					words = append(words, g...)
					continue
				}
			}
			words = append(words, f)
		}
	}
	// assignments: alone they set variables; before a command they are
	// its environment
	k := 0
	for k < len(words) {
		name, val, ok := assignment(words[k])
		if !ok {
			break
		}
		if k == len(words)-1 || allAssignments(words[k:]) {
			in.vars[name] = val
		}
		k++
	}
	words = words[k:]
	if len(words) > 0 && (words[0] == "export" || words[0] == "local" || words[0] == "readonly") {
		for _, w := range words[1:] {
			if name, val, ok := assignment(w); ok {
				in.vars[name] = val
			}
		}
		return
	}
	for len(words) > 0 && wrappers[words[0]] {
		words = skipWrapper(words)
	}
	if len(words) == 0 {
		return
	}
	cmd := words[0]
	args := words[1:]
	switch {
	case cmd == "." || cmd == "source":
		if len(args) > 0 && strings.HasPrefix(args[0], "/") && in.depth < maxDepth {
			p := args[0]
			nodes, _, ok := in.dev.script(p)
			if !ok {
				return
			}
			save := in.file
			in.file = p
			in.depth++
			in.exec(nodes)
			in.depth--
			in.file = save
		}
		return
	case cmd == "start-stop-daemon":
		if s, ok := startStopDaemon(args); ok {
			in.emit(n, s)
		}
		return
	case cmd == "service_start":
		if len(args) > 0 {
			in.emit(n, started{prog: args[0], args: args[1:], known: true})
		}
		return
	case cmd == "procd_open_instance":
		in.closeInstance()
		in.inst = &started{}
		return
	case cmd == "procd_close_instance":
		in.closeInstance()
		return
	case cmd == "procd_set_param" || cmd == "procd_append_param":
		in.procdParam(n, cmd == "procd_append_param", args)
		return
	case in.funcs[cmd] != nil:
		// after the builtins above: a sourced procd.sh defines
		// procd_open_instance too, and its body says less
		key := in.file + "\x00" + cmd
		if in.called[key] && in.depth > 2 {
			return
		}
		in.called[key] = true
		in.call(cmd, args)
		return
	case cmd == "start" && in.funcs["start_service"] != nil:
		in.call("start_service", args)
		return
	case ignored[cmd]:
		return
	case cmd == "sh" || cmd == "/bin/sh" || cmd == "ash" || cmd == "/bin/ash" || cmd == "bash" || cmd == "/bin/bash":
		if len(args) > 0 && strings.HasPrefix(args[0], "/") && in.dev.isFile(args[0]) {
			in.runScript(args[0], args[1:])
			return
		}
	}
	if p := in.dev.resolveScript(cmd); p != "" {
		in.runScript(p, args)
		return
	}
	if n.bg || in.all || in.dev.daemonish(cmd, args) {
		in.emit(n, started{prog: cmd, args: args, bg: n.bg})
	}
}

func allAssignments(ws []string) bool {
	for _, w := range ws {
		if _, _, ok := assignment(w); !ok {
			return false
		}
	}
	return true
}

// skipWrapper drops a wrapper command and its options.
func skipWrapper(w []string) []string {
	name := w[0]
	w = w[1:]
	for len(w) > 0 {
		a := w[0]
		if _, _, ok := assignment(a); ok && name == "env" {
			w = w[1:]
			continue
		}
		if !strings.HasPrefix(a, "-") {
			break
		}
		w = w[1:]
		if (name == "nice" && a == "-n") || (name == "ionice" && (a == "-c" || a == "-n")) || name == "taskset" || name == "chrt" {
			if len(w) > 0 {
				w = w[1:]
			}
		}
	}
	if name == "taskset" || name == "chrt" {
		if len(w) > 0 {
			w = w[1:] // the mask or priority
		}
	}
	return w
}

func (in *interp) emit(n *node, s started) {
	s.file, s.line, s.via = in.file, n.line, in.via
	if n.bg {
		s.bg = true
	}
	in.out = append(in.out, s)
}

func (in *interp) procdParam(n *node, appendTo bool, args []string) {
	if len(args) == 0 {
		return
	}
	if in.inst == nil {
		in.inst = &started{}
	}
	switch args[0] {
	case "command":
		vals := args[1:]
		if !appendTo || in.inst.prog == "" {
			if len(vals) == 0 {
				return
			}
			in.inst.prog, in.inst.args = vals[0], append([]string(nil), vals[1:]...)
			in.inst.file, in.inst.line = in.file, n.line
		} else {
			in.inst.args = append(in.inst.args, vals...)
		}
	case "user":
		if len(args) > 1 {
			in.inst.user = args[1]
		}
	}
}

func (in *interp) closeInstance() {
	if in.inst != nil && in.inst.prog != "" {
		s := *in.inst
		s.via, s.known = "procd", true
		in.out = append(in.out, s)
	}
	in.inst = nil
}

// startStopDaemon reads a start-stop-daemon command line: the program
// (-x/--exec or -a/--startas), the user (-c/--chuid) and the arguments
// after --. It starts something only with -S/--start.
func startStopDaemon(args []string) (started, bool) {
	var s started
	start := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		val := func() string {
			if j := strings.IndexByte(a, '='); j > 0 && strings.HasPrefix(a, "--") {
				return a[j+1:]
			}
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		name, _, _ := strings.Cut(a, "=")
		switch name {
		case "-S", "--start":
			start = true
		case "-x", "--exec":
			if v := val(); s.prog == "" {
				s.prog = v
			}
		case "-a", "--startas":
			s.prog = val()
		case "-c", "--chuid", "-u", "--user":
			v := val()
			if name == "-c" || name == "--chuid" {
				s.user, _, _ = strings.Cut(v, ":")
			}
		case "-p", "--pidfile", "-n", "--name", "-N", "--nicelevel", "-d", "--chdir", "-r", "--chroot", "-k", "--umask", "-s", "--signal", "-R", "--retry", "-g", "--group":
			val()
		case "--":
			s.args = append(s.args, args[i+1:]...)
			i = len(args)
		default:
			if strings.HasPrefix(a, "-S") && len(a) > 2 && !strings.HasPrefix(a, "--") {
				// combined short options: -Sbx /path
				start = true
				if strings.HasSuffix(a, "x") && i+1 < len(args) {
					i++
					s.prog = args[i]
				}
			}
		}
	}
	s.known = true
	return s, start && s.prog != ""
}
