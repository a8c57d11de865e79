package secrets_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// negativeTrees are public trees without real secrets: the Go standard
// library sources (a large source tree full of test fixtures), the C
// headers, documentation and the CA certificates of the host, and a
// minimal Debian root file system (scripts/mkrootfs-debian.sh). Each is
// skipped when absent.
var negativeTrees = []string{"/usr/local/go/src", "/usr/include", "/usr/share/doc", "/usr/share/ca-certificates", debianRootfs()}

func debianRootfs() string {
	if c := os.Getenv("THINGSEC_CACHE"); c != "" {
		return filepath.Join(c, "thingsec-debootstrap")
	}
	return filepath.Join(os.TempDir(), "thingsec-debootstrap")
}

// A private key finding (TS-KEY-*) is a real key that parsed, so it is a
// true positive wherever it lies (Go's TLS test keys, the example keys of
// Debian's documentation: xmlsec1, the Perl SSL modules, ...); which of
// them a host has depends on its packages, so they are logged, not
// failed. Every other finding in these trees is a false positive.
func realKey(f string) bool { return strings.HasPrefix(f, "TS-KEY-") }

func TestNegativeCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: scans the host's source and documentation trees")
	}
	for _, dir := range negativeTrees {
		t.Run(strings.ReplaceAll(dir, "/", "_"), func(t *testing.T) {
			if _, err := os.Stat(dir); err != nil {
				t.Skipf("%s absent", dir)
			}
			rep := scanWithSecretAnalyzers(t, dir)
			byRule := map[string][]string{}
			for _, f := range rep.Findings {
				byRule[f.RuleID] = append(byRule[f.RuleID], f.Location.Path)
			}
			var rules []string
			for r := range byRule {
				rules = append(rules, r)
			}
			sort.Strings(rules)
			for _, r := range rules {
				t.Logf("%s: %d", r, len(byRule[r]))
			}
			t.Logf("%d files, %d findings", len(rep.Files), len(rep.Findings))
			for _, f := range rep.Findings {
				if realKey(f.RuleID) {
					t.Logf("real key %s %s:%d [%s]", f.RuleID, f.Location.Path, f.Location.Line, f.Evidence)
				} else {
					t.Errorf("unexpected finding %s %s:%d %s [%s]", f.RuleID, f.Location.Path, f.Location.Line, f.Title, f.Evidence)
				}
			}
		})
	}
}
