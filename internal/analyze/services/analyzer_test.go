package services

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/engine"
	"github.com/thingsec/thingsec/internal/model"
)

// tree writes files (a value "-> target" is a symbolic link) and scans
// the directory with the analyzer.
func tree(t *testing.T, files map[string]string) *model.Report {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(c, "-> "); ok {
			if err := os.Symlink(target, full); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(full, []byte(c), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := engine.Scan(context.Background(), engine.Config{Target: dir, Workers: 1, Trees: []plugin.TreeAnalyzer{MustNew()}})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// describe is a service in one line: name, mechanism, location, user,
// listeners, auth, TLS, binary, console.
func describe(s model.Service) string {
	var ls []string
	for _, l := range s.Listen {
		ls = append(ls, fmt.Sprintf("%s/%s:%d", l.Protocol, l.Address, l.Port))
	}
	return fmt.Sprintf("%s %s %s:%d user=%s listen=%s auth=%s tls=%s bin=%s console=%s args=%s", s.Name, s.StartedBy, s.Location.Path, s.Location.Line,
		s.User, strings.Join(ls, ","), s.Auth, s.TLS, s.Binary, s.Console, strings.Join(s.Args, " "))
}

func TestServices(t *testing.T) {
	busybox := map[string]string{"/bin/busybox": "\x7fELF", "/usr/sbin/telnetd": "-> ../../bin/busybox", "/usr/sbin/httpd": "-> /bin/busybox", "/bin/sh": "-> busybox"}
	with := func(m map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range busybox {
			out[k] = v
		}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	for _, tt := range []struct {
		name  string
		files map[string]string
		want  []string // describe() of every service, in any order
	}{
		{
			name: "rcS: sourced variables, defaults, continuation, background, case start",
			files: with(map[string]string{
				"/etc/inittab":          "::sysinit:/etc/init.d/rcS\n::askfirst:-/bin/sh\n::ctrlaltdel:/sbin/reboot\n",
				"/etc/default/web":      "WEB_PORT=8080\nexport TELNET_OPTS=\"-p 2323\"\n",
				"/etc/init.d/rcS":       "#!/bin/sh\n. /etc/default/web\nhttpd -p ${WEB_PORT:-80} -h /www\n# telnetd -l /bin/sh\nfor s in /etc/init.d/S??*; do\n\t[ -x \"$s\" ] && \"$s\" start\ndone\n",
				"/etc/init.d/S50telnet": "#!/bin/sh\nstart() {\n\t/usr/sbin/telnetd \\\n\t\t$TELNET_OPTS -F &\n}\ncase \"$1\" in\n\tstart) start ;;\n\tstop) killall telnetd ;;\n\t*) echo usage ;;\nesac\n",
				"/etc/init.d/S60x.bak":  "#!/bin/sh\nnc -l -p 1 -e /bin/sh &\n",
			}),
			want: []string{
				"httpd rcS /etc/init.d/rcS:3 user= listen=tcp/:8080 auth=none tls=no bin=/bin/busybox console= args=-p 8080 -h /www",
				"telnetd init.d /etc/init.d/S50telnet:3 user= listen=tcp/:2323 auth=password tls=no bin=/bin/busybox console= args=-p 2323 -F",
				"sh inittab /etc/inittab:2 user= listen= auth=none tls= bin=/bin/busybox console=console args=",
			},
		},
		{
			name: "OpenWrt procd with UCI and rc.d links",
			files: map[string]string{
				"/etc/init.d/dropbear":    "#!/bin/sh /etc/rc.common\n\nSTART=19\nUSE_PROCD=1\nPROG=/usr/sbin/dropbear\n\nstart_service() {\n\tprocd_open_instance\n\tprocd_set_param command \"$PROG\" -F -P /var/run/dropbear.pid\n\tprocd_append_param command -p 2222\n\tprocd_set_param respawn\n\tprocd_close_instance\n}\n",
				"/etc/rc.d/S19dropbear":   "-> ../init.d/dropbear",
				"/etc/config/dropbear":    "config dropbear\n\toption PasswordAuth 'on'\n\toption RootPasswordAuth 'on'\n\toption Port         '2222'\n\t# option Interface 'lan'\n",
				"/lib/functions/procd.sh": "_procd_open_instance() {\n\tjson_add_object \"$1\"\n}\nprocd_open_instance() {\n\t_procd_wrapper\n}\n",
				"/etc/init.d/uhttpd":      "#!/bin/sh /etc/rc.common\nSTART=50\nUSE_PROCD=1\n. /lib/functions/procd.sh\nstart_service() {\n\tprocd_open_instance\n\tprocd_set_param command /usr/sbin/uhttpd -f -h /www\n\tprocd_close_instance\n}\n",
				"/etc/config/uhttpd":      "config uhttpd 'main'\n\tlist listen_http\t'0.0.0.0:80'\n\tlist listen_http\t'[::]:80'\n\tlist listen_https\t'0.0.0.0:443'\n",
				"/etc/rc.d/S50uhttpd":     "-> ../init.d/uhttpd",
				"/etc/init.d/tftpd":       "#!/bin/sh /etc/rc.common\nUSE_PROCD=1\nstart_service() {\n\tprocd_open_instance\n\tprocd_set_param command /usr/sbin/in.tftpd -L\n\tprocd_close_instance\n}\n",
				"/usr/sbin/dropbear":      "\x7fELF",
			},
			want: []string{
				"dropbear procd /etc/init.d/dropbear:9 user= listen=tcp/:2222 auth=password+key tls=yes bin=/usr/sbin/dropbear console= args=-F -P /var/run/dropbear.pid -p 2222",
				"uhttpd procd /etc/init.d/uhttpd:7 user= listen=tcp/0.0.0.0:80,tcp/:::80,tcp/0.0.0.0:443 auth=none tls=no bin=/usr/sbin/uhttpd console= args=-f -h /www",
			},
		},
		{
			name: "OpenWrt rcS runs the rc.d links; a script without a link stays off",
			files: map[string]string{
				"/etc/inittab":          "::sysinit:/etc/init.d/rcS S boot\n::shutdown:/etc/init.d/rcS K shutdown\n::askconsole:/usr/libexec/login.sh\n",
				"/etc/init.d/rcS":       "#!/bin/sh\n# Copyright (C) 2006 OpenWrt.org\n\nrun_scripts() {\n\tfor i in /etc/rc.d/$1*; do\n\t\t[ -x $i ] && $i $2 2>&1\n\tdone | $LOGGER\n}\n\nLOGGER=\"cat\"\n[ -x /usr/bin/logger ] && LOGGER=\"logger -s -p 6 -t sysinit\"\n\nif [ \"$1\" = \"S\" ]; then\n\trun_scripts \"$1\" \"$2\" &\nelse\n\trun_scripts \"$1\" \"$2\"\nfi\n",
				"/etc/init.d/dnsmasq":   "#!/bin/sh /etc/rc.common\nSTART=19\nUSE_PROCD=1\nPROG=/usr/sbin/dnsmasq\nstart_service() {\n\tprocd_open_instance dnsmasq\n\tprocd_set_param command $PROG -C /var/etc/dnsmasq.conf -k -x /var/run/dnsmasq.pid\n\tprocd_close_instance\n}\n",
				"/etc/rc.d/S19dnsmasq":  "-> ../init.d/dnsmasq",
				"/etc/init.d/telnet":    "#!/bin/sh /etc/rc.common\nSTART=50\nUSE_PROCD=1\nstart_service() {\n\tprocd_open_instance\n\tprocd_set_param command /usr/sbin/telnetd -F -l /bin/login.sh\n\tprocd_close_instance\n}\n",
				"/etc/config/system":    "config system\n\toption hostname 'OpenWrt'\n\toption ttylogin '1'\n",
				"/usr/libexec/login.sh": "#!/bin/sh\n[ \"$(uci -q get system.@system[0].ttylogin)\" = 1 ] || exec /bin/ash --login\nexec /bin/login\n",
			},
			want: []string{
				"dnsmasq procd /etc/init.d/dnsmasq:7 user= listen=udp/:53,tcp/:53 auth=none tls=no bin=/usr/sbin/dnsmasq console= args=-C /var/etc/dnsmasq.conf -k -x /var/run/dnsmasq.pid",
				"login.sh inittab /etc/inittab:3 user= listen= auth=password tls= bin=/usr/libexec/login.sh console=console args=",
			},
		},
		{
			name: "systemd: wants links, drop-in, socket activation, masked and disabled units",
			files: map[string]string{
				"/lib/systemd/system/ssh.service":                               "[Unit]\nDescription=OpenBSD Secure Shell server\n\n[Service]\nExecStart=/usr/sbin/sshd -D $SSHD_OPTS\nUser=root\n\n[Install]\nWantedBy=multi-user.target\n",
				"/etc/systemd/system/ssh.service.d/override.conf":               "[Service]\nExecStart=\nExecStart=/usr/sbin/sshd -D -p 2200\n",
				"/etc/systemd/system/multi-user.target.wants/ssh.service":       "-> /lib/systemd/system/ssh.service",
				"/lib/systemd/system/telnet.socket":                             "[Unit]\nDescription=Telnet\n\n[Socket]\nListenStream=23\nAccept=yes\n\n[Install]\nWantedBy=sockets.target\n",
				"/lib/systemd/system/telnet@.service":                           "[Service]\nExecStart=-/usr/sbin/in.telnetd\nStandardInput=socket\n",
				"/etc/systemd/system/sockets.target.wants/telnet.socket":        "-> /lib/systemd/system/telnet.socket",
				"/lib/systemd/system/gdbserver.service":                         "[Service]\nExecStart=/usr/bin/gdbserver --multi :2345\n\n[Install]\nWantedBy=multi-user.target\n",
				"/lib/systemd/system/mosquitto.service":                         "[Service]\nExecStart=/usr/sbin/mosquitto -c /etc/mosquitto/mosquitto.conf\n\n[Install]\nWantedBy=multi-user.target\n",
				"/etc/systemd/system/multi-user.target.wants/mosquitto.service": "-> /lib/systemd/system/mosquitto.service",
				"/etc/mosquitto/mosquitto.conf":                                 "# Place your local configuration in /etc/mosquitto/conf.d/\npid_file /run/mosquitto/mosquitto.pid\n\nlistener 8883 0.0.0.0\ncertfile /etc/mosquitto/certs/server.crt\n",
			},
			want: []string{
				"sshd systemd /etc/systemd/system/ssh.service.d/override.conf:3 user=root listen=tcp/:2200 auth=password+key tls=yes bin=/usr/sbin/sshd console= args=-D -p 2200",
				"in.telnetd systemd /lib/systemd/system/telnet@.service:2 user= listen=tcp/:23 auth=password tls=no bin=/usr/sbin/in.telnetd console= args=",
				"mosquitto systemd /lib/systemd/system/mosquitto.service:2 user= listen=tcp/0.0.0.0:8883 auth=none tls=yes bin=/usr/sbin/mosquitto console= args=-c /etc/mosquitto/mosquitto.conf",
			},
		},
		{
			name: "System V runlevel links and start-stop-daemon",
			files: map[string]string{
				"/etc/inittab":        "id:3:initdefault:\nsi::sysinit:/etc/init.d/rcS\nl3:3:wait:/etc/init.d/rc 3\n1:2345:respawn:/sbin/getty 38400 tty1\nT0:23:respawn:/sbin/getty -L ttyS0 115200 vt100\n",
				"/etc/init.d/rcS":     "#!/bin/sh\nmount -a\n",
				"/etc/init.d/rc":      "#!/bin/sh\nfor i in /etc/rc$1.d/S*; do $i start; done\n",
				"/etc/init.d/ssh":     "#!/bin/sh\nDAEMON=/usr/sbin/sshd\ncase \"$1\" in\n  start)\n\tstart-stop-daemon --start --quiet --chuid sshd:sshd --exec $DAEMON -- -p 2200\n\t;;\nesac\n",
				"/etc/rc3.d/S20ssh":   "-> ../init.d/ssh",
				"/etc/init.d/snmpd":   "#!/bin/sh\nstart-stop-daemon -S -x /usr/sbin/snmpd -- -Lsd udp:161,tcp:1161\n",
				"/etc/rc2.d/S20snmpd": "-> ../init.d/snmpd",
				"/etc/rc.local":       "#!/bin/sh -e\n/usr/bin/ncat --listen 9999 &\nexit 0\n",
			},
			want: []string{
				"sshd init.d /etc/init.d/ssh:5 user=sshd listen=tcp/:2200 auth=password+key tls=yes bin=/usr/sbin/sshd console= args=-p 2200",
				"getty inittab /etc/inittab:4 user= listen= auth=password tls= bin=/sbin/getty console=tty1 args=38400 tty1",
				"getty inittab /etc/inittab:5 user= listen= auth=password tls= bin=/sbin/getty console=ttyS0 args=-L ttyS0 115200 vt100",
				"ncat rc.local /etc/rc.local:2 user= listen=tcp/:9999 auth=none tls=no bin=/usr/bin/ncat console= args=--listen 9999",
			},
		},
		{
			name: "inetd, xinetd and cron",
			files: map[string]string{
				"/etc/services":       "# Network services, Internet style\nftp\t\t21/tcp\ntelnet\t\t23/tcp\ntftp\t\t69/udp\nmyftp\t\t2121/tcp\n",
				"/etc/inetd.conf":     "127.0.0.1:myftp stream tcp nowait root /usr/sbin/tcpd /usr/sbin/ftpd -l\n#telnet stream tcp nowait root /usr/sbin/telnetd telnetd\n",
				"/etc/xinetd.d/tftp":  "service tftp\n{\n\tsocket_type = dgram\n\tprotocol = udp\n\twait = yes\n\tuser = nobody\n\tserver = /usr/sbin/in.tftpd\n\tserver_args = -s /srv/tftp\n\tdisable = no\n}\n",
				"/etc/xinetd.d/rsync": "service rsync\n{\n\tdisable = yes\n\tsocket_type = stream\n\tuser = root\n\tserver = /usr/bin/rsync\n}\n",
				"/etc/crontab":        "SHELL=/bin/sh\n# m h dom mon dow user\tcommand\n17 *\t* * *\troot    cd / && run-parts --report /etc/cron.hourly\n",
				"/etc/cron.d/backup":  "@daily backup /usr/bin/backup.sh --full\n",
				"/etc/crontabs/admin": "*/5 * * * * /usr/bin/poll >/dev/null 2>&1\n",
			},
			want: []string{
				"ftpd inetd /etc/inetd.conf:1 user=root listen=tcp/127.0.0.1:2121 auth=password tls=no bin=/usr/sbin/ftpd console= args=-l",
				"in.tftpd xinetd /etc/xinetd.d/tftp:7 user=nobody listen=udp/:69 auth=none tls=no bin=/usr/sbin/in.tftpd console= args=-s /srv/tftp",
				"run-parts cron /etc/crontab:3 user=root listen= auth= tls= bin= console= args=--report /etc/cron.hourly",
				"backup.sh cron /etc/cron.d/backup:1 user=backup listen= auth= tls= bin=/usr/bin/backup.sh console= args=--full",
				"poll cron /etc/crontabs/admin:1 user=admin listen= auth= tls= bin=/usr/bin/poll console= args=",
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rep := tree(t, tt.files)
			var got []string
			for _, s := range rep.Services {
				got = append(got, describe(s))
			}
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("services\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
			}
		})
	}
}

// TestSourceTree: an OpenWrt source tree whose files/ overlay turns
// telnet on through inetd gets the same service and finding as an
// image; the rest of the tree (Makefiles, package sources) is not a
// device.
func TestSourceTree(t *testing.T) {
	rep := tree(t, map[string]string{
		"/Makefile":                                   "include $(TOPDIR)/rules.mk\n",
		"/files/etc/inetd.conf":                       "# debug access for the field team\ntelnet  stream  tcp  nowait  root  /usr/sbin/telnetd  telnetd -i\n",
		"/package/base-files/files/etc/inittab":       "::sysinit:/etc/init.d/rcS S boot\n::shutdown:/etc/init.d/rcS K shutdown\n::askconsole:/usr/libexec/login.sh\n",
		"/package/utils/busybox/Makefile":             "PKG_NAME:=busybox\n",
		"/package/base-files/files/etc/config/system": "config system\n\toption hostname 'OpenWrt'\n\toption ttylogin '0'\n",
	})
	var got []string
	for _, s := range rep.Services {
		got = append(got, describe(s))
	}
	want := "telnetd inetd /files/etc/inetd.conf:2 user=root listen=tcp/:23 auth=password tls=no bin=/usr/sbin/telnetd console= args=-i"
	if !slices.Contains(got, want) {
		t.Errorf("services %q, want %q", got, want)
	}
	found := false
	for _, f := range rep.Findings {
		if f.RuleID == RuleTelnet && f.Location.Path == "/files/etc/inetd.conf" && f.Location.Line == 2 {
			found = true
			if strings.Contains(f.Description+f.Remediation, "image") {
				t.Errorf("finding text speaks of an image in a source tree: %q", f.Description)
			}
		}
	}
	if !found {
		t.Errorf("no %s at /files/etc/inetd.conf:2: %s", RuleTelnet, rulesOf(rep.Findings))
	}
	// login.sh with ttylogin '0' is a shell on the console
	uart := false
	for _, f := range rep.Findings {
		uart = uart || f.RuleID == RuleSerialShell && f.Location.Path == "/package/base-files/files/etc/inittab" && f.Location.Line == 3 &&
			strings.Contains(f.Evidence, "ttylogin '0'")
	}
	if !uart {
		t.Errorf("no %s for login.sh with ttylogin '0': %s", RuleSerialShell, rulesOf(rep.Findings))
	}
	rep = tree(t, map[string]string{
		"/etc/inittab":       "::sysinit:/etc/init.d/rcS S boot\n::askconsole:/usr/libexec/login.sh\n",
		"/etc/init.d/rcS":    "#!/bin/sh\n",
		"/etc/config/system": "config system\n\toption ttylogin '1'\n",
	})
	for _, f := range rep.Findings {
		t.Errorf("ttylogin '1': finding %s %s", f.RuleID, f.Title)
	}
}

// TestBackupCopy: a backup copy of inittab starts nothing but its shell
// console is reported one severity lower, and a commented-out line is
// nothing at all.
func TestBackupCopy(t *testing.T) {
	rep := tree(t, map[string]string{
		"/etc/inittab":     "::sysinit:/etc/init.d/rcS\nttyS0::respawn:/sbin/getty -L ttyS0 115200 vt100\n# ttyS0::respawn:/bin/sh\n",
		"/etc/inittab.bak": "::sysinit:/etc/init.d/rcS\nttyS0::respawn:/bin/sh\n",
		"/etc/init.d/rcS":  "#!/bin/sh\n",
	})
	var fs []string
	for _, f := range rep.Findings {
		fs = append(fs, fmt.Sprintf("%s %s %s:%d %s", f.RuleID, f.Severity, f.Location.Path, f.Location.Line, f.Title))
	}
	want := []string{"TS-SVC-007 medium /etc/inittab.bak:2 Shell without login on serial console ttyS0 (backup copy inittab.bak)"}
	if !slices.Equal(fs, want) {
		t.Errorf("findings %q, want %q", fs, want)
	}
	for _, s := range rep.Services {
		if s.Location.Path == "/etc/inittab.bak" {
			t.Errorf("a service from the backup copy: %s", describe(s))
		}
	}
}
