package services

import (
	"path"
	"strings"
)

// unit is the part of a systemd unit the service graph needs.
type unit struct {
	name      string // file name, "sshd.service"
	file      string // device path of the unit file
	execStart []string
	execLine  int
	execFile  string // the file of the ExecStart line (a drop-in)
	user      string
	listen    []sockListen
	accept    bool
	wantedBy  bool // has an [Install] section that enables it
	service   string
}

type sockListen struct {
	kind, value string
	file        string
	line        int
}

var unitDirs = []string{"/etc/systemd/system", "/run/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"}

// parseUnit applies a unit file (or a drop-in) to u.
func parseUnit(u *unit, file string, src []byte) {
	section := ""
	lines := strings.Split(string(src), "\n")
	for i := 0; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		start := i + 1
		for strings.HasSuffix(t, "\\") && i+1 < len(lines) {
			i++
			t = strings.TrimSuffix(t, "\\") + " " + strings.TrimSpace(lines[i])
		}
		if t == "" || t[0] == '#' || t[0] == ';' {
			continue
		}
		if t[0] == '[' {
			section = strings.Trim(t, "[]")
			continue
		}
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch section + "." + k {
		case "Service.ExecStart":
			if v == "" {
				u.execStart = nil // a drop-in resets the list
				continue
			}
			v = strings.TrimLeft(v, "@-:+!")
			u.execStart, u.execLine, u.execFile = shellWords(v), start, file
		case "Service.User":
			u.user = v
		case "Socket.ListenStream", "Socket.ListenDatagram", "Socket.ListenSequentialPacket":
			if v == "" {
				u.listen = nil
				continue
			}
			u.listen = append(u.listen, sockListen{kind: k, value: v, file: file, line: start})
		case "Socket.Accept":
			u.accept = v == "yes" || v == "true" || v == "1"
		case "Socket.Service":
			u.service = v
		case "Install.WantedBy", "Install.RequiredBy", "Install.Also", "Install.Alias":
			u.wantedBy = true
		}
	}
}

// loadUnits reads the units of every unit directory (the first
// directory holding a name wins) with their drop-ins, and which are
// enabled: linked from a *.wants/ or *.requires/ directory, or, in a
// tree with no such links at all (a source tree), every unit with an
// [Install] section.
func (d *device) loadUnits() []*unit {
	seen := map[string]bool{}
	var units []*unit
	enabled := map[string]bool{}
	anyLinks := false
	for _, dir := range unitDirs {
		for _, p := range d.under(dir) {
			base := path.Base(p)
			if f := d.files[p]; f != nil && f.Type == "directory" && (strings.HasSuffix(base, ".wants") || strings.HasSuffix(base, ".requires")) {
				for _, l := range d.under(p) {
					anyLinks = true
					enabled[path.Base(l)] = true
				}
			}
		}
	}
	for _, dir := range unitDirs {
		for _, p := range d.under(dir) {
			base := path.Base(p)
			if !(strings.HasSuffix(base, ".service") || strings.HasSuffix(base, ".socket")) || seen[base] {
				continue
			}
			if f := d.files[p]; f == nil || f.Type == "directory" {
				continue
			}
			if _, f := d.lookup(p); f == nil || f.LinkTarget == "/dev/null" {
				continue // masked
			}
			seen[base] = true
			u := &unit{name: base, file: p}
			if b, ok := d.read(p); ok {
				parseUnit(u, p, b)
			}
			for _, dd := range unitDirs {
				for _, drop := range d.under(dd + "/" + base + ".d") {
					if strings.HasSuffix(drop, ".conf") {
						if b, ok := d.read(drop); ok {
							parseUnit(u, drop, b)
						}
					}
				}
			}
			if enabled[base] || (!anyLinks && u.wantedBy) {
				units = append(units, u)
			}
		}
	}
	return units
}
