// Package devroot finds the directories of a scanned tree that stand for
// a device's root file system, and maps a file to its path on the device.
// In an unpacked image the root of the file-system layer is the device
// root. In a source tree the device's files live in overlay directories:
// OpenWrt's files/ and package/base-files/files/, Buildroot's
// board/*/rootfs_overlay/, Yocto's recipes-*/*/files/, or any directory
// that holds etc/inittab, etc/init.d/ and the like.
package devroot

import (
	"path"
	"sort"
	"strings"
)

// markers are paths, relative to a device root, whose presence makes a
// directory a device root. A trailing slash means "a file below".
var markers = []string{
	"etc/inittab",
	"etc/init.d/",
	"etc/rc.d/",
	"etc/config/",
	"etc/inetd.conf",
	"etc/xinetd.d/",
	"etc/crontabs/",
	"etc/cron.d/",
	"etc/crontab",
	"etc/rc.local",
	"etc/systemd/system/",
	"lib/systemd/system/",
	"usr/lib/systemd/system/",
	"etc/passwd",
	"etc/shadow",
}

// Root is one device root: the directory Dir (no trailing slash, "" for
// the top of the tree) of layer Layer.
type Root struct {
	Layer string
	Dir   string
}

// DevicePath is p (a path of r's layer, starting with /) on the device,
// and whether p lies under r.
func (r Root) DevicePath(p string) (string, bool) {
	if r.Dir == "" {
		return p, strings.HasPrefix(p, "/")
	}
	if rest, ok := strings.CutPrefix(p, r.Dir); ok && (rest == "" || rest[0] == '/') {
		if rest == "" {
			rest = "/"
		}
		return rest, true
	}
	return "", false
}

// LayerPath is the path in r's layer of device path dp.
func (r Root) LayerPath(dp string) string {
	return r.Dir + path.Clean("/"+dp)
}

// overlay says whether dir (no trailing slash) is a known overlay
// directory of a build system, root or not.
func overlay(dir string) bool {
	parts := strings.Split(strings.TrimPrefix(dir, "/"), "/")
	n := len(parts)
	last := parts[n-1]
	switch {
	case last == "rootfs_overlay" || last == "rootfs-overlay":
		return true
	case last == "files" && n >= 2 && parts[n-2] == "base-files":
		return true
	case last == "files" && n == 1:
		return true // OpenWrt's top-level files/ overlay
	case last == "files" && n >= 3 && strings.HasPrefix(parts[n-3], "recipes-"):
		return true // Yocto: meta-x/recipes-y/z/files
	}
	return false
}

// Find returns the device roots among the paths of one layer, shortest
// first. A root nested inside another root is dropped unless it is a
// known overlay directory: /usr/share/doc/x/examples/etc/init.d/ of an
// image is part of the image, not a second device.
func Find(layer string, paths []string) []Root {
	found := map[string]bool{}
	for _, p := range paths {
		p = path.Clean("/" + p)
		for _, m := range markers {
			dir, sub := strings.CutSuffix(m, "/")
			var i int
			if sub {
				i = strings.Index(p+"/", "/"+dir+"/")
				if i >= 0 && len(p) <= i+len(dir)+1 {
					i = -1 // the marker directory itself, not a file below it
				}
			} else {
				if strings.HasSuffix(p, "/"+m) {
					i = len(p) - len(m) - 1
				} else {
					i = -1
				}
			}
			if i >= 0 {
				found[p[:i]] = true
			}
		}
	}
	dirs := make([]string, 0, len(found))
	for d := range found {
		dirs = append(dirs, d)
	}
	sort.Slice(dirs, func(i, j int) bool {
		if len(dirs[i]) != len(dirs[j]) {
			return len(dirs[i]) < len(dirs[j])
		}
		return dirs[i] < dirs[j]
	})
	var roots []Root
	for _, d := range dirs {
		nested := false
		for _, r := range roots {
			if _, ok := r.DevicePath(d); ok && r.Dir != d {
				nested = true
				break
			}
		}
		if nested && !overlay(d) {
			continue
		}
		roots = append(roots, Root{Layer: layer, Dir: d})
	}
	return roots
}

// Of returns the root among roots that holds p (the deepest), and p's
// device path.
func Of(roots []Root, layer, p string) (Root, string, bool) {
	var best Root
	var dp string
	ok := false
	for _, r := range roots {
		if r.Layer != layer {
			continue
		}
		if d, in := r.DevicePath(p); in && (!ok || len(r.Dir) > len(best.Dir)) {
			best, dp, ok = r, d, true
		}
	}
	return best, dp, ok
}
