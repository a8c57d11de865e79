package sets

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/thingsec/thingsec/internal/engine"
)

// TestSurfaceSourceTree scans a device source tree — an OpenWrt package
// overlay (files/...), a Buildroot rootfs overlay and a Yocto recipe's
// files — with the surface set: the CGI, update and transport rules fire
// on the overlay files as they do on an unpacked image, at the same lines.
func TestSurfaceSourceTree(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"package/acme-webui/files/www/cgi-bin/diag.lua": `#!/usr/bin/lua
-- GET /cgi-bin/diag.lua?host=<host>
local q = require("gateway.util").parse_query(os.getenv("QUERY_STRING") or "")
local host = q.host or "example.net"
os.execute("ping -c 4 " .. host)
`,
		"package/acme-webui/files/www/cgi-bin/status.lua": `#!/usr/bin/lua
os.execute("logger -t webui status-page")
`,
		"board/acme/rootfs_overlay/sbin/fw-update.sh": `#!/bin/sh
IMG=/tmp/fw.trx
URL=http://update.vendor.example.net/gw/latest.trx
wget -q -O "$IMG" "${1:-$URL}" || exit 1
mtd -r write "$IMG" firmware
`,
		"meta-acme/recipes-core/cloud/files/cloud.conf": `[cloud]
# the old endpoint: telemetry_url=http://old.vendor.example.net/v1
telemetry_url=http://telemetry.vendor.example.net/v1
support_url=https://support.vendor.example.net/
`,
		"package/base-files/files/etc/mosquitto/conf.d/bridge.conf": `connection cloud
address mqtt.vendor.example.net:8883
tls_insecure true
`,
	}
	for p, text := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Build(Surface, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := engine.Scan(context.Background(), engine.Config{Target: dir, Workers: 2, Files: s.Files, Trees: s.Trees})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, f := range rep.Findings {
		got[f.RuleID+" "+f.Location.Path] = f.Location.Line
	}
	for k, line := range map[string]int{
		"TS-CGI-001 /package/acme-webui/files/www/cgi-bin/diag.lua":             5,
		"TS-UPD-001 /board/acme/rootfs_overlay/sbin/fw-update.sh":               4,
		"TS-UPD-002 /board/acme/rootfs_overlay/sbin/fw-update.sh":               5,
		"TS-NET-001 /meta-acme/recipes-core/cloud/files/cloud.conf":             3,
		"TS-TLS-002 /package/base-files/files/etc/mosquitto/conf.d/bridge.conf": 3,
	} {
		if l, ok := got[k]; !ok || l != line {
			t.Errorf("%s: line %d (found %v), want line %d", k, l, ok, line)
		}
	}
	for k := range got {
		if filepath.Base(k) == "status.lua" {
			t.Errorf("constant os.execute reported: %s", k)
		}
	}
	if len(rep.Findings) > 8 {
		t.Errorf("%d findings, want at most 8: %+v", len(rep.Findings), rep.Findings)
	}
}
