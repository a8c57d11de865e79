package privdata_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/analyze/privdata"
	"github.com/thingsec/thingsec/internal/analyze/secrets"
	"github.com/thingsec/thingsec/internal/engine"
)

// TestNVRAMDefaults: credentials in NVRAM default files, as text
// (nvram.default, key=value lines) and as a Broadcom NVRAM partition
// (the "FLSH" header, then NUL-separated key=value pairs), are the secret
// rules' (TS-CRED-138 for the NVRAM key names, TS-CRED-121 for other
// password keys). This package adds no rule of its own for them; the test
// proves the coverage it relies on, through the engine, and that the
// personal-data analyzer stays quiet on them.
func TestNVRAMDefaults(t *testing.T) {
	dir := t.TempDir()
	text := "lan_ipaddr=192.168.1.1\nhttp_username=admin\nhttp_passwd=Xk3pQ9zLm2\nwl0_wpa_psk=Gz8TtR4wq1PZ\npppoe_passwd=Hq7VnE2sdK\nadmin_pass=Rt5YuI8oPq\nwl0_ssid=Acme\n"
	bin := []byte("FLSH\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	for _, l := range []string{"lan_ipaddr=192.168.1.1", "http_passwd=Xk3pQ9zLm2", "wl0_wpa_psk=Gz8TtR4wq1PZ", "pppoe_passwd=Hq7VnE2sdK", "admin_pass=Rt5YuI8oPq"} {
		bin = append(append(bin, l...), 0)
	}
	bin = append(bin, 0, 0xff, 0xff, 0xff, 0xff)
	for p, b := range map[string][]byte{"etc/nvram.default": []byte(text), "lib/nvram/default_nvram": []byte(text), "mtd/nvram.bin": bin} {
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sa, err := secrets.New(secrets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := engine.Scan(context.Background(), engine.Config{Target: dir, Workers: 1,
		Files: []plugin.FileAnalyzer{sa, privdata.New()}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, f := range rep.Findings {
		got[f.Location.Path] = append(got[f.Location.Path], f.RuleID+" "+f.Category+" "+f.Evidence[:min(len(f.Evidence), 8)])
	}
	want := []string{
		"TS-CRED-121 credential admin_pa",
		"TS-CRED-138 credential http_pas",
		"TS-CRED-138 credential pppoe_pa",
		"TS-CRED-138 credential wl0_wpa_",
	}
	for _, p := range []string{"/etc/nvram.default", "/lib/nvram/default_nvram", "/mtd/nvram.bin"} {
		sort.Strings(got[p])
		if !slices.Equal(got[p], want) {
			t.Errorf("%s: %q, want %q", p, got[p], want)
		}
	}
}
