package secrets_test

import (
	"os"
	"sort"
	"strings"
	"testing"
)

// negativeTrees are public trees without real secrets: the Go standard
// library sources (a large source tree full of test fixtures), the C
// headers, documentation and the CA certificates of the host. Each is
// skipped when absent.
var negativeTrees = []string{"/usr/local/go/src", "/usr/include", "/usr/share/doc", "/usr/share/ca-certificates"}

// negativeAllowed documents the findings that are expected in those
// trees, by rule and path suffix: real private keys and test credentials
// the Go standard library ships as test fixtures.
var negativeAllowed = []string{
	// Go: a real EC key and its self-signed CA certificate (TLS example),
	// and the private key of the test root used by crypto/x509.
	"TS-KEY-001 /crypto/tls/testdata/example-key.pem",
	"TS-KEY-020 /crypto/tls/testdata/example-key.pem",
	"TS-KEY-001 /crypto/x509/platform_root_key.pem",
	"TS-KEY-020 /crypto/x509/platform_root_key.pem",
	// Debian documentation: the xmlsec1 example RSA-512 key and its CA.
	"TS-KEY-001 /libxmlsec1-dev/examples/rsakey.pem",
	"TS-KEY-004 /libxmlsec1-dev/examples/rsakey.pem",
	"TS-KEY-020 /libxmlsec1-dev/examples/rsakey.pem",
}

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
			allowed := map[string]bool{}
			for _, a := range negativeAllowed {
				allowed[a] = true
			}
			for _, f := range rep.Findings {
				if !allowed[f.RuleID+" "+f.Location.Path] {
					t.Errorf("unexpected finding %s %s:%d %s [%s]", f.RuleID, f.Location.Path, f.Location.Line, f.Title, f.Evidence)
				}
			}
		})
	}
}
