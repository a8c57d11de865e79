package secrets_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/accounts"
	"github.com/thingsec/thingsec/internal/analyze/crypto"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/analyze/secrets"
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

// scanWithSecretAnalyzers runs the three analyzers of the secrets command
// over dir through the real engine.
func scanWithSecretAnalyzers(t *testing.T, dir string) *model.Report {
	t.Helper()
	sa, err := secrets.New(secrets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	aa, err := accounts.New(accounts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ca := crypto.New(crypto.Options{})
	rep, err := engine.Scan(context.Background(), engine.Config{Target: dir, Workers: 2,
		Files: []plugin.FileAnalyzer{sa, aa, ca}, Trees: []plugin.TreeAnalyzer{ca}})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

var templateVar = regexp.MustCompile(`@([A-Z][A-Z0-9_]*)@`)

// stageRootfs rebuilds the device tree of one corpus version from its
// build inputs (overlay templates filled from secrets/tokens.env, the key
// material, the config and factory partitions) as mkrootfs.sh does.
func stageRootfs(t *testing.T, build, version string) string {
	t.Helper()
	env := map[string]string{"VERSION": version}
	tok, err := os.ReadFile(filepath.Join(build, "secrets/tokens.env"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(tok), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			env[k] = strings.Trim(v, "'")
		}
	}
	env["SSID_SUFFIX"] = strings.ToLower(strings.ReplaceAll(env["BASE_MAC"], ":", ""))[8:]
	root := t.TempDir()
	write := func(dst string, b []byte) {
		p := filepath.Join(root, dst)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	render := func(src, dst string) {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(src, ".in") {
			b = templateVar.ReplaceAllFunc(b, func(m []byte) []byte { return []byte(env[string(m[1:len(m)-1])]) })
			dst = strings.TrimSuffix(dst, ".in")
		}
		write(dst, b)
	}
	for _, layer := range []string{"common", version} {
		base := filepath.Join(build, "overlay", layer)
		filepath.WalkDir(base, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(base, p)
				render(p, rel)
			}
			return err
		})
	}
	for src, dst := range map[string]string{
		"ssh_host_ed25519_key": "etc/ssh/ssh_host_ed25519_key", "ssh_host_ed25519_key.pub": "etc/ssh/ssh_host_ed25519_key.pub",
		"gateway.key": "etc/ssl/private/gateway.key", "gateway.crt": "etc/ssl/certs/gateway.crt",
		"hg-device-ca.key": "etc/ssl/private/hg-device-ca.key", "hg-device-ca.crt": "etc/ssl/certs/hg-device-ca.crt",
		"accounts.db": "etc/gateway/accounts.db", "factory-identity.crt": "factory/identity.crt",
	} {
		render(filepath.Join(build, "secrets", src), dst)
	}
	for _, f := range []string{"network.json.in", "system.json", "wireless.json"} {
		render(filepath.Join(build, "config-partition", f), "config/"+f)
	}
	// The image ships Debian's CA bundle (negative control N03); use the
	// host's copy of the same package when present.
	if b, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt"); err == nil {
		write("etc/ssl/certs/ca-certificates.crt", b)
	}
	return root
}

var myCategories = map[string]bool{"credential": true, "private-key": true, "secret-token": true, "weak-crypto/cert": true, "backdoor-key": true}

type answerKey struct {
	Images map[string]struct {
		Findings []struct {
			ID       string   `json:"id"`
			Category string   `json:"category"`
			Accepted []string `json:"accepted_categories"`
			Path     string   `json:"path"`
		} `json:"findings"`
		Negative []struct {
			ID   string `json:"id"`
			Path string `json:"path"`
			What string `json:"what"`
		} `json:"negative_controls"`
	} `json:"images"`
}

// TestFirmwareCorpus: every credential, private-key, secret-token,
// weak-crypto/cert and backdoor-key answer of both versions is found on
// its path with one of its categories, and no negative control is hit.
func TestFirmwareCorpus(t *testing.T) {
	shared := sharedDir(t)
	build := filepath.Join(shared, "corpus/firmware/build")
	if _, err := os.Stat(filepath.Join(build, "overlay")); err != nil {
		t.Skipf("corpus build tree absent: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(shared, "corpus/firmware/answers.json"))
	if err != nil {
		t.Fatal(err)
	}
	var key answerKey
	if err := json.Unmarshal(b, &key); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"1.0.0", "1.1.0"} {
		t.Run(v, func(t *testing.T) {
			rep := scanWithSecretAnalyzers(t, stageRootfs(t, build, v))
			byPath := map[string][]model.Finding{}
			for _, f := range rep.Findings {
				if !myCategories[f.Category] {
					t.Errorf("category %q is not in the taxonomy: %+v", f.Category, f)
				}
				if f.Severity.Rank() > model.Info.Rank() {
					byPath[f.Location.Path] = append(byPath[f.Location.Path], f)
				}
			}
			im := key.Images[v]
			for _, ans := range im.Findings {
				cats := append([]string{ans.Category}, ans.Accepted...)
				mine := false
				for _, c := range cats {
					mine = mine || myCategories[c]
				}
				if !mine {
					continue
				}
				found := false
				for _, f := range byPath[ans.Path] {
					for _, c := range cats {
						found = found || f.Category == c
					}
				}
				if !found {
					t.Errorf("%s %s %v not found (findings there: %v)", ans.ID, ans.Path, cats, titles(byPath[ans.Path]))
				}
			}
			for _, n := range im.Negative {
				for _, f := range byPath[n.Path] {
					if negativeHit(n.ID, f) {
						t.Errorf("negative control %s (%s: %s) reported: %s %s [%s]", n.ID, n.Path, n.What, f.RuleID, f.Title, f.Evidence)
					}
				}
			}
			if testing.Verbose() {
				for _, f := range rep.Findings {
					t.Logf("%-8s %-11s %-16s %s: %s [%s]", f.Severity, f.RuleID, f.Category, f.Location.Path, f.Title, f.Evidence)
				}
			}
		})
	}
}

// negativeHit says whether a finding on a negative control's path is the
// kind of report the control forbids.
func negativeHit(id string, f model.Finding) bool {
	switch id {
	case "N01": // netops' strong sha512crypt hash
		return strings.Contains(f.Title, `"netops"`)
	case "N02": // locked service accounts
		for _, u := range []string{"dnsmasq", "snmp", "sshd", "daemon", "ftp", "network", "nobody"} {
			if strings.Contains(f.Title, `"`+u+`"`) {
				return true
			}
		}
		return false
	case "N06": // public identity certificate: no key or secret
		return f.Category != "weak-crypto/cert"
	case "N10": // main.js: only the GitHub token is a secret there
		return !strings.Contains(f.Title, "GitHub")
	case "N11": // cloud.lua: only the Stripe key
		return !strings.Contains(f.Title, "Stripe")
	case "N23": // cloud.conf of 1.1.0: the Slack token is gone
		return strings.Contains(f.Title, "Slack")
	}
	return myCategories[f.Category]
}

func titles(fs []model.Finding) []string {
	var s []string
	for _, f := range fs {
		s = append(s, f.RuleID+" "+f.Title)
	}
	return s
}
