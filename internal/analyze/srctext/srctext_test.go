package srctext

import (
	"strconv"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
)

func TestLive(t *testing.T) {
	for _, tt := range []struct {
		lang Lang
		in   string
		want string // live lines as "n:text|"
	}{
		{Shell, "#!/bin/sh\n# comment\nwget http://a/#x # tail\n  # indented\necho '# kept'\n", "3:wget http://a/#x|5:echo '# kept'|"},
		{Lua, "-- c\nlocal a = 1 -- tail\nlocal s = \"--x\"\n", "2:local a = 1|3:local s = \"--x\"|"},
		{CLike, "/* a\n b */ var x = \"http://h/\"; // c\n// var y\nvar z = 1; /* i */ var w;\n", "2: var x = \"http://h/\";|4:var z = 1;  var w;|"},
	} {
		var b strings.Builder
		for _, l := range Live([]byte(tt.in), tt.lang) {
			b.WriteString(strings.TrimRight(strings.Join([]string{itoa(l.N), l.Text}, ":"), " ") + "|")
		}
		if b.String() != tt.want {
			t.Errorf("Live(%q) = %q, want %q", tt.in, b.String(), tt.want)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestBackupAdjust(t *testing.T) {
	for p, want := range map[string]bool{"/etc/a.conf.bak": true, "/etc/a.conf~": true, "/etc/config/x-opkg": true, "/etc/a.conf": false, "/.bak": false, "/etc/a.orig": true} {
		if Backup(p) != want {
			t.Errorf("Backup(%s) = %v", p, !want)
		}
	}
	f := model.Finding{Title: "T"}
	Adjust(&f, "/etc/x.conf.bak", model.High)
	if f.Severity != model.Medium || !strings.Contains(f.Title, "backup copy x.conf.bak") {
		t.Errorf("adjusted: %+v", f)
	}
}

func TestRedactURLs(t *testing.T) {
	in := "option endpoint 'mqtt://device:Sup3rS3cret@broker.example.com:1883' http://host/a@b ftp://u@h/"
	want := "option endpoint 'mqtt://device:****@broker.example.com:1883' http://host/a@b ftp://u@h/"
	if got := RedactURLs(in); got != want {
		t.Errorf("got %q", got)
	}
}

func TestStringsWith(t *testing.T) {
	data := []byte("\x00\x01curl -k %s\x00xx\x00https://a.example\x00" + strings.Repeat("g", 5000) + "http://packed.example.net/x" + strings.Repeat("h", 5000))
	got := StringsWith(data, "://")
	if len(got) != 2 || got[0].S != "https://a.example" || !strings.Contains(got[1].S, "http://packed.example.net/x") || len(got[1].S) > 500 {
		t.Errorf("got %+v", got)
	}
	if s := Strings(data[:20], 5); len(s) != 1 || s[0].S != "curl -k %s" || s[0].Off != 2 {
		t.Errorf("Strings: %+v", s)
	}
}
