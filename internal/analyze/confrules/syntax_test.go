package confrules

import (
	"fmt"
	"slices"
	"testing"
)

// TestParsers: each syntax reads what its daemon reads, at the right
// line and in the right section: "type|key=value@line".
func TestParsers(t *testing.T) {
	for _, tt := range []struct {
		syntax, text string
		want         []string
	}{
		{"kv", "# c\nsecure_mode=no\nagentAddress udp:161\nkey: \"v w\"\n  ; x\n", []string{
			"|secure_mode=no@2", "|agentAddress=udp:161@3", "|key=v w@4"}},
		{"hostapd", "interface=wlan0\nssid=a\n\nbss=wlan0-1\nssid=b\n", []string{
			"|interface=wlan0@1", "|ssid=a@2", "bss|bss=wlan0-1@4", "bss|ssid=b@5"}},
		{"sshd", "PermitRootLogin=yes\n#x\nMatch User a\n  PasswordAuthentication \"no\"\nInclude x.conf\n", []string{
			"|PermitRootLogin=yes@1", "match|PasswordAuthentication=no@4"}},
		{"uci", "config rule 'r1'\n\toption src\t'wan'\n\tlist dest_port \"22\"\n#\toption target ACCEPT\n\toption name Allow\\ SSH\n", []string{
			"rule|src=wan@2", "rule|dest_port=22@3", "rule|name=Allow SSH@5"}},
		{"samba", "[global]\n  workgroup = W\n[pub]\n  Guest OK = yes\n; read only = no\n", []string{
			"global|workgroup=W@2", "pub|GuestOK=yes@4"}},
		{"nginx", "http {\n  server {\n    listen 80 default_server; # c\n    return 301 \"https://$host{x}\";\n  }\n  autoindex\n    on;\n}\n", []string{
			"server|listen=80 default_server@3", "server|return=301 https://$host{x}@4", "http|autoindex=on@6"}},
		{"lighttpd", "server.modules = (\n  \"mod_cgi\", # c\n)\n$SERVER[\"socket\"] == \":443\" {\n  ssl.engine = \"enable\"\n  $HTTP[\"url\"] =~ \"^/x\" { dir-listing.activate = \"enable\" }\n}\nserver.port := 80\n", []string{
			`|server.modules=( "mod_cgi", )@1`, `$SERVER["socket"] == ":443"|ssl.engine=enable@5`, `$HTTP["url"] =~ "^/x"|dir-listing.activate=enable@6`, "|server.port=80@8"}},
		{"apache", "<Directory /var/www>\n  Options Indexes \\\n    FollowSymLinks\n</Directory>\nServerName x\n", []string{
			"directory|Options=Indexes FollowSymLinks@2", "|ServerName=x@5"}},
		{"shell", "#!/bin/sh\nIPT=/sbin/iptables\n$IPT -A INPUT -j ACCEPT; echo 'a # b' # c\nFOO=1 exec /usr/sbin/mount -t \\\n  debugfs none /d && true\n", []string{
			"|iptables=-A INPUT -j ACCEPT@3", "|echo=a # b@3", "|mount=-t debugfs none /d@4", "|true=@4"}},
		{"fstab", "# c\ndebugfs /sys/kernel/debug debugfs defaults 0 0\nbad\n", []string{
			"|debugfs=debugfs /sys/kernel/debug debugfs defaults 0 0@2"}},
		{"colon", "A:*\n/cgi-bin:admin:pw\n#/:x:y\n", []string{"|A=*@1", "|/cgi-bin=admin:pw@2"}},
	} {
		d, err := parse(tt.syntax, []byte(tt.text), "/f")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range d.Entries {
			got = append(got, fmt.Sprintf("%s|%s=%s@%d", d.Sections[e.Sect].Type, e.Key, e.Value, e.Line))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s:\n got %q\nwant %q", tt.syntax, got, tt.want)
		}
	}
}
