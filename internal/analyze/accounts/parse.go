package accounts

import (
	"path"
	"strings"
)

// Entry is one account or credential line of a password file.
type Entry struct {
	User  string
	Hash  string // stored hash or, with Plain, the password itself
	Plain bool   // the file stores the password in clear text
	UID   string
	Shell string
	Line  int
	// Locked: the account cannot log in with a password ("*", "!", "x").
	Locked bool
}

// Kind is the format of a credentials file.
type Kind string

// Formats.
const (
	KindPasswd    Kind = "passwd"
	KindShadow    Kind = "shadow"
	KindGroup     Kind = "group"
	KindHtpasswd  Kind = "htpasswd"
	KindLighttpd  Kind = "lighttpd-plain"
	KindBusybox   Kind = "busybox-httpd"
	KindMosquitto Kind = "mosquitto"
	KindUCI       Kind = "uci"
	KindSmb       Kind = "smbpasswd"
	KindGeneric   Kind = "colon-file"
	KindNone      Kind = ""
)

// Classify picks the parser for a file path.
func Classify(p string) Kind {
	base := path.Base(p)
	dir := path.Dir(p)
	lp := strings.ToLower(p)
	switch {
	case base == "passwd" || base == "passwd-" || base == "master.passwd":
		if strings.Contains(lp, "mosquitto") {
			return KindMosquitto
		}
		return KindPasswd
	case base == "shadow" || base == "shadow-" || base == "gshadow":
		return KindShadow
	case base == "group" || base == "group-":
		return KindGroup
	case base == "smbpasswd":
		return KindSmb
	case base == "httpd.conf" && !strings.Contains(lp, "apache"):
		return KindBusybox
	case strings.Contains(base, "htpasswd") || strings.HasSuffix(base, ".htdigest"):
		return KindHtpasswd
	case strings.Contains(lp, "lighttpd") && strings.HasSuffix(base, ".user"):
		return KindLighttpd
	case strings.Contains(lp, "mosquitto") && (strings.Contains(base, "passw") || strings.Contains(base, "pwfile") || base == "password_file"):
		return KindMosquitto
	case strings.HasSuffix(dir, "/etc/config") && (base == "rpcd" || base == "uhttpd"):
		return KindUCI
	case strings.Contains(base, "passwd") && !strings.HasSuffix(base, ".pub") && !strings.Contains(base, ".so") && !strings.HasSuffix(base, ".c") && !strings.HasSuffix(base, ".h"):
		return KindGeneric
	}
	return KindNone
}

func locked(h string) bool {
	return strings.HasPrefix(h, "!") || strings.HasPrefix(h, "*") || h == "x" || h == "NP" || h == "LK" || strings.HasPrefix(h, "*LK*")
}

// Parse reads the entries of a credentials file.
func Parse(k Kind, data []byte) []Entry {
	var out []Entry
	inLogin := false
	var cur Entry
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		ln := i + 1
		switch k {
		case KindPasswd, KindShadow, KindGroup:
			f := strings.Split(line, ":")
			if len(f) < 2 || f[0] == "" || strings.HasPrefix(f[0], "+") || strings.HasPrefix(f[0], "-") {
				continue
			}
			e := Entry{User: f[0], Hash: f[1], Line: ln}
			if k == KindPasswd && len(f) >= 7 {
				e.UID, e.Shell = f[2], f[6]
			}
			e.Locked = locked(e.Hash)
			out = append(out, e)
		case KindHtpasswd, KindMosquitto, KindGeneric:
			u, h, ok := strings.Cut(t, ":")
			if !ok || u == "" || strings.ContainsAny(u, " \t=") {
				continue
			}
			if k == KindHtpasswd && strings.Count(t, ":") > 1 {
				// htdigest: user:realm:hash
				if parts := strings.SplitN(t, ":", 3); len(parts) == 3 {
					h = parts[2]
				}
			}
			e := Entry{User: u, Hash: h, Line: ln}
			if k == KindGeneric {
				// Generic vendor files: only recognised hashes count.
				if Identify(h, false) == SchemeUnknown {
					continue
				}
			}
			e.Locked = locked(h)
			out = append(out, e)
		case KindLighttpd:
			u, p, ok := strings.Cut(t, ":")
			if ok && u != "" {
				out = append(out, Entry{User: u, Hash: p, Plain: true, Line: ln})
			}
		case KindBusybox:
			// "/path:user:password" (password clear or $1$ crypt)
			if !strings.HasPrefix(t, "/") {
				continue
			}
			f := strings.SplitN(t, ":", 3)
			if len(f) != 3 || f[1] == "" {
				continue
			}
			e := Entry{User: f[1], Hash: f[2], Line: ln}
			e.Plain = Identify(f[2], false) == SchemeUnknown
			out = append(out, e)
		case KindSmb:
			f := strings.Split(t, ":")
			if len(f) < 4 {
				continue
			}
			if lm := strings.ToUpper(f[2]); len(lm) == 32 && !strings.HasPrefix(lm, "XXXX") && lm != "AAD3B435B51404EEAAD3B435B51404EE" {
				out = append(out, Entry{User: f[0], Hash: "LM:" + lm, Line: ln, UID: f[1]})
			}
			if nt := strings.ToUpper(f[3]); len(nt) == 32 && !strings.HasPrefix(nt, "XXXX") {
				out = append(out, Entry{User: f[0], Hash: "NT:" + nt, Line: ln, UID: f[1]})
			}
		case KindUCI:
			fs := strings.Fields(t)
			if len(fs) >= 1 && fs[0] == "config" {
				if inLogin && cur.User != "" && cur.Hash != "" {
					out = append(out, cur)
				}
				inLogin = len(fs) >= 2 && fs[1] == "login"
				cur = Entry{}
				continue
			}
			if !inLogin || len(fs) < 3 || fs[0] != "option" {
				continue
			}
			v := strings.Trim(strings.Join(fs[2:], " "), `'"`)
			switch fs[1] {
			case "username":
				cur.User = v
			case "password":
				cur.Hash, cur.Line = v, ln
				cur.Plain = Identify(v, false) == SchemeUnknown
				if strings.HasPrefix(v, "$p$") {
					cur.Hash = "" // refers to the system account
				}
			}
		}
	}
	if k == KindUCI && inLogin && cur.User != "" && cur.Hash != "" {
		out = append(out, cur)
	}
	return out
}
