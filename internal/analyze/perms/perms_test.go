package perms

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
)

// TestParseMode reads back every mode model.LsMode writes.
func TestParseMode(t *testing.T) {
	types := []fs.FileMode{0, fs.ModeDir, fs.ModeSymlink, fs.ModeDevice | fs.ModeCharDevice, fs.ModeDevice, fs.ModeNamedPipe, fs.ModeSocket}
	for _, typ := range types {
		for perm := fs.FileMode(0); perm < 0o1000; perm++ {
			for _, sp := range []fs.FileMode{0, fs.ModeSetuid, fs.ModeSetgid, fs.ModeSticky, fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky} {
				m := typ | perm | sp
				s := model.LsMode(m)
				got, ok := ParseMode(s)
				if !ok || got != m {
					t.Fatalf("%v -> %q -> %v %v", m, s, got, ok)
				}
			}
		}
	}
	for _, bad := range []string{"", "-rwxr-xr-", "xrwxr-xr-x", "-rwxr-xr-q", "-rwsr-xr-xx"} {
		if _, ok := ParseMode(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestRules(t *testing.T) {
	type file struct {
		path, mode string
		uid, gid   int
		text       string
	}
	for _, tt := range []struct {
		name     string
		format   string
		files    []file
		services []model.Service
		want     []string // rule severity path
	}{
		{"setuid to a non-root user is low", "squashfs",
			[]file{{"/usr/bin/game", "-rwsr-xr-x", 5, 5, "x"}}, nil,
			[]string{"TS-PERM-004 low /usr/bin/game"}},
		{"setgid-root shell is high", "squashfs",
			[]file{{"/bin/sh", "-rwxr-sr-x", 0, 0, "x"}}, nil,
			[]string{"TS-PERM-004 high /bin/sh"}},
		{"a world-writable service binary runs at boot", "squashfs",
			[]file{{"/opt/app/appd", "-rwxrwxrwx", 0, 0, "x"}, {"/opt/app/readme", "-rw-rw-rw-", 0, 0, "x"}},
			[]model.Service{{Name: "appd", Binary: "/opt/app/appd"}},
			[]string{"TS-PERM-003 high /opt/app/appd", "TS-PERM-001 medium /opt/app/readme"}},
		{"scratch places, sticky dirs, links and devices are fine", "squashfs",
			[]file{{"/tmp", "drwxrwxrwt", 0, 0, ""}, {"/var/run/x.sock", "srwxrwxrwx", 0, 0, ""}, {"/var/spool/mail", "drwxrwxrwt", 0, 0, ""},
				{"/bin/sh", "lrwxrwxrwx", 0, 0, ""}, {"/dev/ttyS0", "crw-rw-rw-", 0, 0, ""}, {"/tmp/x", "-rwxrwxrwx", 0, 0, "x"}}, nil,
			nil},
		{"a format without Unix modes gives nothing", "fat",
			[]file{{"/etc/shadow", "-rw-r--r--", 0, 0, "root:$6$x$y:1::::::\n"}, {"/app", "-rwxrwxrwx", 0, 0, "x"}}, nil,
			nil},
		{"shadow with locked accounts only, public key, encrypted key", "ubifs",
			[]file{{"/etc/shadow", "-rw-r--r--", 0, 0, "root:*:1::::::\nx:!:1::::::\n"}, {"/etc/ssh/ssh_host_rsa_key.pub", "-rw-r--r--", 0, 0, "ssh-rsa AAAA"},
				{"/etc/ssl/a.key", "-rw-r--r--", 0, 0, "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"}}, nil,
			nil},
		{"readable secrets", "jffs2",
			[]file{{"/etc/ssh/ssh_host_rsa_key", "-rw-r--r--", 0, 0, "-----BEGIN OPENSSH PRIVATE KEY-----\n"},
				{"/etc/wpa_supplicant/wpa_supplicant-wlan0.conf", "-rw-r--r--", 0, 0, "network={\n psk=0123456789abcdef\n}\n"},
				{"/etc/wpa_supplicant.conf", "-rw-r--r--", 0, 0, "network={\n#psk=\"x\"\n key_mgmt=NONE\n}\n"}}, nil,
			[]string{"TS-PERM-006 medium /etc/ssh/ssh_host_rsa_key", "TS-PERM-006 medium /etc/wpa_supplicant/wpa_supplicant-wlan0.conf"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tree := &memTree{}
			for _, f := range tt.files {
				tree.add(t, "L1", f.path, f.mode, []byte(f.text))
				tree.files[len(tree.files)-1].UID, tree.files[len(tree.files)-1].GID = f.uid, f.gid
			}
			var got []string
			for _, f := range run(t, tree, tt.format, tt.services...) {
				got = append(got, f.RuleID+" "+string(f.Severity)+" "+f.Location.Path)
				if f.Category != "file-permissions" || f.Fingerprint == "" || f.Location.Chain == "" {
					t.Errorf("unfilled %+v", f)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}
