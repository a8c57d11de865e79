package update

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/analyzetest"
	"github.com/thingsec/thingsec/internal/model"
)

// TestCorpus: on both HG-100 images, fw-update.sh downloads over TFTP
// and HTTP and flashes without a check (F22: cleartext at the tftp line
// 11, no signature at the mtd line 27), and acme-upd fetches a manifest,
// compares an MD5 from it and runs mtd write (F24); each is also listed
// as an update path, and nothing else is reported.
func TestCorpus(t *testing.T) {
	fw := analyzetest.FirmwareDir(t)
	a := New()
	for _, ver := range []string{"1.0.0", "1.1.0"} {
		t.Run(ver, func(t *testing.T) {
			got := map[string]model.Finding{}
			for _, f := range analyzetest.ScanTree(t, a, analyzetest.ExtractRootfs(t, filepath.Join(fw, "acme-hg100-"+ver+".bin"))) {
				k := f.RuleID + " " + f.Location.Path
				if _, dup := got[k]; dup {
					t.Errorf("%s twice", k)
				}
				got[k] = f
			}
			want := map[string]int{
				RuleCleartext + " /sbin/fw-update.sh":    11,
				RuleNoSignature + " /sbin/fw-update.sh":  27,
				RuleMechanism + " /sbin/fw-update.sh":    27,
				RuleChecksumOnly + " /usr/sbin/acme-upd": 0,
				RuleMechanism + " /usr/sbin/acme-upd":    0,
			}
			for k, line := range want {
				f, ok := got[k]
				if !ok {
					t.Errorf("missing %s", k)
					continue
				}
				if f.Location.Line != line || f.Category != "insecure-update" {
					t.Errorf("%s: line %d category %s, want line %d", k, f.Location.Line, f.Category, line)
				}
				t.Logf("%s: %s | %s", k, f.Title, f.Evidence)
			}
			for k := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("unexpected %s: %+v", k, got[k])
				}
			}
			for _, w := range []string{"line 14: wget", "UPDATE_URL=http://update.acme-gateway.example.net"} {
				if ev := got[RuleCleartext+" /sbin/fw-update.sh"].Evidence; !strings.Contains(ev, w) {
					t.Errorf("F22 evidence %q lacks %q", ev, w)
				}
			}
			for _, w := range []string{"https://fw.acme-gateway.example.net/hg100/stable/manifest.txt", "md5sum %s", "mtd -r write %s firmware", "curl_easy_perform()"} {
				if ev := got[RuleChecksumOnly+" /usr/sbin/acme-upd"].Evidence; !strings.Contains(ev, w) {
					t.Errorf("F24 evidence %q lacks %q", ev, w)
				}
			}
		})
	}
}
