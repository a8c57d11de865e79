package confrules

import (
	"strings"
	"sync"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

var fuzzRules = sync.OnceValue(func() []*Rule { return MustNew().rules })

// checkDoc asserts what every parser guarantees on any input: entries
// and sections point at lines of the input and at existing sections,
// parents come before their children, and every rule evaluates on it.
func checkDoc(t *testing.T, syntax string, data []byte) {
	t.Helper()
	d, err := parse(syntax, data, "/etc/x")
	if err != nil {
		t.Fatal(err)
	}
	n := strings.Count(string(data), "\n") + 1
	for i, s := range d.Sections {
		if s.Parent >= i || s.Parent < -1 || i > 0 && (s.Line < 1 || s.Line > n) {
			t.Fatalf("%s: section %d %+v of %d lines", syntax, i, s, n)
		}
	}
	for _, e := range d.Entries {
		if e.Line < 1 || e.Line > n || e.Sect < 0 || e.Sect >= len(d.Sections) {
			t.Fatalf("%s: entry %+v of %d lines, %d sections", syntax, e, n, len(d.Sections))
		}
	}
	for _, r := range fuzzRules() {
		for _, c := range r.Checks {
			if c.Syntax == syntax {
				c.Eval(d)
			}
		}
	}
}

func fuzzSyntax(f *testing.F, syntax string, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkDoc(t, syntax, data) })
}

func FuzzKV(f *testing.F) {
	fuzzSyntax(f, "kv", "secure_mode=no\nallow 0-65535 0.0.0.0/0 0-65535\n", "key: value\n# c\nDROPBEAR_EXTRA_ARGS=\"-B\"\n")
}

func FuzzHostapd(f *testing.F) {
	fuzzSyntax(f, "hostapd", "interface=wlan0\nssid=a\nwpa=2\nbss=wlan0-1\nssid=b\n")
}

func FuzzMosquitto(f *testing.F) {
	fuzzSyntax(f, "mosquitto", "listener 1883 0.0.0.0\nallow_anonymous true\nlistener 8883\ncertfile x\n")
}

func FuzzSysctl(f *testing.F) {
	fuzzSyntax(f, "sysctl", "kernel/randomize_va_space = 0\nkernel.dmesg_restrict=0\n")
}

func FuzzColon(f *testing.F) {
	fuzzSyntax(f, "colon", "A:*\n/cgi-bin:admin:pw\n*.php:/usr/bin/php-cgi\n")
}

func FuzzSSHD(f *testing.F) {
	fuzzSyntax(f, "sshd", "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin=yes\nMatch User x\n\tPasswordAuthentication \"yes\"\n")
}

func FuzzUCI(f *testing.F) {
	fuzzSyntax(f, "uci", "config rule 'r'\n\toption src 'wan'\n\tlist dest_port \"22 80\"\n\toption target ACCEPT\n", "option x\nconfig\n")
}

func FuzzINI(f *testing.F) {
	fuzzSyntax(f, "ini", "[a]\nk = v\n; c\n")
}

func FuzzSamba(f *testing.F) {
	fuzzSyntax(f, "samba", "[share]\n guest ok = yes\n read only = no\n")
}

func FuzzNginx(f *testing.F) {
	fuzzSyntax(f, "nginx", "http {\n server {\n  listen 80; # c\n  location / { autoindex on; }\n  return 301 \"https://$host\";\n }\n}\n", "}}{{;'\n\"")
}

func FuzzLighttpd(f *testing.F) {
	fuzzSyntax(f, "lighttpd", "server.modules = (\n \"mod_cgi\"\n)\n$SERVER[\"socket\"] == \":443\" {\n ssl.engine = \"enable\"\n}\nelse { x = 1 }\n", "((((\n}")
}

func FuzzApache(f *testing.F) {
	fuzzSyntax(f, "apache", "<Directory /var/www>\n Options Indexes \\\n  FollowSymLinks\n</Directory>\n<Anonymous ~ftp>\n</Anonymous>\n", "</x>\n<\n")
}

func FuzzShell(f *testing.F) {
	fuzzSyntax(f, "shell", "IPT=/usr/sbin/iptables\n$IPT -A INPUT -i wan -p tcp --dport 22 -j ACCEPT && echo ok # c\nmount -t debugfs none /d \\\n  ; x='a;b'\n", "\\\n\\")
}

func FuzzFstab(f *testing.F) {
	fuzzSyntax(f, "fstab", "debugfs /sys/kernel/debug debugfs defaults 0 0\n")
}

// TestEverySyntaxFuzzed: each parser has its fuzz target above.
func TestEverySyntaxFuzzed(t *testing.T) {
	fuzzed := map[string]bool{"kv": true, "hostapd": true, "mosquitto": true, "sysctl": true, "colon": true, "sshd": true, "uci": true,
		"ini": true, "samba": true, "nginx": true, "lighttpd": true, "apache": true, "shell": true, "fstab": true}
	for s := range syntaxes {
		if !fuzzed[s] {
			t.Errorf("syntax %s has no fuzz target", s)
		}
	}
}

// TestHostileInputs: inputs built to make a parser or the evaluation
// quadratic (many sections, deep nesting, long continuations, open
// parentheses) are read and judged; each is a quarter of the size
// limit (a sixteenth under the race detector, which slows every step
// alike). A quadratic step would take minutes here.
func TestHostileInputs(t *testing.T) {
	size := maxSize / 4
	if formattest.Race {
		size /= 16
	}
	rep := func(s string) []byte { return []byte(strings.Repeat(s, size/len(s))) }
	for _, tt := range []struct {
		syntax string
		data   []byte
	}{
		{"uci", rep("config rule\n\toption src 'wan'\n\toption target 'ACCEPT'\n\toption dest_port '22'\n")},
		{"lighttpd", rep("$HTTP[\"host\"] == \"a\" {\n x = 1\n}\n")},
		{"lighttpd", rep("$HTTP[\"host\"] == \"a\" {\n")},
		{"lighttpd", rep("(\n")},
		{"nginx", rep("server { listen 80; ")},
		{"apache", rep("<Directory x>\n")},
		{"apache", rep("Options \\\n")},
		{"shell", rep("iptables -A INPUT -i wan -j ACCEPT \\\n")},
		{"shell", rep("a;")},
		{"sshd", rep("Match User x\nPermitRootLogin yes\n")},
		{"hostapd", rep("bss=w\nssid=x\n")},
		{"samba", rep("[s]\nguest ok = yes\nwritable = yes\n")},
		{"mosquitto", rep("listener 1883\nallow_anonymous true\n")},
	} {
		checkDoc(t, tt.syntax, tt.data)
	}
}
