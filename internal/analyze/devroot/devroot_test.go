package devroot

import (
	"reflect"
	"testing"
)

func TestFind(t *testing.T) {
	for _, tt := range []struct {
		name  string
		paths []string
		want  []string
	}{
		{"image", []string{"/bin/busybox", "/etc/inittab", "/etc/init.d/rcS", "/usr/share/doc/x/examples/etc/init.d/foo"}, []string{""}},
		{"openwrt tree", []string{"/Makefile", "/files/etc/inetd.conf", "/package/base-files/files/etc/inittab", "/package/base-files/files/etc/init.d/boot", "/package/network/services/dropbear/files/dropbear.init"}, []string{"/files", "/package/base-files/files"}},
		{"buildroot", []string{"/board/acme/hg/rootfs_overlay/etc/init.d/S50telnet", "/board/acme/hg/post-build.sh"}, []string{"/board/acme/hg/rootfs_overlay"}},
		{"yocto", []string{"/meta-acme/recipes-core/base-files/files/etc/crontabs/root"}, []string{"/meta-acme/recipes-core/base-files/files"}},
		{"overlay nested in a rootfs", []string{"/etc/inittab", "/files/etc/inittab"}, []string{"", "/files"}},
		{"marker dir alone is not a root", []string{"/x/etc/init.d"}, nil},
		{"nothing", []string{"/README", "/src/main.c"}, nil},
	} {
		var got []string
		for _, r := range Find("L0", tt.paths) {
			got = append(got, r.Dir)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: roots %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestDevicePath(t *testing.T) {
	roots := Find("L0", []string{"/files/etc/inetd.conf", "/package/base-files/files/etc/inittab"})
	for _, tt := range []struct{ p, root, dev string }{
		{"/files/etc/inetd.conf", "/files", "/etc/inetd.conf"},
		{"/package/base-files/files/etc/inittab", "/package/base-files/files", "/etc/inittab"},
	} {
		r, dp, ok := Of(roots, "L0", tt.p)
		if !ok || r.Dir != tt.root || dp != tt.dev || r.LayerPath(dp) != tt.p {
			t.Errorf("%s: %v %q %v", tt.p, r, dp, ok)
		}
	}
	if _, _, ok := Of(roots, "L0", "/filesystem/etc/x"); ok {
		t.Error("/filesystem is not under /files")
	}
	if _, _, ok := Of(roots, "L1", "/files/etc/inetd.conf"); ok {
		t.Error("another layer matched")
	}
}
