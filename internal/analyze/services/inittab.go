package services

import (
	"path"
	"strings"
)

// inittabEntry is one live line of /etc/inittab.
type inittabEntry struct {
	id, runlevels, action, process string
	line                           int
}

// parseInittab reads BusyBox (tty::action:process) and System V
// (id:runlevels:action:process) inittab lines; comments never count.
func parseInittab(src []byte) []inittabEntry {
	var out []inittabEntry
	for i, l := range strings.Split(string(src), "\n") {
		t := strings.TrimSpace(l)
		if t == "" || t[0] == '#' {
			continue
		}
		parts := strings.SplitN(t, ":", 4)
		if len(parts) != 4 {
			continue
		}
		out = append(out, inittabEntry{id: parts[0], runlevels: parts[1], action: strings.TrimSpace(parts[2]), process: strings.TrimSpace(parts[3]), line: i + 1})
	}
	return out
}

// consoleActions start a program on a terminal.
var consoleActions = map[string]bool{"respawn": true, "askfirst": true, "once": true, "wait": true, "askconsole": true}

// startActions are the actions that run something at boot.
var startActions = map[string]bool{"sysinit": true, "respawn": true, "askfirst": true, "once": true, "wait": true, "boot": true, "bootwait": true, "askconsole": true}

// gettys are programs that put a login prompt (or a shell) on a terminal.
var gettys = map[string]bool{"getty": true, "agetty": true, "mingetty": true, "mgetty": true, "login": true, "login.sh": true, "sulogin": true}

// consoleOf says which terminal an inittab entry runs on: the BusyBox
// id field, or the getty's tty argument.
func consoleOf(e inittabEntry, prog string, args []string) string {
	if strings.HasPrefix(e.id, "tty") || strings.HasPrefix(e.id, "console") || strings.HasPrefix(e.id, "/dev/") {
		return strings.TrimPrefix(e.id, "/dev/")
	}
	if gettys[path.Base(prog)] {
		for _, a := range args {
			a = strings.TrimPrefix(a, "/dev/")
			if strings.HasPrefix(a, "tty") || a == "console" || strings.HasPrefix(a, "hvc") {
				return a
			}
		}
	}
	if e.id == "" && (isShell(prog) || gettys[path.Base(prog)]) {
		return "console"
	}
	return ""
}

// gettyNoLogin says whether a getty command line gives a shell without
// asking for a password: getty -n -l /bin/sh, agetty --autologin root,
// agetty -n -l /bin/ash; and the program it runs.
func gettyNoLogin(prog string, args []string) (bool, string) {
	switch path.Base(prog) {
	case "getty", "agetty", "mingetty":
	default:
		return false, ""
	}
	login := ""
	noPrompt := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-l" || a == "--login-program":
			if i+1 < len(args) {
				login = args[i+1]
				i++
			}
		case strings.HasPrefix(a, "--login-program="):
			login = strings.TrimPrefix(a, "--login-program=")
		case a == "-a" || a == "--autologin":
			if i+1 < len(args) {
				return true, "autologin " + args[i+1]
			}
		case strings.HasPrefix(a, "--autologin="):
			return true, "autologin " + strings.TrimPrefix(a, "--autologin=")
		case a == "-n" || a == "--skip-login":
			noPrompt = true
		case len(a) > 1 && a[0] == '-' && a[1] != '-':
			if strings.ContainsRune(a, 'n') {
				noPrompt = true
			}
			if strings.HasSuffix(a, "l") && i+1 < len(args) {
				login = args[i+1]
				i++
			}
		}
	}
	if login != "" && isShell(login) {
		return true, login
	}
	_ = noPrompt
	return false, login
}
