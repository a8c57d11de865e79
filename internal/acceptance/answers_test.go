package acceptance

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/sets"
	"github.com/thingsec/thingsec/internal/engine"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/unpack"
	"github.com/thingsec/thingsec/internal/vuln/enrich"
)

// answers is the part of the corpus answer key (answers.json) these
// tests read.
type answers struct {
	Images map[string]struct {
		Image struct {
			File string `json:"file"`
		} `json:"image"`
		Findings []struct {
			ID        string   `json:"id"`
			Category  string   `json:"category"`
			Accepted  []string `json:"accepted_categories"`
			Path      string   `json:"path"`
			UBIFSPath string   `json:"ubifs_path"`
			Component string   `json:"component"`
			Evidence  struct {
				File string `json:"file"`
				Line *int   `json:"line"`
			} `json:"evidence"`
		} `json:"findings"`
		Negatives []struct {
			ID      string `json:"id"`
			Path    string `json:"path"`
			What    string `json:"what"`
			MustNot string `json:"must_not"`
		} `json:"negative_controls"`
	} `json:"images"`
}

func corpus(t *testing.T) (string, *answers) {
	t.Helper()
	d := os.Getenv("THINGSEC_SHARED")
	if d == "" {
		d = "../../../shared"
	}
	dir := filepath.Join(d, "corpus/firmware")
	b, err := os.ReadFile(filepath.Join(dir, "answers.json"))
	if err != nil {
		t.Skipf("shared corpus absent (%v)", err)
	}
	var a answers
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	return dir, &a
}

var (
	scanMu  sync.Mutex
	scanned = map[string]*model.Report{}
)

// scan runs what thingsec scan runs, with the embedded sample database
// (a database path that does not exist), once per image per test binary.
func scan(t *testing.T, image string) *model.Report {
	t.Helper()
	scanMu.Lock()
	defer scanMu.Unlock()
	if r := scanned[image]; r != nil {
		return r
	}
	set, err := sets.Build(sets.Default, sets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := engine.Scan(context.Background(), engine.Config{
		Target: image, Workers: 2, Unpack: true, Limits: unpack.DefaultLimits(),
		Files: set.Files, Components: set.Components, Trees: set.Trees,
		Enrichers: []engine.Enricher{&enrich.Vulns{Path: filepath.Join(t.TempDir(), "none.db")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	scanned[image] = rep
	return rep
}

// synonyms are categories of the report that the key counts as its own.
var synonyms = map[string][]string{
	"insecure-service": {"debug-interface"},
	"insecure-config":  {"cleartext-transmission"},
}

// TestAnswerKeyFindings: every finding of each version's key is reported
// in the file the key names, with the key's category, an accepted one or
// a synonym; for a vulnerable component, a component is reported in that
// file at the key's version (its advisories need the full database, which
// tests do not have).
func TestAnswerKeyFindings(t *testing.T) {
	dir, a := corpus(t)
	versions := make([]string, 0, len(a.Images))
	for v := range a.Images {
		versions = append(versions, v)
	}
	sort.Strings(versions)
	for _, v := range versions {
		img := a.Images[v]
		t.Run(v, func(t *testing.T) {
			rep := scan(t, filepath.Join(dir, img.Image.File))
			byPath := map[string][]model.Finding{}
			for _, f := range rep.Findings {
				byPath[f.Location.Path] = append(byPath[f.Location.Path], f)
			}
			var missing []string
			for _, k := range img.Findings {
				if k.Category == "vulnerable-component" {
					if !hasComponent(rep, k.Path, k.Component) {
						missing = append(missing, fmt.Sprintf("%s %s: no component at the version of %s", k.ID, k.Path, k.Component))
					}
					continue
				}
				var cats []string
				for _, c := range append([]string{k.Category}, k.Accepted...) {
					for _, c := range append([]string{c}, synonyms[c]...) {
						if !slices.Contains(cats, c) {
							cats = append(cats, c)
						}
					}
				}
				path := k.Evidence.File
				if path == "" {
					path = k.Path
				}
				found := slices.ContainsFunc(byPath[path], func(f model.Finding) bool {
					return slices.Contains(cats, f.Category)
				})
				if !found {
					var got []string
					for _, f := range byPath[path] {
						got = append(got, f.RuleID+" "+f.Category)
					}
					missing = append(missing, fmt.Sprintf("%s %s: want %s, got %v", k.ID, path, strings.Join(cats, "|"), got))
				}
			}
			for _, m := range missing {
				t.Error("not reported: " + m)
			}
		})
	}
}

// negatives say, for the key's negative controls, which findings would
// break them. A control is picked by its path and a word of its "what";
// each must exist in the key of the version it is applied to.
var negatives = []struct {
	path, what string
	bad        func(f model.Finding) bool
}{
	{"/etc/shadow", "netops", func(f model.Finding) bool {
		return f.Category == "credential" && mentions(f, "netops")
	}},
	{"/etc/shadow", "locked", func(f model.Finding) bool {
		return f.Category == "credential" && mentions(f, "dnsmasq:", "snmp:", "sshd:", "daemon:", "ftp:", "network:", "nobody:", "account dnsmasq", "account snmp", "account sshd", "account daemon", "account ftp", "account network", "account nobody")
	}},
	{"/etc/ssl/certs/ca-certificates.crt", "root bundle", func(f model.Finding) bool {
		return slices.Contains([]string{"private-key", "secret-token", "weak-crypto/cert", "credential"}, f.Category)
	}},
	{"/etc/ssh/ssh_host_ed25519_key.pub", "public", func(f model.Finding) bool { return f.Category == "private-key" }},
	{"/etc/ssl/certs/hg-device-ca.crt", "device CA", func(f model.Finding) bool {
		return f.Category == "weak-crypto/cert" && mentions(f, "expired", "SHA-1", "SHA1")
	}},
	{"/factory/identity.crt", "identity", func(f model.Finding) bool {
		return slices.Contains([]string{"private-key", "secret-token", "credential"}, f.Category)
	}},
	{"/www/cgi-bin/status.lua", "constant", func(f model.Finding) bool {
		return slices.Contains([]string{"command-injection", "insecure-service"}, f.Category)
	}},
	{"/etc/ppp/chap-secrets", "comment-only", func(model.Finding) bool { return true }},
	{"/etc/ppp/pap-secrets", "comment-only", func(model.Finding) bool { return true }},
	{"/www/js/main.js", "https", func(f model.Finding) bool {
		return slices.Contains([]string{"cleartext-transmission", "insecure-config"}, f.Category) && mentions(f, "SUPPORT_URL", "https://")
	}},
	{"/usr/lib/lua/gateway/cloud.lua", "https", func(f model.Finding) bool {
		return slices.Contains([]string{"cleartext-transmission", "insecure-config"}, f.Category) && mentions(f, "STRIPE_API", "https://")
	}},
	{"/usr/sbin/acme-meshd", "hardened", func(f model.Finding) bool { return f.Category == "binary-hardening" }},
	{"/etc/inetd.conf", "telnet", func(f model.Finding) bool { return mentions(f, "telnet") }},
	{"/etc/ssh/sshd_config", "PermitRootLogin", func(f model.Finding) bool {
		return mentions(f, "PermitRootLogin yes") || strings.Contains(strings.ToLower(f.Title), "root")
	}},
	{"/etc/gateway/cloud.conf", "Slack", func(f model.Finding) bool { return mentions(f, "xoxb-", "Slack") }},
	{"/usr/sbin/acme-upd", "canary", func(f model.Finding) bool {
		return f.Category == "binary-hardening" && mentions(f, "No Canary", "no stack canary", "canary missing")
	}},
}

// mentions says whether the finding's title or evidence contains one of
// words (case-insensitively).
func mentions(f model.Finding, words ...string) bool {
	text := strings.ToLower(f.Title + "\n" + f.Evidence)
	for _, w := range words {
		if strings.Contains(text, strings.ToLower(w)) {
			return true
		}
	}
	return false
}

// reportPath is where a key path is in the report: files of the factory
// archive are at the archive's root.
func reportPath(p string) string {
	if rest, ok := strings.CutPrefix(p, "/factory/"); ok {
		return "/" + rest
	}
	return p
}

// TestAnswerKeyNegatives: the key's negative controls are not reported
// as the key says they must not be: findings by the table above, and
// vulnerabilities by the advisory IDs their must_not text names for the
// component at that path.
func TestAnswerKeyNegatives(t *testing.T) {
	dir, a := corpus(t)
	cve := regexp.MustCompile(`CVE-\d{4}-\d{4,}`)
	for v, img := range a.Images {
		t.Run(v, func(t *testing.T) {
			rep := scan(t, filepath.Join(dir, img.Image.File))
			checked := 0
			for _, n := range img.Negatives {
				path := reportPath(n.Path)
				for _, neg := range negatives {
					if neg.path != n.Path || !strings.Contains(strings.ToLower(n.What+" "+n.MustNot), strings.ToLower(neg.what)) {
						continue
					}
					checked++
					for _, f := range rep.Findings {
						if f.Location.Path == path && neg.bad(f) {
							t.Errorf("%s %s (%s): reported as %s %s: %s", n.ID, n.Path, n.What, f.RuleID, f.Category, f.Title)
						}
					}
				}
				forbidden := cve.FindAllString(n.MustNot, -1)
				if len(forbidden) == 0 {
					continue
				}
				checked++
				at := map[string]bool{}
				for _, c := range rep.Components {
					for _, l := range c.Locations {
						if l.Path == path {
							at[c.Ref] = true
						}
					}
				}
				for _, vu := range rep.Vulnerabilities {
					if at[vu.Component] && (slices.Contains(forbidden, vu.ID) || slices.ContainsFunc(vu.Aliases, func(a string) bool { return slices.Contains(forbidden, a) })) {
						t.Errorf("%s %s: reported %s for %s %s", n.ID, n.Path, vu.ID, vu.ComponentName, vu.InstalledVersion)
					}
				}
			}
			if checked < len(img.Negatives)-2 {
				t.Errorf("only %d of %d negative controls checked: the key changed?", checked, len(img.Negatives))
			}
		})
	}
}

// hasComponent says whether a component installed at path has the
// version of want ("name@version"); names differ between an SBOM and the
// key (libc, glibc), versions may carry a package revision (1.35.0-1).
func hasComponent(rep *model.Report, path, want string) bool {
	_, version, _ := strings.Cut(want, "@")
	for _, c := range rep.Components {
		if c.Version != version && !strings.HasPrefix(c.Version, version+"-") {
			continue
		}
		for _, l := range c.Locations {
			if l.Path == path {
				return true
			}
		}
	}
	return false
}
