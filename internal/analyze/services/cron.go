package services

import (
	"path"
	"strings"
)

// cronJob is one live line of a crontab.
type cronJob struct {
	user    string
	command string
	line    int
}

// parseCrontab reads a crontab; system says it has a user field
// (/etc/crontab, /etc/cron.d/*), user is the owner otherwise.
func parseCrontab(src []byte, user string, system bool) []cronJob {
	var out []cronJob
	for i, l := range strings.Split(string(src), "\n") {
		t := strings.TrimSpace(l)
		if t == "" || t[0] == '#' {
			continue
		}
		if k, _, ok := strings.Cut(t, "="); ok && !strings.ContainsAny(k, " \t") {
			continue // VAR=value
		}
		f := strings.Fields(t)
		n := 5
		if strings.HasPrefix(f[0], "@") {
			n = 1
		}
		if system {
			n++
		}
		if len(f) <= n {
			continue
		}
		u := user
		if system {
			u = f[n-1]
		}
		// the command is the rest of the line after the n fields
		rest := t
		for range n {
			rest = strings.TrimLeft(rest, " \t")
			j := strings.IndexAny(rest, " \t")
			if j < 0 {
				rest = ""
				break
			}
			rest = rest[j:]
		}
		out = append(out, cronJob{user: u, command: strings.TrimSpace(rest), line: i + 1})
	}
	return out
}

// crontabs are the crontab locations: directory (owner from the file
// name) or file, and whether lines carry a user field.
var crontabs = []struct {
	path   string
	dir    bool
	system bool
}{
	{"/etc/crontabs", true, false},
	{"/var/spool/cron/crontabs", true, false},
	{"/var/spool/cron", true, false},
	{"/etc/crontab", false, true},
	{"/etc/cron.d", true, true},
}

func (d *device) cronFiles() []struct {
	path, user string
	system     bool
} {
	var out []struct {
		path, user string
		system     bool
	}
	for _, c := range crontabs {
		if !c.dir {
			if d.isFile(c.path) {
				out = append(out, struct {
					path, user string
					system     bool
				}{c.path, "root", c.system})
			}
			continue
		}
		for _, p := range d.under(c.path) {
			if f := d.files[p]; f == nil || f.Type == "directory" || strings.HasPrefix(path.Base(p), ".") {
				continue
			}
			out = append(out, struct {
				path, user string
				system     bool
			}{p, path.Base(unbackup(p)), c.system})
		}
	}
	return out
}
