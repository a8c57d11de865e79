package secrets_test

import (
	"encoding/base64"
	"path/filepath"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/secrets"
)

const ignoreConfig = `
[[rules]]
id = "acme-key"
regex = '''acme_[a-z0-9]{16}'''
keywords = ["acme_"]
[[rules]]
id = "keystore-file"
path = '''\.keystore$'''
`

// ignoreFixture writes files with findings of ignoreConfig and a
// .gitleaksignore listing some of them (by file, rule and line; path
// rules at line 0; Windows separators; commit fingerprints and comments
// that no directory scan matches).
func ignoreFixture(t *testing.T) (cfg, dir string) {
	t.Helper()
	cfg = filepath.Join(t.TempDir(), "gitleaks.toml")
	writeFiles(t, filepath.Dir(cfg), map[string]string{"gitleaks.toml": ignoreConfig})
	const k = "acme_q8w7e6r5t4y3u2i1"
	dir = t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a.txt":          "x\n" + k + "\n",
		"b.txt":          "x\n" + k + "\n",
		"sub/c.txt":      k + "\n",
		"d.txt":          k + "\n\nacme_0a9s8d7f6g5h4j3k\n",
		"app.keystore":   "keystore\n",
		"other.keystore": "keystore\n",
		"e.txt":          k + "\n",
		"f.txt":          k + "\n",
		"g.txt":          "v: " + base64.StdEncoding.EncodeToString([]byte("k="+k)) + "\n",
		".gitleaksignore": "# findings reviewed\n" +
			"a.txt:acme-key:2\n" +
			"b.txt:acme-key:1\n" +
			`sub\c.txt:acme-key:1` + "\n" +
			"  d.txt:acme-key:1  \n" +
			"app.keystore:keystore-file:0\n" +
			"4b825dc642cb6eb9a060e54bf8d69288fbee4904:e.txt:acme-key:1\n" +
			"#f.txt:acme-key:1\n\n" +
			"g.txt:acme-key:1\n" +
			"not-a-fingerprint\n",
	})
	return cfg, dir
}

// ignoreFlagged are gitleaks v8.30.1's findings in ignoreFixture.
var ignoreFlagged = []string{"b.txt:2:acme-key", "d.txt:3:acme-key", "e.txt:1:acme-key", "f.txt:1:acme-key", "other.keystore:0:keystore-file"}

func thingsecIgnored(t *testing.T, cfg, dir string) map[string]bool {
	t.Helper()
	ig, err := secrets.LoadGitleaksIgnore(filepath.Join(dir, ".gitleaksignore"))
	if err != nil {
		t.Fatal(err)
	}
	_, _, lines := thingsecReportOpt(t, cfg, dir, secrets.Options{GitleaksIgnore: ig})
	return lines
}

// TestGitleaksIgnore: .gitleaksignore fingerprints drop the findings of
// an imported configuration as they drop gitleaks' (v8.30.1's result).
func TestGitleaksIgnore(t *testing.T) {
	cfg, dir := ignoreFixture(t)
	want := map[string]bool{}
	for _, f := range ignoreFlagged {
		want[f] = true
	}
	requireSame(t, ".gitleaksignore (gitleaks v8.30.1's findings)", want, thingsecIgnored(t, cfg, dir))
}

// TestGitleaksParityIgnore: the same with gitleaks run in the directory.
func TestGitleaksParityIgnore(t *testing.T) {
	bin := gitleaksBinary(t)
	cfg, dir := ignoreFixture(t)
	_, gl := gitleaksReportIn(t, bin, cfg, dir, true)
	requireSame(t, ".gitleaksignore", gl, thingsecIgnored(t, cfg, dir))
}

// useDefaultConfig extends the default configuration: a rule disabled,
// one overridden with an allowlist, one added.
const useDefaultConfig = `
[extend]
useDefault = true
disabledRules = ["github-pat"]
[[rules]]
id = "aws-access-token"
[[rules.allowlists]]
stopwords = ["qqqq"]
[[rules]]
id = "acme-key"
regex = '''acme_[a-z0-9]{16}'''
keywords = ["acme_"]
`

func useDefaultFixture(t *testing.T) (cfg, dir string) {
	t.Helper()
	cfg = filepath.Join(t.TempDir(), "gitleaks.toml")
	writeFiles(t, filepath.Dir(cfg), map[string]string{"gitleaks.toml": useDefaultConfig})
	dir = t.TempDir()
	writeFiles(t, dir, map[string]string{
		"gh.txt":       "ghp_q8W7e6R5t4Y3u2I1o0P9a8S7d6F5g4H3j2K1\n",
		"aws.txt":      "AKIAQ2XRV7NM4K5LPSTJ\n",
		"aws-stop.txt": "AKIAQQQQV7NM4K5LPSTJ\n",
		"slack.txt":    "xoxb-281634196559-1587793086914-MRlFxQ6voXpYmgt2\n",
		"acme.txt":     "acme_q8w7e6r5t4y3u2i1\n",
		"clean.txt":    "nothing here\n",
	})
	return cfg, dir
}

// TestGitleaksUseDefault: "[extend] useDefault" extends the configuration
// GITLEAKS_DEFAULT_CONFIG names (else gitleaks' own, from the Go module
// cache), with disabledRules and overrides.
func TestGitleaksUseDefault(t *testing.T) {
	base := filepath.Join(t.TempDir(), "default.toml")
	writeFiles(t, filepath.Dir(base), map[string]string{"default.toml": `
[[rules]]
id = "github-pat"
regex = '''ghp_[0-9a-zA-Z]{36}'''
keywords = ["ghp_"]
[[rules]]
id = "aws-access-token"
regex = '''\b((?:AKIA|ASIA)[A-Z2-7]{16})\b'''
keywords = ["akia"]
`})
	t.Setenv("GITLEAKS_DEFAULT_CONFIG", base)
	cfg, dir := useDefaultFixture(t)
	_, ts := thingsecFlagged(t, cfg, dir)
	want := map[string]bool{"aws.txt": true, "acme.txt": true}
	requireSame(t, "useDefault", want, ts)

	t.Setenv("GITLEAKS_DEFAULT_CONFIG", filepath.Join(t.TempDir(), "missing.toml"))
	if _, err := secrets.LoadGitleaks(cfg); err == nil {
		t.Error("useDefault with a missing default configuration loaded")
	}
}

// TestGitleaksParityUseDefault: with gitleaks' default configuration (of
// the version the examples come from, the one installed), the extended
// configuration flags the files gitleaks flags.
func TestGitleaksParityUseDefault(t *testing.T) {
	bin := gitleaksBinary(t)
	t.Setenv("GITLEAKS_DEFAULT_CONFIG", filepath.Join(examplesDir(t), "gitleaks.toml"))
	cfg, dir := useDefaultFixture(t)
	gl, glLines := gitleaksReport(t, bin, cfg, dir)
	_, ts, tsLines := thingsecReport(t, cfg, dir)
	requireSame(t, "useDefault", gl, ts)
	requireSame(t, "useDefault, findings", glLines, tsLines)
	if !gl["aws.txt"] || gl["gh.txt"] || gl["aws-stop.txt"] {
		t.Errorf("gitleaks flags %v: the fixture does not test the extension", diffSets(gl, nil))
	}
}
