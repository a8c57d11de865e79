package services

import (
	"path"
	"sort"
	"strings"

	"github.com/thingsec/thingsec/internal/analyze/devroot"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/model"
)

// Limits on what is read.
const (
	maxFileSize = 1 << 20 // a config file or script larger than this is skipped
	maxReads    = 4000    // files read per device root
)

// device is one device root's file system as seen through the tree:
// device paths mapped to the files of the layer.
type device struct {
	root    devroot.Root
	files   map[string]*model.File // device path -> file
	names   []string               // device paths, sorted
	tree    plugin.Tree
	cache   map[string][]byte
	reads   int
	daemons *table
	skipped []model.Skip
	source  bool // a source tree: no link farm says what is enabled
	parsed  map[string][]node
	// steps counts the commands run over the whole device, so that
	// scripts that source or call each other stay cheap together
	steps int
}

// script is the parsed script at device path p, parsed once.
func (d *device) script(p string) ([]node, []byte, bool) {
	src, ok := d.read(p)
	if !ok {
		return nil, nil, false
	}
	if d.parsed == nil {
		d.parsed = map[string][]node{}
	}
	rp, _ := d.lookup(p)
	n, ok := d.parsed[rp]
	if !ok {
		n = parse(src)
		d.parsed[rp] = n
	}
	return n, src, true
}

func newDevice(t plugin.Tree, r devroot.Root, files []model.File, tab *table) *device {
	d := &device{root: r, files: map[string]*model.File{}, tree: t, cache: map[string][]byte{}, daemons: tab}
	for i := range files {
		f := &files[i]
		if f.Layer != r.Layer {
			continue
		}
		dp, ok := r.DevicePath(f.Path)
		if !ok || dp == "/" {
			continue
		}
		if _, dup := d.files[dp]; !dup {
			d.files[dp] = f
			d.names = append(d.names, dp)
		}
	}
	sort.Strings(d.names)
	return d
}

// lookup follows symbolic links (at most 16) to the file p names.
func (d *device) lookup(p string) (string, *model.File) {
	p = path.Clean(p)
	for range 16 {
		f := d.files[p]
		if f == nil {
			// a link in a parent directory: /usr/sbin -> /bin ...
			dir, base := path.Split(p)
			dir = path.Clean(dir)
			if dir == "/" || dir == "." {
				return p, nil
			}
			rd, df := d.lookup(dir)
			if df == nil || rd == dir {
				return p, nil
			}
			p = path.Join(rd, base)
			f = d.files[p]
			if f == nil {
				return p, nil
			}
		}
		if f.Type != "symlink" || f.LinkTarget == "" {
			return p, f
		}
		t := f.LinkTarget
		if !strings.HasPrefix(t, "/") {
			t = path.Join(path.Dir(p), t)
		}
		p = path.Clean(t)
	}
	return p, nil
}

func (d *device) isFile(p string) bool {
	_, f := d.lookup(p)
	return f != nil && f.Type != "directory"
}

// read returns the content of the regular file at device path p.
func (d *device) read(p string) ([]byte, bool) {
	rp, f := d.lookup(p)
	if f == nil || f.Type == "directory" {
		return nil, false
	}
	if b, ok := d.cache[rp]; ok {
		return b, b != nil
	}
	if f.Size > maxFileSize {
		d.skipped = append(d.skipped, model.Skip{Analyzer: Name, Layer: f.Layer, Path: f.Path, Size: f.Size, Reason: "over the 1048576-byte size limit of the service analysis"})
		d.cache[rp] = nil
		return nil, false
	}
	if d.reads >= maxReads {
		return nil, false
	}
	d.reads++
	b, err := d.tree.ReadFile(f.Layer, f.Path, maxFileSize)
	if err != nil {
		b = nil
	}
	d.cache[rp] = b
	return b, b != nil
}

// loc is the location of device path p at line.
func (d *device) loc(p string, line int) model.Location {
	return model.Location{Layer: d.root.Layer, Chain: d.tree.Chain(d.root.Layer), Path: d.root.LayerPath(p), Line: line}
}

// glob expands a device-path pattern, leaving out backup copies.
func (d *device) glob(pat string) []string {
	dir := path.Dir(pat)
	var out []string
	i := sort.SearchStrings(d.names, dir+"/")
	for ; i < len(d.names) && strings.HasPrefix(d.names[i], dir+"/"); i++ {
		n := d.names[i]
		if path.Dir(n) != dir || isBackup(n) {
			continue
		}
		if ok, err := path.Match(pat, n); err == nil && ok {
			out = append(out, n)
		}
	}
	return out
}

// under lists the device paths directly in dir.
func (d *device) under(dir string) []string {
	dir = strings.TrimSuffix(dir, "/")
	var out []string
	i := sort.SearchStrings(d.names, dir+"/")
	for ; i < len(d.names) && strings.HasPrefix(d.names[i], dir+"/"); i++ {
		if path.Dir(d.names[i]) == dir {
			out = append(out, d.names[i])
		}
	}
	return out
}

var searchPath = []string{"/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"}

// resolve finds the file a program name runs: the device path as
// written or found on PATH, and the file it resolves to through links.
func (d *device) resolve(prog string) (written, real string, f *model.File) {
	if strings.Contains(prog, "/") {
		if !strings.HasPrefix(prog, "/") {
			return prog, "", nil
		}
		r, f := d.lookup(prog)
		return path.Clean(prog), r, f
	}
	for _, dir := range searchPath {
		p := dir + "/" + prog
		if r, f := d.lookup(p); f != nil {
			return p, r, f
		}
	}
	return "", "", nil
}

// resolveScript is the device path of the init script cmd runs, or "".
func (d *device) resolveScript(cmd string) string {
	if !strings.HasPrefix(cmd, "/") {
		return ""
	}
	w, r, f := d.resolve(cmd)
	if f == nil {
		return ""
	}
	for _, p := range []string{w, r} {
		if strings.HasPrefix(p, "/etc/init.d/") || strings.HasPrefix(p, "/etc/rc.d/") || strings.HasPrefix(p, "/etc/rc") && strings.Contains(p, ".d/") || p == "/etc/rc.local" {
			return r
		}
	}
	return ""
}

// daemonish says whether a command in a boot script runs a service
// rather than a one-shot tool.
func (d *device) daemonish(cmd string, args []string) bool {
	base := path.Base(cmd)
	if e := d.daemons.lookup(base); e != nil {
		if base == "nc" || base == "netcat" || base == "ncat" || base == "socat" {
			return len(shellListener(base, args)) > 0 || listenerOf(base, args) != nil
		}
		return true
	}
	if len(base) > 3 && strings.HasSuffix(base, "d") && !notDaemon[base] {
		return true
	}
	return false
}

// notDaemon are program names ending in d that are not daemons, and
// "local" daemons that are not worth listing when started in the
// foreground.
var notDaemon = map[string]bool{
	"insmod": true, "rmmod": true, "passwd": true, "chpasswd": true, "mkpasswd": true, "head": true, "find": true, "sed": true,
	"uniq": true, "sync": true, "modprobe": true, "dd": true, "mknod": true, "chmod": true, "mkfs.ubifs": true, "lsmod": true,
	"blkid": true, "fold": true, "expand": true, "unexpand": true, "ubiupdatevol": true, "sysupgrade": true,
	"ifdown": true, "udhcpc": true, "odhcp6c": true, "newgrp": true, "usermod": true, "groupadd": true, "useradd": true,
	"userdel": true, "groupmod": true, "ifupdown": true,
}

func isBackup(p string) bool {
	b := path.Base(p)
	for _, s := range []string{".bak", ".orig", "~", ".old", ".save", "-opkg", ".dpkg-old", ".dpkg-dist", ".rpmsave", ".rpmnew"} {
		if strings.HasSuffix(b, s) {
			return true
		}
	}
	return false
}

// unbackup is the name a backup copy stands for.
func unbackup(p string) string {
	for _, s := range []string{".bak", ".orig", "~", ".old", ".save", "-opkg", ".dpkg-old", ".dpkg-dist", ".rpmsave", ".rpmnew"} {
		if q, ok := strings.CutSuffix(p, s); ok {
			return q
		}
	}
	return p
}
