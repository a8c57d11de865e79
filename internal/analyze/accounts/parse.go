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
	case strings.Contains(p, "/lintian/overrides/"):
		// Debian's lint overrides are named after their package
		// ("passwd: elevated-privileges 4755 ...")
		return KindNone
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

// Parse reads the entries of a credentials file of kind k.
func Parse(k Kind, data []byte) []Entry {
	switch k {
	case KindPasswd:
		return parsePasswd(data)
	case KindShadow, KindGroup:
		return parseShadow(data)
	case KindHtpasswd:
		return parseHtpasswd(data)
	case KindMosquitto:
		return parseMosquitto(data)
	case KindGeneric:
		return parseGeneric(data)
	case KindLighttpd:
		return parseLighttpd(data)
	case KindBusybox:
		return parseBusybox(data)
	case KindSmb:
		return parseSmb(data)
	case KindUCI:
		return parseUCI(data)
	}
	return nil
}

// line is one line of a credentials file that is neither blank nor a
// comment.
type line struct {
	n    int    // 1-based line number
	raw  string // without the line end
	text string // trimmed
}

// eachLine calls fn for every line that is neither blank nor a comment.
func eachLine(data []byte, fn func(l line)) {
	for i, raw := range strings.Split(string(data), "\n") {
		raw = strings.TrimRight(raw, "\r")
		t := strings.TrimSpace(raw)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		fn(line{n: i + 1, raw: raw, text: t})
	}
}

// unixEntry reads a passwd/shadow/group line: name:hash:... (NIS "+"/"-"
// lines are not accounts).
func unixEntry(l line) ([]string, Entry, bool) {
	f := strings.Split(l.raw, ":")
	if len(f) < 2 || f[0] == "" || strings.HasPrefix(f[0], "+") || strings.HasPrefix(f[0], "-") {
		return nil, Entry{}, false
	}
	return f, Entry{User: f[0], Hash: f[1], Line: l.n, Locked: locked(f[1])}, true
}

// parsePasswd reads /etc/passwd: name:hash:uid:gid:gecos:home:shell.
func parsePasswd(data []byte) []Entry {
	var out []Entry
	eachLine(data, func(l line) {
		f, e, ok := unixEntry(l)
		if !ok {
			return
		}
		if len(f) >= 7 {
			e.UID, e.Shell = f[2], f[6]
		}
		out = append(out, e)
	})
	return out
}

// parseShadow reads /etc/shadow, gshadow and group: name:hash:...
func parseShadow(data []byte) []Entry {
	var out []Entry
	eachLine(data, func(l line) {
		if _, e, ok := unixEntry(l); ok {
			out = append(out, e)
		}
	})
	return out
}

// userHash splits user:hash, refusing names no account has.
func userHash(l line) (string, string, bool) {
	u, h, ok := strings.Cut(l.text, ":")
	if !ok || u == "" || strings.ContainsAny(u, " \t=") {
		return "", "", false
	}
	return u, h, true
}

// parseHtpasswd reads htpasswd (user:hash) and htdigest
// (user:realm:hash) files.
func parseHtpasswd(data []byte) []Entry {
	var out []Entry
	eachLine(data, func(l line) {
		u, h, ok := userHash(l)
		if !ok {
			return
		}
		if strings.Count(l.text, ":") > 1 {
			if parts := strings.SplitN(l.text, ":", 3); len(parts) == 3 {
				h = parts[2]
			}
		}
		out = append(out, Entry{User: u, Hash: h, Line: l.n, Locked: locked(h)})
	})
	return out
}

// parseMosquitto reads a mosquitto password file: user:hash.
func parseMosquitto(data []byte) []Entry {
	var out []Entry
	eachLine(data, func(l line) {
		if u, h, ok := userHash(l); ok {
			out = append(out, Entry{User: u, Hash: h, Line: l.n, Locked: locked(h)})
		}
	})
	return out
}

// parseGeneric reads vendor *passwd* files: user:hash lines, of which only
// recognised hashes count.
func parseGeneric(data []byte) []Entry {
	var out []Entry
	eachLine(data, func(l line) {
		u, h, ok := userHash(l)
		if ok && Identify(h, false) != SchemeUnknown {
			out = append(out, Entry{User: u, Hash: h, Line: l.n, Locked: locked(h)})
		}
	})
	return out
}

// parseLighttpd reads lighttpd's plain user file: user:password.
func parseLighttpd(data []byte) []Entry {
	var out []Entry
	eachLine(data, func(l line) {
		if u, p, ok := strings.Cut(l.text, ":"); ok && u != "" {
			out = append(out, Entry{User: u, Hash: p, Plain: true, Line: l.n})
		}
	})
	return out
}

// parseBusybox reads BusyBox httpd.conf credentials:
// "/path:user:password" (password clear or $1$ crypt).
func parseBusybox(data []byte) []Entry {
	var out []Entry
	eachLine(data, func(l line) {
		if !strings.HasPrefix(l.text, "/") {
			return
		}
		f := strings.SplitN(l.text, ":", 3)
		if len(f) != 3 || f[1] == "" {
			return
		}
		out = append(out, Entry{User: f[1], Hash: f[2], Line: l.n, Plain: Identify(f[2], false) == SchemeUnknown})
	})
	return out
}

// noLM is the LM hash of the empty password (LM disabled).
const noLM = "AAD3B435B51404EEAAD3B435B51404EE"

// parseSmb reads Samba smbpasswd: user:uid:LM:NT:flags:time; each
// usable LM and NT hash is an entry.
func parseSmb(data []byte) []Entry {
	var out []Entry
	eachLine(data, func(l line) {
		f := strings.Split(l.text, ":")
		if len(f) < 4 {
			return
		}
		if lm := strings.ToUpper(f[2]); len(lm) == 32 && !strings.HasPrefix(lm, "XXXX") && lm != noLM {
			out = append(out, Entry{User: f[0], Hash: "LM:" + lm, Line: l.n, UID: f[1]})
		}
		if nt := strings.ToUpper(f[3]); len(nt) == 32 && !strings.HasPrefix(nt, "XXXX") {
			out = append(out, Entry{User: f[0], Hash: "NT:" + nt, Line: l.n, UID: f[1]})
		}
	})
	return out
}

// parseUCI reads the "config login" sections of OpenWrt rpcd/uhttpd UCI
// files (option username / option password).
func parseUCI(data []byte) []Entry {
	var out []Entry
	inLogin := false
	var cur Entry
	flush := func() {
		if inLogin && cur.User != "" && cur.Hash != "" {
			out = append(out, cur)
		}
	}
	eachLine(data, func(l line) {
		fs := strings.Fields(l.text)
		if fs[0] == "config" {
			flush()
			inLogin = len(fs) >= 2 && fs[1] == "login"
			cur = Entry{}
			return
		}
		if !inLogin || len(fs) < 3 || fs[0] != "option" {
			return
		}
		v := strings.Trim(strings.Join(fs[2:], " "), `'"`)
		switch fs[1] {
		case "username":
			cur.User = v
		case "password":
			cur.Hash, cur.Line = v, l.n
			cur.Plain = Identify(v, false) == SchemeUnknown
			if strings.HasPrefix(v, "$p$") {
				cur.Hash = "" // refers to the system account
			}
		}
	})
	flush()
	return out
}
