package secrets_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/analyze/secrets"
	"github.com/thingsec/thingsec/internal/engine"
)

// The parity tests run gitleaks itself (installed by
// scripts/bench-secrets.sh or "go install
// github.com/zricethezav/gitleaks/v8@latest"; never a dependency) and
// thingsec with the same configuration on the same files, and require the
// same files to be flagged. They skip when gitleaks is absent.

func gitleaksBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs gitleaks")
	}
	if p, err := exec.LookPath("gitleaks"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", "gitleaks")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("gitleaks not installed (go install github.com/zricethezav/gitleaks/v8@latest)")
	return ""
}

// gitleaksFlagged runs gitleaks dir on dir with config and returns the
// flagged files, relative to dir.
func gitleaksFlagged(t *testing.T, bin, config, dir string) map[string]bool {
	t.Helper()
	report := filepath.Join(t.TempDir(), "gl.json")
	cmd := exec.Command(bin, "dir", "--no-banner", "--exit-code", "0", "--log-level", "error",
		"--config", config, "--report-format", "json", "--report-path", report, dir)
	cmd.Dir = t.TempDir() // no .gitleaksignore of ours
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gitleaks: %v\n%s", err, out)
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var fs []struct{ File string }
	if err := json.Unmarshal(b, &fs); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, f := range fs {
		rel, err := filepath.Rel(dir, f.File)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.ToSlash(rel)] = true
	}
	return out
}

// thingsecFlagged scans dir with the built-in rules and the gitleaks
// config through the engine; it returns the files flagged by each.
func thingsecFlagged(t *testing.T, config, dir string) (builtin, imported map[string]bool) {
	t.Helper()
	var extra []*secrets.Rule
	if config != "" {
		var err error
		if extra, err = secrets.LoadGitleaks(config); err != nil {
			t.Fatal(err)
		}
	}
	sa, err := secrets.New(secrets.Options{Extra: extra})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := engine.Scan(context.Background(), engine.Config{Target: dir, Workers: 2, Files: []plugin.FileAnalyzer{sa}})
	if err != nil {
		t.Fatal(err)
	}
	builtin, imported = map[string]bool{}, map[string]bool{}
	for _, f := range rep.Findings {
		p := strings.TrimPrefix(f.Location.Path, "/")
		if strings.HasPrefix(f.RuleID, "gitleaks:") {
			imported[p] = true
		} else {
			builtin[p] = true
		}
	}
	return builtin, imported
}

func diffSets(a, b map[string]bool) []string {
	var d []string
	for k := range a {
		if !b[k] {
			d = append(d, k)
		}
	}
	sort.Strings(d)
	return d
}

// requireSame fails with the files flagged by only one side.
func requireSame(t *testing.T, what string, gl, ts map[string]bool) {
	t.Helper()
	only := diffSets(gl, ts)
	extra := diffSets(ts, gl)
	if len(only) > 0 || len(extra) > 0 {
		t.Errorf("%s: gitleaks flags %d files, thingsec --gitleaks-config %d; only gitleaks: %v; only thingsec: %v",
			what, len(gl), len(ts), head(only), head(extra))
	}
}

func head(s []string) []string {
	if len(s) > 10 {
		return append(s[:10:10], fmt.Sprintf("... %d more", len(s)-10))
	}
	return s
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// featuresFixture writes a configuration using every part of a gitleaks
// rule and files made to sit on either side of each check; it returns the
// config, the directory and the number of files.
func featuresFixture(t *testing.T) (string, string, int) {
	cfgDir, dir := t.TempDir(), t.TempDir()
	base := filepath.Join(cfgDir, "base.toml")
	cfg := filepath.Join(cfgDir, "gitleaks.toml")
	writeFiles(t, cfgDir, map[string]string{
		"base.toml": `
[[rules]]
id = "base-token"
regex = '''BASE_[A-Z0-9]{12}'''
keywords = ["base_"]
[[rules]]
id = "base-disabled"
regex = '''DISABLED_[A-Z0-9]{12}'''
keywords = ["disabled_"]
[[rules]]
id = "acme-key"
regex = '''acme_[a-z0-9]{16}'''
keywords = ["acme_"]
[[rules.allowlists]]
stopwords = ["aaaa"]
[[allowlists]]
paths = ['''(?:^|/)vendor/''']
`,
		"gitleaks.toml": `
title = "features"
[extend]
path = "` + base + `"
disabledRules = ["base-disabled"]

[[rules]]
id = "acme-key"
description = "ACME key, extended"
entropy = 3.0
[[rules.allowlists]]
regexes = ['''0000''']
regexTarget = "match"

[[rules]]
id = "grouped"
regex = '''(?i)(?:grp|group)[_-]?(key|secret)\s*[:=]\s*["']?([a-z0-9]{10,})["']?'''
secretGroup = 2
keywords = ["grp", "group"]
[[rules.allowlists]]
regexes = ['''(?i)example''']
regexTarget = "line"
[[rules.allowlists]]
condition = "AND"
paths = ['''\.md$''']
stopwords = ["test"]

[[rules]]
id = "multi-line-pem"
regex = '''-----BEGIN ACME KEY-----[\s\S]{10,200}?-----END ACME KEY-----'''
keywords = ["begin acme key"]

[[rules]]
id = "firstgroup"
regex = '''tok(?:en_(x+)|_(y+))?=([0-9]{6})'''
keywords = ["tok"]

[[rules]]
id = "pair-id"
regex = '''PAIRID_[0-9]{8}'''
keywords = ["pairid_"]
skipReport = true

[[rules]]
id = "pair-secret"
regex = '''PAIRSECRET_[0-9]{8}'''
keywords = ["pairsecret_"]
[[rules.required]]
id = "pair-id"
withinLines = 2

[[rules]]
id = "keystore-file"
path = '''\.keystore$'''

[[rules]]
id = "lua-only"
regex = '''LUA_[0-9]{8}'''
path = '''\.lua$'''
keywords = ["lua_"]

[[rules]]
id = "generic-thing"
regex = '''thing\s*=\s*(\S{8,})'''
keywords = ["thing"]

[[rules]]
id = "kw-elsewhere"
regex = '''ELSEWHERE[0-9]{6}'''
keywords = ["deploy"]

[[rules]]
id = "no-keywords"
regex = '''NOKW[0-9]{6}'''

[[allowlists]]
description = "global, targeted"
targetRules = ["no-keywords"]
regexes = ['''NOKW000000''']

[[allowlists]]
condition = "AND"
paths = ['''(?:^|/)docs/''']
regexes = ['''(?i)^BASE_DOC''']
`,
	})
	filler := strings.Repeat("lorem ipsum dolor sit amet consectetur adipiscing elit\n", 4000) // 224 kB: three fragments
	files := map[string]string{
		"base.env":              "x = BASE_ABCDEFGH1234\n",
		"vendor/base.env":       "x = BASE_ABCDEFGH1234\n",
		"disabled.env":          "x = DISABLED_ABCDEFGH1234\n",
		"acme-ok.txt":           "key: acme_q8w7e6r5t4y3u2i1\n",
		"acme-lowentropy.txt":   "key: acme_abababababababab\n",
		"acme-stopword.txt":     "key: acme_aaaa7e6r5t4y3u2i\n",
		"acme-match-allow.txt":  "key: acme_q8w70000t4y3u2i1\n",
		"grp.conf":              "GRP_KEY = \"k3j4h5g6f7d8\"\n",
		"grp-example.conf":      "GRP_KEY = \"k3j4h5g6f7d8\" # example value\n",
		"grp-test.md":           "group-secret: test1234567\n",
		"grp-test.conf":         "group-secret: test1234567\n",
		"grp-test2.md":          "group-secret: abcd1234567\n",
		"pem.txt":               "-----BEGIN ACME KEY-----\nMIIabc\ndefghijk\n-----END ACME KEY-----\n",
		"first-group.txt":       "tok_yyy=123456\n",
		"no-group.txt":          "tok=123456\n",
		"pair-near.txt":         "PAIRID_12345678\nPAIRSECRET_87654321\n",
		"pair-far.txt":          "PAIRID_12345678\n\n\n\n\nPAIRSECRET_87654321\n",
		"pair-id-only.txt":      "PAIRID_12345678\n",
		"app.keystore":          "binary-ish keystore\n",
		"empty.keystore":        "",
		"x.lua":                 "k = 'LUA_12345678'\n",
		"x.js":                  "k = 'LUA_12345678'\n",
		"generic.txt":           "thing = abcdefghij\n",
		"generic-shadowed.txt":  "thing = BASE_ABCDEFGH1234\n",
		"nokw.txt":              "NOKW123456\n",
		"nokw-allowed.txt":      "NOKW000000\n",
		"docs/base.md":          "BASE_DOCABCDEFGH1\n",
		"docs/base2.md":         "BASE_ABCDEFGH1234\n",
		"inline-allow.txt":      "x = BASE_ABCDEFGH1234 # gitleaks:allow\n",
		"lastline-allow.txt":    "# gitleaks:allow\nx = BASE_ABCDEFGH1234",
		"lastline-nl-allow.txt": "# gitleaks:allow\nx = BASE_ABCDEFGH1234\n",
		// the keyword gates the whole fragment, not the line
		"kw-far.txt":  "deploy\n\n\nELSEWHERE123456\n",
		"kw-none.txt": "ELSEWHERE123456\n",
		// a keyword in one fragment, the match in a later one: no finding
		"fragments.txt":  "deploy\n" + filler + "\n\nELSEWHERE123456\n",
		"fragments2.txt": filler + "\n\ndeploy ELSEWHERE123456\n",
	}
	writeFiles(t, dir, files)
	return cfg, dir, len(files)
}

// featuresFlagged are the files of featuresFixture that gitleaks v8.30.1
// flags (TestGitleaksParityFeatures checks the list against gitleaks).
var featuresFlagged = []string{"acme-ok.txt", "app.keystore", "base.env", "first-group.txt", "fragments2.txt",
	"generic-shadowed.txt", "generic.txt", "grp-test.conf", "grp-test2.md", "grp.conf", "kw-far.txt",
	"lastline-nl-allow.txt", "no-group.txt", "nokw.txt", "pair-near.txt", "pem.txt", "x.lua"}

// TestGitleaksFeatures: the imported configuration flags the files gitleaks
// flags, without gitleaks installed.
func TestGitleaksFeatures(t *testing.T) {
	cfg, dir, _ := featuresFixture(t)
	_, ts := thingsecFlagged(t, cfg, dir)
	want := map[string]bool{}
	for _, f := range featuresFlagged {
		want[f] = true
	}
	requireSame(t, "features (gitleaks v8.30.1's result)", want, ts)
}

// TestGitleaksParityFeatures: the same with gitleaks run on the files.
func TestGitleaksParityFeatures(t *testing.T) {
	bin := gitleaksBinary(t)
	cfg, dir, n := featuresFixture(t)
	gl := gitleaksFlagged(t, bin, cfg, dir)
	_, ts := thingsecFlagged(t, cfg, dir)
	requireSame(t, "features", gl, ts)
	// The corpus must exercise both outcomes.
	if len(gl) < 10 || len(gl) > n-10 {
		t.Errorf("gitleaks flags %d of %d files: the corpus does not test the checks", len(gl), n)
	}
}

// examplesDir is the corpus of scripts/gitleaks-examples.sh: from
// $GITLEAKS_EXAMPLES, or made once in the temp directory.
func examplesDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("GITLEAKS_EXAMPLES"); d != "" {
		return d
	}
	d := filepath.Join(os.TempDir(), "thingsec-gitleaks-examples-v8.30.1")
	if _, err := os.Stat(filepath.Join(d, "VERSION")); err == nil {
		return d
	}
	out, err := exec.Command("../../../scripts/gitleaks-examples.sh", d, "v8.30.1").CombinedOutput()
	if err != nil {
		os.RemoveAll(d)
		t.Skipf("gitleaks examples not available: %v\n%s", err, out)
	}
	return d
}

// builtinExamples writes each built-in rule's examples as files:
// match/RULE-N and no_match/RULE-N.
func builtinExamples(t *testing.T) string {
	t.Helper()
	rs, err := secrets.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{}
	for _, r := range rs {
		if r.Paths != "" {
			continue // the example needs a path the rule reads
		}
		for i, ex := range r.Examples.Match {
			files[fmt.Sprintf("tp/%s-%d", r.ID, i)] = ex + "\n"
		}
		for i, ex := range r.Examples.NoMatch {
			files[fmt.Sprintf("fp/%s-%d", r.ID, i)] = ex + "\n"
		}
	}
	writeFiles(t, dir, files)
	return dir
}

// TestGitleaksParityExamples: on gitleaks' own rule examples and on the
// built-in rules' examples, --gitleaks-config with gitleaks' default
// configuration flags exactly the files gitleaks flags. It prints the
// recall and false positives of the built-in rules, gitleaks and the
// imported configuration.
func TestGitleaksParityExamples(t *testing.T) {
	bin := gitleaksBinary(t)
	ex := examplesDir(t)
	cfg := filepath.Join(ex, "gitleaks.toml")
	corpora := []struct{ name, tp, fp string }{
		{"gitleaks examples", filepath.Join(ex, "tp"), filepath.Join(ex, "fp")},
		{"gitleaks path examples", filepath.Join(ex, "tp-path"), filepath.Join(ex, "fp-path")},
	}
	own := builtinExamples(t)
	corpora = append(corpora, struct{ name, tp, fp string }{"thingsec examples", filepath.Join(own, "tp"), filepath.Join(own, "fp")})
	for _, c := range corpora {
		t.Run(c.name, func(t *testing.T) {
			var line []string
			for _, side := range []struct{ kind, dir string }{{"positives", c.tp}, {"negatives", c.fp}} {
				n := 0
				filepath.WalkDir(side.dir, func(p string, d os.DirEntry, err error) error {
					if err == nil && !d.IsDir() {
						n++
					}
					return err
				})
				gl := gitleaksFlagged(t, bin, cfg, side.dir)
				builtin, imported := thingsecFlagged(t, cfg, side.dir)
				requireSame(t, c.name+" "+side.kind, gl, imported)
				line = append(line, fmt.Sprintf("%s %d: thingsec built-in %d, gitleaks %d, thingsec --gitleaks-config %d",
					side.kind, n, len(builtin), len(gl), len(imported)))
			}
			t.Logf("%s: %s", c.name, strings.Join(line, "; "))
		})
	}
}
