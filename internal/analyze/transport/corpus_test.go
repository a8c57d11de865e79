package transport

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/analyzetest"
	"github.com/thingsec/thingsec/internal/model"
)

// TestCorpus: on both HG-100 images, acme-upd turns TLS verification off
// (F23), acme-rsupport ignores the relay's SSH host key (F30), the web UI
// and the cloud configuration use http:// endpoints (F31, F32), and the
// https:// URLs beside them (N10 main.js:7, N11 cloud.lua:9) are not
// reported. Every other finding is listed in the log and counted.
func TestCorpus(t *testing.T) {
	fw := analyzetest.FirmwareDir(t)
	a := New()
	for _, ver := range []string{"1.0.0", "1.1.0"} {
		t.Run(ver, func(t *testing.T) {
			all := analyzetest.ScanTree(t, a, analyzetest.ExtractRootfs(t, filepath.Join(fw, "acme-hg100-"+ver+".bin")))
			got := map[string]model.Finding{}
			for _, f := range all {
				got[f.RuleID+" "+f.Location.Path] = f
				t.Logf("%s %s:%d %s | %s", f.RuleID, f.Location.Path, f.Location.Line, f.Severity, f.Evidence)
				if f.Location.Path == "/www/js/main.js" && f.Location.Line == 7 || f.Location.Path == "/usr/lib/lua/gateway/cloud.lua" && f.Location.Line == 9 ||
					strings.Contains(f.Evidence, "https://") && strings.HasPrefix(f.RuleID, "TS-NET") {
					t.Errorf("negative control N10/N11 reported: %+v", f)
				}
			}
			for k, line := range map[string]int{
				RuleInsecureBinary + " /usr/sbin/acme-upd":     0,
				RuleHostKey + " /usr/sbin/acme-rsupport":       0,
				RuleCleartextText + " /www/js/main.js":         6,
				RuleCleartextText + " /etc/gateway/cloud.conf": 5,
			} {
				f, ok := got[k]
				if !ok {
					t.Errorf("missing %s", k)
					continue
				}
				if f.Location.Line != line {
					t.Errorf("%s at line %d, want %d", k, f.Location.Line, line)
				}
			}
			if f := got[RuleHostKey+" /usr/sbin/acme-rsupport"]; !strings.Contains(f.Evidence, "main.dial.InsecureIgnoreHostKey.func2") || !strings.Contains(f.Evidence, "rs.acme-gateway.example.net:2222") {
				t.Errorf("F30 evidence: %q", f.Evidence)
			}
			if f := got[RuleInsecureBinary+" /usr/sbin/acme-upd"]; !strings.Contains(f.Evidence, "CURLOPT_SSL_VERIFYPEER=0") || !strings.Contains(f.Evidence, "curl_easy_setopt") {
				t.Errorf("F23 evidence: %q", f.Evidence)
			}
			if f := got[RuleCleartextText+" /www/js/main.js"]; f.Severity != model.Medium || f.Category != "cleartext-transmission" {
				t.Errorf("F31: %+v", f)
			}
		})
	}
}
