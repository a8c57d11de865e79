package cgi

import (
	"strings"
	"testing"
)

// TestFlows: the taint pass on real CGI idioms of each language, with
// the sink line and kind it must report (or none).
func TestFlows(t *testing.T) {
	for _, tt := range []struct {
		name, lang, src string
		want            string // "kind@line" of each flow, comma separated
	}{
		{"luci guard", "lua", `local host = luci.http.formvalue("host")
if not host or not host:match("^[%w%.%-]+$") then
  luci.http.status(400, "Bad host")
  return
end
luci.sys.call("ping -c 3 " .. host)
`, ""},
		{"luci formvalue to sys.exec", "lua", `function action_nslookup()
	local name = luci.http.formvalue("name")
	local out = luci.sys.exec("nslookup " .. name)
	luci.http.write(out)
end
`, "command@3"},
		{"lua comparison only", "lua", `local q = parse(os.getenv("QUERY_STRING"))
local mode = (q.mode == "fast") and "-c 1" or "-c 4"
os.execute("ping " .. mode .. " example.net")
`, ""},
		{"lua reassigned constant", "lua", `local h = os.getenv("QUERY_STRING")
h = "example.net"
os.execute("ping " .. h)
`, ""},
		{"php post backticks", "php", `<?php
$ip = $_POST["ip"];
$out = ` + "`/sbin/arping -c 2 $ip`" + `;
echo htmlspecialchars($out);
`, "command@3"},
		{"php intval", "php", `<?php
$n = intval($_GET['n']);
exec("ping -c $n example.net", $o);
`, ""},
		{"haserl", "sh", `#!/usr/bin/haserl
Content-type: text/html

<html><body>
<% ping -c 2 $GET_host %>
<pre><%= $GET_host %></pre>
</body></html>
`, "argument@5"},
		{"post body with tr", "sh", `#!/bin/sh
read -r POST
host=$(echo "$POST" | sed 's/^host=//' | tr -cd '[:alnum:].-')
ping -c 1 $host
`, ""},
		{"post body read", "sh", `#!/bin/sh
read -r POST
host=${POST#host=}
ping -c 1 $host
`, "argument@4"},
		{"quoted", "sh", `#!/bin/sh
host="$FORM_host"
ping -c 1 -- "$host"
`, ""},
		{"usage message", "sh", `#!/bin/sh
echo "try ping $FORM_host"
`, ""},
	} {
		data := []byte(tt.src)
		if strings.HasPrefix(tt.src, "#!/usr/bin/haserl") {
			data = haserlShell(data)
		}
		var got []string
		for _, f := range Analyze(tt.lang, data) {
			got = append(got, f.Kind+"@"+itoa(f.Steps[len(f.Steps)-1].Line))
		}
		if g := strings.Join(got, ","); g != tt.want {
			t.Errorf("%s: flows %q, want %q", tt.name, g, tt.want)
		}
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
