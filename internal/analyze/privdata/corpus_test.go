package privdata_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/perms"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/analyze/privdata"
	"github.com/thingsec/thingsec/internal/engine"
	"github.com/thingsec/thingsec/internal/model"
)

func sharedDir(t *testing.T) string {
	d := os.Getenv("THINGSEC_SHARED")
	if d == "" {
		d = "../../../../shared"
	}
	if _, err := os.Stat(filepath.Join(d, "corpus/firmware/answers.json")); err != nil {
		t.Skipf("shared corpus absent (%v)", err)
	}
	return d
}

// TestCorpus scans both realistic router images through the engine and
// checks the answer key's storage items: F25 (clients.csv), F26 (the
// portal's account database: personal data next to unsalted hashes),
// F33's plaintext PPPoE password (one user-provisioned value in a
// key-value file: the secret rules' TS-CRED-122, nothing here), the
// comment-only PPP secrets N08/N09 (silent), and the set-user-ID pppd.
func TestCorpus(t *testing.T) {
	shared := sharedDir(t)
	if raceDetector {
		t.Skip("unpacking two 24 MiB images under the race detector takes minutes; the plain run checks them")
	}
	for _, v := range []string{"1.0.0", "1.1.0"} {
		t.Run(v, func(t *testing.T) {
			if testing.Short() && v != "1.0.0" {
				t.Skip("short: one image")
			}
			img := filepath.Join(shared, "corpus/firmware/acme-hg100-"+v+".bin")
			rep, err := engine.Scan(context.Background(), engine.Config{Target: img, Workers: 2, Unpack: true,
				Files: []plugin.FileAnalyzer{privdata.New()}, Trees: []plugin.TreeAnalyzer{perms.New()}})
			if err != nil {
				t.Fatal(err)
			}
			byPath := map[string][]model.Finding{}
			for _, f := range rep.Findings {
				byPath[f.Location.Path] = append(byPath[f.Location.Path], f)
				t.Logf("%s %s %s:%d %s | %s", f.RuleID, f.Severity, f.Location.Path, f.Location.Line, f.Title, f.Evidence)
			}
			one := func(p, rule string) model.Finding {
				t.Helper()
				for _, f := range byPath[p] {
					if f.RuleID == rule {
						return f
					}
				}
				t.Fatalf("%s: no %s finding (got %v)", p, rule, byPath[p])
				return model.Finding{}
			}
			f25 := one("/var/log/gateway/clients.csv", privdata.RulePIIFile)
			if f25.Category != "pii-storage" || f25.Location.Line != 1 ||
				!strings.Contains(f25.Evidence, "email: 7 rows with e-mail addresses") || !strings.Contains(f25.Evidence, "phone: 7 rows with phone numbers") ||
				!strings.Contains(f25.Evidence, "owner: 7 rows with names") || !strings.Contains(f25.Evidence, "mac: 8 rows with device identifiers") {
				t.Errorf("F25: %+v", f25)
			}
			f26 := one("/etc/gateway/accounts.db", privdata.RulePIIDatabase)
			if f26.Category != "pii-storage" || f26.Severity != model.High || !strings.Contains(f26.Title, "table users") ||
				!strings.Contains(f26.Evidence, "email: 6 rows") || !strings.Contains(f26.Evidence, "phone: 5 rows") ||
				!strings.Contains(f26.Evidence, "password_md5: 6 rows with unsalted MD5 password hashes") {
				t.Errorf("F26: %+v", f26)
			}
			// Never the data: no address, number or hash of the files.
			for _, f := range rep.Findings {
				for _, leak := range []string{"@example", "555", "Kovacs"} {
					if strings.Contains(f.Evidence+f.Title, leak) {
						t.Errorf("%s %s shows data: %q", f.RuleID, f.Location.Path, f.Evidence)
					}
				}
			}
			if f := one("/usr/sbin/pppd", perms.RuleCommonSetuid); f.Severity != model.Info {
				t.Errorf("pppd: %+v", f)
			}
			one("/etc/gateway/accounts.db", perms.RuleReadableSecret)
			for _, quiet := range []string{"/etc/ppp/chap-secrets", "/etc/ppp/pap-secrets", "/network.json", "/tmp", "/etc/shadow", "/etc/ssl/private/gateway.key"} {
				if fs := byPath[quiet]; len(fs) > 0 {
					t.Errorf("%s must stay quiet: %v", quiet, fs)
				}
			}
			if len(rep.Findings) != 4 {
				t.Errorf("%d findings, want 4 (F25, F26, pppd, readable accounts.db)", len(rep.Findings))
			}
		})
	}
}
