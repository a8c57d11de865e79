package confrules

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
)

func at(rep *model.Report) []string {
	var out []string
	for _, f := range rep.Findings {
		out = append(out, fmt.Sprintf("%s %s:%d %s", f.RuleID, f.Location.Path, f.Location.Line, f.Severity))
	}
	slices.Sort(out)
	return out
}

// TestSourceTree: the rules fire on an OpenWrt/Buildroot overlay
// directory (files/etc/..., package/base-files/files/etc/...,
// board/*/rootfs_overlay/etc/...) as on an unpacked image: sshd's
// Include resolved under the overlay's own root with the first value
// winning, Match blocks judged alone, UCI sections, init scripts, a
// commented line ignored and a .orig copy one severity lower.
func TestSourceTree(t *testing.T) {
	rep := scanDir(t, "testdata/overlay")
	want := []string{
		"TS-CONF-001 /files/etc/ssh/sshd_config.d/10-vendor.conf:2 high",
		"TS-CONF-003 /files/etc/ssh/sshd_config:27 high",
		"TS-CONF-004 /files/etc/ssh/sshd_config:26 medium",
		"TS-CONF-006 /files/etc/ssh/sshd_config.d/10-vendor.conf:3 medium",
		"TS-CONF-060 /package/base-files/files/etc/config/wireless:13 medium",
		"TS-CONF-071 /package/base-files/files/etc/config/firewall:45 high",
		"TS-CONF-080 /board/acme/rootfs_overlay/etc/init.d/S10debug:4 medium",
		"TS-CONF-081 /package/base-files/files/etc/config/system.orig:4 low",
		"TS-CONF-081 /package/base-files/files/etc/config/system:4 medium",
	}
	if got := at(rep); !slices.Equal(got, want) {
		t.Errorf("findings:\n got %q\nwant %q", got, want)
	}
	for _, f := range rep.Findings {
		switch {
		case f.RuleID == "TS-CONF-081" && f.Category != "uart-shell",
			f.RuleID == "TS-CONF-080" && f.Category != "debug-interface",
			f.RuleID == "TS-CONF-004" && f.Evidence != "PasswordAuthentication yes (in match User support); PermitRootLogin yes",
			f.Fingerprint == "" || f.Description == "" || len(f.CWE) == 0 || len(f.Standards) == 0:
			t.Errorf("finding %+v", f)
		}
	}
}

// TestLiveness: for one rule of each syntax, the live setting fires,
// the same setting commented out does not, and each backup copy fires
// one severity lower with a title that says it is a backup copy.
func TestLiveness(t *testing.T) {
	for _, tt := range []struct {
		rule, path, live, commented string
		line                        int
	}{
		{"TS-CONF-001", "/etc/ssh/sshd_config", "Port 22\nPermitRootLogin yes\n", "Port 22\n#PermitRootLogin yes\n", 2},
		{"TS-CONF-040", "/etc/miniupnpd/miniupnpd.conf", "ext_ifname=eth1\nsecure_mode=no\n", "ext_ifname=eth1\n# secure_mode=no\n", 2},
		{"TS-CONF-072", "/etc/config/firewall", "config zone\n\toption name 'wan'\n\toption input 'ACCEPT'\n", "config zone\n\toption name 'wan'\n#\toption input 'ACCEPT'\n", 3},
		{"TS-CONF-021", "/etc/nginx/nginx.conf", "http {\n  autoindex on;\n}\n", "http {\n  # autoindex on;\n}\n", 2},
		{"TS-CONF-021", "/etc/lighttpd/lighttpd.conf", "server.port = 80\nserver.dir-listing = \"enable\"\n", "server.port = 80\n#server.dir-listing = \"enable\"\n", 2},
		{"TS-CONF-070", "/etc/init.d/firewall", "#!/bin/sh\niptables -A INPUT -i wan -p tcp --dport 22 -j ACCEPT\n", "#!/bin/sh\n#iptables -A INPUT -i wan -p tcp --dport 22 -j ACCEPT\n", 2},
		{"TS-CONF-080", "/etc/fstab", "debugfs /sys/kernel/debug debugfs defaults 0 0\n", "# debugfs /sys/kernel/debug debugfs defaults 0 0\n", 1},
		{"TS-CONF-090", "/etc/samba/smb.conf", "[share]\n  guest ok = yes\n  writable = yes\n", "[share]\n  guest ok = yes\n;  writable = yes\n", 2},
		{"TS-CONF-092", "/etc/proftpd/proftpd.conf", "<Anonymous ~ftp>\n  User ftp\n</Anonymous>\n", "#<Anonymous ~ftp>\n#  User ftp\n#</Anonymous>\n", 1},
		{"TS-CONF-082", "/etc/sysctl.conf", "kernel.randomize_va_space = 0\n", "#kernel.randomize_va_space = 0\n", 1},
	} {
		t.Run(tt.rule+tt.path, func(t *testing.T) {
			dir := t.TempDir()
			write := func(p, text string) {
				f := filepath.Join(dir, "root", filepath.FromSlash(p))
				if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			write("/live"+tt.path, tt.live)
			write("/commented"+tt.path, tt.commented)
			backups := []string{".bak", ".orig", "~", ".old", ".save", "-opkg", ".dpkg-old"}
			for _, s := range backups {
				write("/backup"+tt.path+s, tt.live)
			}
			rep := scanDir(t, dir)
			sev := MustNew().severity(tt.rule)
			live, copies := 0, 0
			for _, f := range rep.Findings {
				if f.RuleID != tt.rule {
					continue
				}
				switch {
				case strings.HasPrefix(f.Location.Path, "/root/live/"):
					live++
					if f.Severity != sev || f.Location.Line != tt.line || strings.Contains(f.Title, "backup") {
						t.Errorf("live: %s line %d %q", f.Severity, f.Location.Line, f.Title)
					}
				case strings.HasPrefix(f.Location.Path, "/root/backup/"):
					copies++
					if f.Severity != lower(sev) || f.Severity == sev || !strings.Contains(f.Title, "backup copy") || f.Location.Line != tt.line {
						t.Errorf("backup %s: %s line %d %q", f.Location.Path, f.Severity, f.Location.Line, f.Title)
					}
				default:
					t.Errorf("fired on %s:%d: %s", f.Location.Path, f.Location.Line, f.Evidence)
				}
			}
			if live != 1 || copies != len(backups) {
				t.Errorf("%d live findings, %d in backup copies; want 1 and %d: %q", live, copies, len(backups), at(rep))
			}
		})
	}
}

// TestSSHDInclude: Include with a relative pattern, in a Match block,
// and of a file that is absent (nothing to read, nothing reported).
func TestSSHDInclude(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"etc/ssh/sshd_config":          "Include conf.d/*.conf\nInclude /etc/ssh/missing.conf\nPermitRootLogin yes\nMatch Address 10.0.0.0/8\n\tInclude lan.conf\n",
		"etc/ssh/conf.d/00-hard.conf":  "PasswordAuthentication no\n",
		"etc/ssh/lan.conf":             "PasswordAuthentication yes\n",
		"etc/ssh/sshd_config.d/x.conf": "PermitEmptyPasswords yes\n", // not included
	}
	for p, text := range files {
		f := filepath.Join(dir, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(f), 0o755)
		if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rep := scanDir(t, dir)
	want := []string{
		"TS-CONF-001 /etc/ssh/sshd_config:3 high", // in the Match block, passwords are on again
		"TS-CONF-002 /etc/ssh/sshd_config:3 low",  // elsewhere root logs in with keys only
		"TS-CONF-004 /etc/ssh/lan.conf:1 medium",
	}
	if got := at(rep); !slices.Equal(got, want) {
		t.Errorf("findings:\n got %q\nwant %q", got, want)
	}
}
