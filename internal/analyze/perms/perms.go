// Package perms reports risky file permissions of a device's file
// systems: world-writable files and directories outside the scratch
// places, world-writable programs and scripts that run at boot,
// set-user-ID and set-group-ID programs, and sensitive files (shadow,
// private keys, Wi-Fi and PPP secrets, credential databases) any local
// user can read.
//
// Modes mean something only where the image records them: the file
// systems and archives that store Unix permissions (squashfs, cramfs,
// JFFS2, UBIFS, YAFFS2, ext2/3/4, cpio, tar). A plain directory (a source
// tree, a git checkout, an extraction by a non-root user) and formats
// without Unix modes (FAT, ISO 9660, raw partitions) carry the modes of
// whoever wrote them, so no permission finding is made there.
package perms

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/sqlitefile"
)

// Rule IDs; their catalog entries are in rules/findings/perms.yaml.
const (
	RuleWorldWritableFile = "TS-PERM-001"
	RuleWorldWritableDir  = "TS-PERM-002"
	RuleWritableBoot      = "TS-PERM-003"
	RuleUnexpectedSetuid  = "TS-PERM-004"
	RuleCommonSetuid      = "TS-PERM-005"
	RuleReadableSecret    = "TS-PERM-006"
)

// modeFormats are the layer formats that record Unix permissions.
var modeFormats = map[string]bool{
	"squashfs": true, "cramfs": true, "jffs2": true, "ubifs": true, "yaffs2": true,
	"extfs": true, "cpio": true, "tar": true,
}

// Analyzer is the permissions TreeAnalyzer.
type Analyzer struct {
	cat *catalog.Catalog
}

// New builds the analyzer.
func New() *Analyzer { return &Analyzer{cat: catalog.MustDefault()} }

// Name implements plugin.TreeAnalyzer.
func (a *Analyzer) Name() string { return "perms" }

// ParseMode reads an ls-style mode ("-rwsr-xr-x", "drwxrwxrwt") back
// into an fs.FileMode; ok is false for anything else.
func ParseMode(s string) (fs.FileMode, bool) {
	if len(s) != 10 {
		return 0, false
	}
	var m fs.FileMode
	switch s[0] {
	case '-':
	case 'd':
		m |= fs.ModeDir
	case 'l':
		m |= fs.ModeSymlink
	case 'c':
		m |= fs.ModeDevice | fs.ModeCharDevice
	case 'b':
		m |= fs.ModeDevice
	case 'p':
		m |= fs.ModeNamedPipe
	case 's':
		m |= fs.ModeSocket
	default:
		return 0, false
	}
	const rwx = "rwxrwxrwx"
	for i := 0; i < 9; i++ {
		c := s[i+1]
		switch {
		case c == rwx[i]:
			m |= 1 << uint(8-i)
		case c == '-':
		case i == 2 && (c == 's' || c == 'S'):
			m |= fs.ModeSetuid
			if c == 's' {
				m |= 0o100
			}
		case i == 5 && (c == 's' || c == 'S'):
			m |= fs.ModeSetgid
			if c == 's' {
				m |= 0o010
			}
		case i == 8 && (c == 't' || c == 'T'):
			m |= fs.ModeSticky
			if c == 't' {
				m |= 0o001
			}
		default:
			return 0, false
		}
	}
	return m, true
}

// entry is one file of a layer that records modes.
type entry struct {
	f    model.File
	mode fs.FileMode
}

// AnalyzeTree implements plugin.TreeAnalyzer.
func (a *Analyzer) AnalyzeTree(ctx context.Context, t plugin.Tree, rep *model.Report, out *plugin.Results) error {
	layers := map[string]bool{}
	for _, l := range rep.Layers {
		if modeFormats[l.Format] && l.Extracted {
			layers[l.ID] = true
		}
	}
	if len(layers) == 0 {
		return nil
	}
	boot := bootPrograms(rep)
	for _, f := range t.Files() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !layers[f.Layer] {
			continue
		}
		m, ok := ParseMode(f.Mode)
		if !ok || m&fs.ModeSymlink != 0 {
			continue
		}
		e := entry{f, m}
		a.writable(e, boot[f.Path], out, t)
		a.setuid(e, out, t)
		a.readable(e, out, t)
	}
	return nil
}

// scratch places are meant to be writable by everyone.
func scratch(p string) bool {
	for _, d := range []string{"/tmp", "/var/tmp", "/dev", "/run", "/var/run", "/var/lock", "/run/lock", "/dev/shm", "/proc", "/sys"} {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// bootPrograms are the files that run at boot: init scripts, the
// inittab, rc.local, unit files, crontabs, and the binaries of the
// services the service graph found.
func bootPrograms(rep *model.Report) map[string]bool {
	m := map[string]bool{}
	for _, s := range rep.Services {
		if s.Binary != "" {
			m[s.Binary] = true
		}
		if s.Location.Path != "" {
			m[s.Location.Path] = true
		}
	}
	return m
}

func bootPath(p string) bool {
	for _, pre := range []string{"/etc/init.d/", "/etc/rc.d/", "/etc/rcS.d/", "/etc/rc0.d/", "/etc/rc1.d/", "/etc/rc2.d/", "/etc/rc3.d/",
		"/etc/rc4.d/", "/etc/rc5.d/", "/etc/rc6.d/", "/etc/systemd/system/", "/lib/systemd/system/", "/usr/lib/systemd/system/",
		"/etc/crontabs/", "/etc/cron.d/", "/var/spool/cron/", "/etc/hotplug.d/", "/etc/uci-defaults/", "/etc/profile.d/"} {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	switch p {
	case "/etc/inittab", "/etc/rc.local", "/etc/rc", "/etc/rc.common", "/etc/preinit", "/etc/profile", "/etc/crontab", "/init", "/linuxrc", "/sbin/init":
		return true
	}
	return false
}

func (a *Analyzer) writable(e entry, started bool, out *plugin.Results, t plugin.Tree) {
	m := e.mode
	if m&0o002 == 0 || scratch(e.f.Path) || m&(fs.ModeDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0 {
		return
	}
	if m.IsDir() {
		if bootPath(e.f.Path+"/") || e.f.Path == "/etc/init.d" || e.f.Path == "/etc/rc.d" {
			a.add(out, t, e, RuleWritableBoot, "", fmt.Sprintf("World-writable directory of boot scripts %s", e.f.Path), "")
			return
		}
		if m&fs.ModeSticky != 0 {
			return // like /tmp: everyone may add, only owners may remove
		}
		a.add(out, t, e, RuleWorldWritableDir, "", "", "")
		return
	}
	if started || bootPath(e.f.Path) {
		a.add(out, t, e, RuleWritableBoot, "", "World-writable file run at boot: "+e.f.Path, "")
		return
	}
	var sev model.Severity
	if m&0o111 != 0 || strings.HasPrefix(e.f.Path, "/etc/") {
		sev = model.High // a program or a configuration anyone can replace
	}
	a.add(out, t, e, RuleWorldWritableFile, sev, "", "")
}

// commonSetuid are programs distributions ship set-user-ID or
// set-group-ID to do their one job.
var commonSetuid = map[string]bool{
	"passwd": true, "su": true, "sudo": true, "sudoedit": true, "ping": true, "ping6": true, "mount": true, "umount": true,
	"chsh": true, "chfn": true, "newgrp": true, "gpasswd": true, "pppd": true, "fusermount": true, "fusermount3": true,
	"pkexec": true, "crontab": true, "ssh-agent": true, "wall": true, "write": true, "expiry": true, "chage": true,
	"unix_chkpwd": true, "dbus-daemon-launch-helper": true, "newuidmap": true, "newgidmap": true, "mount.nfs": true,
	"mount.cifs": true, "ssh-keysign": true, "traceroute6": true, "at": true, "sg": true, "Xorg.wrap": true,
	"ntfs-3g": true, "polkit-agent-helper-1": true, "bsd-write": true, "dotlockfile": true, "mlocate": true, "plocate": true,
	"screen": true, "utempter": true, "vlock": true, "doas": true, "arping": true, "mtr-packet": true,
}

// shellLike programs give whoever runs them set-user-ID a root shell.
var shellLike = map[string]bool{
	"sh": true, "ash": true, "bash": true, "dash": true, "zsh": true, "ksh": true, "mksh": true, "hush": true, "busybox": true,
	"toybox": true, "python": true, "python3": true, "perl": true, "lua": true, "lua5.1": true, "lua5.3": true, "lua5.4": true,
	"env": true, "find": true, "vi": true, "vim": true, "awk": true, "gawk": true, "nmap": true, "tclsh": true, "php": true,
	"node": true, "ruby": true, "less": true, "more": true, "tar": true, "cp": true, "dd": true, "nc": true, "socat": true,
}

func (a *Analyzer) setuid(e entry, out *plugin.Results, t plugin.Tree) {
	m := e.mode
	if !m.IsRegular() || m&(fs.ModeSetuid|fs.ModeSetgid) == 0 || m&0o111 == 0 {
		return
	}
	bits := "set-user-ID"
	switch {
	case m&fs.ModeSetuid != 0 && m&fs.ModeSetgid != 0:
		bits = "set-user-ID and set-group-ID"
	case m&fs.ModeSetgid != 0:
		bits = "set-group-ID"
	}
	owner := fmt.Sprintf("uid %d", e.f.UID)
	if m&fs.ModeSetuid == 0 {
		owner = fmt.Sprintf("gid %d", e.f.GID)
	}
	if m&fs.ModeSetuid != 0 && e.f.UID == 0 {
		owner = "root"
	}
	ev := fmt.Sprintf("%s %s (%s)", e.f.Mode, bits, owner)
	base := path.Base(e.f.Path)
	rootSUID := m&fs.ModeSetuid != 0 && e.f.UID == 0
	switch {
	case shellLike[base] && (rootSUID || m&fs.ModeSetgid != 0 && e.f.GID == 0):
		a.add(out, t, e, RuleUnexpectedSetuid, model.High, fmt.Sprintf("Shell or interpreter %s is %s %s", e.f.Path, bits, owner), ev)
	case commonSetuid[base]:
		a.add(out, t, e, RuleCommonSetuid, "", fmt.Sprintf("%s program %s", upper(bits), e.f.Path), ev)
	case !rootSUID:
		a.add(out, t, e, RuleUnexpectedSetuid, model.Low, fmt.Sprintf("Unexpected %s program %s (%s)", bits, e.f.Path, owner), ev)
	default:
		a.add(out, t, e, RuleUnexpectedSetuid, "", fmt.Sprintf("Unexpected %s-root program %s", bits, e.f.Path), ev)
	}
}

func upper(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// maxSniff bounds what is read of a candidate sensitive file.
const maxSniff = 1 << 20

func (a *Analyzer) readable(e entry, out *plugin.Results, t plugin.Tree) {
	m := e.mode
	if !m.IsRegular() || m&0o004 == 0 || e.f.Size == 0 {
		return
	}
	p := e.f.Path
	base := path.Base(p)
	var what string
	switch {
	case p == "/etc/shadow" || p == "/etc/gshadow" || p == "/etc/shadow-" || p == "/etc/gshadow-" || p == "/etc/master.passwd":
		data, ok := a.read(t, e)
		if ok && hasPasswordHash(data) {
			what = "password hashes"
		}
	case strings.HasSuffix(base, ".key") || strings.HasSuffix(base, ".pem") || strings.HasPrefix(base, "id_") && !strings.HasSuffix(base, ".pub") ||
		strings.HasPrefix(base, "ssh_host_") && strings.HasSuffix(base, "_key") || strings.HasSuffix(base, "_rsa") || strings.HasSuffix(base, "_ecdsa") || strings.HasSuffix(base, "_ed25519"):
		data, ok := a.read(t, e)
		if ok && bytes.Contains(data, []byte("PRIVATE KEY-----")) && !bytes.Contains(data, []byte("ENCRYPTED")) {
			what = "an unencrypted private key"
		}
	case strings.HasPrefix(base, "wpa_supplicant") && strings.HasSuffix(base, ".conf"):
		data, ok := a.read(t, e)
		if ok && liveLine(data, func(l string) bool {
			return strings.HasPrefix(l, "psk=") || strings.HasPrefix(l, "password=") || strings.HasPrefix(l, "wep_key")
		}) {
			what = "Wi-Fi passphrases"
		}
	case p == "/etc/ppp/chap-secrets" || p == "/etc/ppp/pap-secrets":
		data, ok := a.read(t, e)
		if ok && liveLine(data, func(l string) bool { return len(strings.Fields(l)) >= 3 }) {
			what = "PPP secrets"
		}
	case e.f.Type == "database" || strings.HasSuffix(base, ".db") || strings.HasSuffix(base, ".sqlite") || strings.HasSuffix(base, ".sqlite3"):
		data, ok := a.read(t, e)
		if ok && credentialTable(data) != "" {
			what = "account passwords (table " + credentialTable(data) + ")"
		}
	}
	if what == "" {
		return
	}
	a.add(out, t, e, RuleReadableSecret, "", fmt.Sprintf("%s readable by every user: it holds %s", p, what), e.f.Mode)
}

func (a *Analyzer) read(t plugin.Tree, e entry) ([]byte, bool) {
	if e.f.Size > maxSniff {
		return nil, false
	}
	data, err := t.ReadFile(e.f.Layer, e.f.Path, maxSniff)
	return data, err == nil
}

// liveLine: a line that is not a comment satisfies ok.
func liveLine(data []byte, ok func(string) bool) bool {
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || l[0] == '#' {
			continue
		}
		if ok(l) {
			return true
		}
	}
	return false
}

// hasPasswordHash: a shadow line with a password field that is not
// locked or empty.
func hasPasswordHash(data []byte) bool {
	return liveLine(data, func(l string) bool {
		f := strings.Split(l, ":")
		return len(f) > 1 && f[1] != "" && f[1][0] != '!' && f[1][0] != '*' && f[1] != "x"
	})
}

// credentialTable names the first table of an SQLite database with a
// password column.
func credentialTable(data []byte) string {
	db, err := sqlitefile.Open(data)
	if err != nil {
		return ""
	}
	tables, _ := db.Tables()
	for _, t := range tables {
		for _, c := range t.Columns {
			l := strings.ToLower(c)
			if strings.Contains(l, "passw") || strings.Contains(l, "passwd") || l == "pwd" || strings.HasSuffix(l, "_pwd") {
				return t.Name
			}
		}
	}
	return ""
}

// add fills a finding from the catalog; sev and title override the
// catalog's when set.
func (a *Analyzer) add(out *plugin.Results, t plugin.Tree, e entry, rule string, sev model.Severity, title, ev string) {
	if ev == "" {
		ev = e.f.Mode
	}
	f := model.Finding{RuleID: rule, Title: title, Severity: sev, Evidence: ev,
		Location:    model.Location{Layer: e.f.Layer, Chain: t.Chain(e.f.Layer), Path: e.f.Path},
		Fingerprint: model.Fingerprint(rule, e.f.Path, "")}
	if err := a.cat.Fill(&f); err != nil {
		panic(err)
	}
	if title == "" {
		f.Title = fmt.Sprintf("%s: %s", f.Title, e.f.Path)
	}
	out.Findings = append(out.Findings, f)
}
