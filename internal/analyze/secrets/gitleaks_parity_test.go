package secrets_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
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
	files, _ := gitleaksReport(t, bin, config, dir)
	return files
}

// gitleaksReport is gitleaksFlagged with the findings too, as
// "file:line:rule".
func gitleaksReport(t *testing.T, bin, config, dir string) (files, lines map[string]bool) {
	return gitleaksReportIn(t, bin, config, dir, false)
}

// gitleaksReportIn is gitleaksReport; inside runs gitleaks in dir on "."
// (paths relative to it, as .gitleaksignore fingerprints name them, and
// dir's .gitleaksignore read), else in an empty directory on dir.
func gitleaksReportIn(t *testing.T, bin, config, dir string, inside bool) (files, lines map[string]bool) {
	t.Helper()
	report := filepath.Join(t.TempDir(), "gl.json")
	src := dir
	if inside {
		src = "."
	}
	cmd := exec.Command(bin, "dir", "--no-banner", "--exit-code", "0", "--log-level", "error",
		"--config", config, "--report-format", "json", "--report-path", report, src)
	cmd.Dir = t.TempDir() // no .gitleaksignore of ours
	if inside {
		cmd.Dir = dir
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gitleaks: %v\n%s", err, out)
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var fs []glFinding
	if err := json.Unmarshal(b, &fs); err != nil {
		t.Fatal(err)
	}
	files, lines = map[string]bool{}, map[string]bool{}
	for _, f := range fs {
		if !filepath.IsAbs(f.File) {
			f.File = filepath.Join(dir, f.File)
		}
		rel, err := filepath.Rel(dir, f.File)
		if err != nil {
			t.Fatal(err)
		}
		rel = filepath.ToSlash(rel)
		files[rel] = true
		lines[fmt.Sprintf("%s:%d:%s", rel, f.StartLine, f.RuleID)] = true
	}
	return files, lines
}

// thingsecFlagged scans dir with the built-in rules and the gitleaks
// config through the engine; it returns the files flagged by each.
func thingsecFlagged(t *testing.T, config, dir string) (builtin, imported map[string]bool) {
	builtin, imported, _ = thingsecReport(t, config, dir)
	return builtin, imported
}

// thingsecReport is thingsecFlagged with the imported configuration's
// findings too, as "file:line:rule".
func thingsecReport(t *testing.T, config, dir string) (builtin, imported, lines map[string]bool) {
	return thingsecReportOpt(t, config, dir, secrets.Options{})
}

// thingsecReportOpt is thingsecReport with analyzer options.
func thingsecReportOpt(t *testing.T, config, dir string, opt secrets.Options) (builtin, imported, lines map[string]bool) {
	t.Helper()
	if config != "" {
		extra, err := secrets.LoadGitleaks(config)
		if err != nil {
			t.Fatal(err)
		}
		opt.Extra = append(opt.Extra, extra...)
	}
	sa, err := secrets.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := engine.Scan(context.Background(), engine.Config{Target: dir, Workers: 2, Files: []plugin.FileAnalyzer{sa}})
	if err != nil {
		t.Fatal(err)
	}
	builtin, imported, lines = map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, f := range rep.Findings {
		p := strings.TrimPrefix(f.Location.Path, "/")
		if id, ok := strings.CutPrefix(f.RuleID, "gitleaks:"); ok {
			imported[p] = true
			lines[fmt.Sprintf("%s:%d:%s", p, f.Location.Line, id)] = true
		} else {
			builtin[p] = true
		}
	}
	return builtin, imported, lines
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
// configuration flags exactly the files gitleaks flags, with the same
// findings (file, line, rule). It prints the
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
				gl, glLines := gitleaksReport(t, bin, cfg, side.dir)
				builtin, imported, tsLines := thingsecReport(t, cfg, side.dir)
				requireSame(t, c.name+" "+side.kind, gl, imported)
				requireSame(t, c.name+" "+side.kind+", findings (file, line, rule)", glLines, tsLines)
				line = append(line, fmt.Sprintf("%s %d: thingsec built-in %d, gitleaks %d, thingsec --gitleaks-config %d",
					side.kind, n, len(builtin), len(gl), len(imported)))
			}
			t.Logf("%s: %s", c.name, strings.Join(line, "; "))
		})
	}
}

// decodingFixture writes files holding tokens of gitleaks' default rules
// in every encoding gitleaks decodes (base64 standard and url-safe, hex,
// percent, \u escapes, U+ code points, nested up to and past its depth),
// and encoded texts that hold no token or do not decode.
func decodingFixture(t *testing.T) (string, int) {
	t.Helper()
	const (
		gh  = "ghp_q8W7e6R5t4Y3u2I1o0P9a8S7d6F5g4H3j2K1"         // github-pat
		aws = "AKIAQ2XRV7NM4K5LPSTJ"                             // aws-access-token
		sl  = "xoxb-281634196559-1587793086914-MRlFxQ6voXpYmgt2" // slack-bot-token
	)
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	b64url := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	hexs := func(s string) string { return hex.EncodeToString([]byte(s)) }
	pct := func(s string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			fmt.Fprintf(&b, "%%%02X", s[i])
		}
		return b.String()
	}
	uesc := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			fmt.Fprintf(&b, "\\u%04x", r)
		}
		return b.String()
	}
	ucp := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			fmt.Fprintf(&b, "U+%04X ", r)
		}
		return b.String()
	}
	nest := func(s string, n int) string {
		for i := 0; i < n; i++ {
			s = b64(s)
		}
		return s
	}
	files := map[string]string{
		"plain.txt":          "token = " + gh + "\n",
		"b64.txt":            "data: " + b64("token = "+gh) + "\n",
		"b64-bare.txt":       "value=" + b64(gh) + "\n",
		"b64url.txt":         "v=" + b64url("key: "+aws+"??>>") + "\n",
		"hex.txt":            "blob " + hexs("aws "+aws) + " end\n",
		"pct.txt":            "url=https://x.example/?t=" + pct(sl) + "\n",
		"pct-partial.txt":    "q=" + strings.Replace(sl, "-", "%2D", -1) + "\n",
		"uesc.js":            "var s = \"" + uesc(gh) + "\";\n",
		"ucp.txt":            ucp(aws) + "\n",
		"nest2.txt":          "x " + nest("t="+gh, 2) + "\n",
		"nest5.txt":          "x " + nest("t="+gh, 5) + "\n",
		"nest6.txt":          "x " + nest("t="+gh, 6) + "\n",
		"b64-of-pct.txt":     "x " + b64("u="+pct(gh)) + "\n",
		"b64-allow.txt":      "data: " + b64("token = "+gh) + " # gitleaks:allow\n",
		"b64-multiline.txt":  "a\nb: " + b64("line1\ntoken = "+gh+"\nline3") + "\nc\n",
		"b64-secondline.txt": "header\n\n" + "k: " + b64(aws) + "\n",
		// not secrets, or not decodable as gitleaks decodes
		"b64-clean.txt":     "data: " + b64("nothing to see here, move along please") + "\n",
		"b64-binary.txt":    "data: " + base64.StdEncoding.EncodeToString([]byte("\x00\x01"+gh)) + "\n",
		"hex-odd.txt":       "blob " + hexs("aws "+aws) + "f end\n",
		"hex-clean.txt":     "sha " + hexs("abcdefghijklmnopqrstuvwxyz0123") + "\n",
		"pct-clean.txt":     "path=%2Fusr%2Flocal%2Fbin\n",
		"b64-truncated.txt": "data: " + b64("token = " + gh)[:30] + "\n",
		"uesc-clean.js":     "var s = \"" + uesc("hello world, nothing") + "\";\n",
		"b64-nodigit.txt":   "data: QUJDREVGR0hJSktMTU5PUFFSU1RVVldY\n",
		"b64-notouch.txt":   "token = " + gh + " " + b64("unrelated text here") + "\n",
	}
	dir := t.TempDir()
	writeFiles(t, dir, files)
	return dir, len(files)
}

// decodingConfig is a configuration of three token rules for
// decodingFixture.
const decodingConfig = `
[[rules]]
id = "github-pat"
regex = '''ghp_[0-9a-zA-Z]{36}'''
keywords = ["ghp_"]
[[rules]]
id = "aws-access-token"
regex = '''\b((?:AKIA|ASIA)[A-Z2-7]{16})\b'''
keywords = ["akia", "asia"]
[[rules]]
id = "slack-bot-token"
regex = '''xoxb-[0-9]{10,13}-[0-9]{10,13}[a-zA-Z0-9-]*'''
keywords = ["xoxb"]
`

// decodingFlagged are the findings of decodingConfig in decodingFixture
// that gitleaks v8.30.1 reports.
var decodingFlagged = []string{
	"b64-bare.txt:1:github-pat", "b64-multiline.txt:2:github-pat", "b64-notouch.txt:1:github-pat",
	"b64-of-pct.txt:1:github-pat", "b64-secondline.txt:3:aws-access-token", "b64.txt:1:github-pat",
	"b64url.txt:1:aws-access-token", "hex.txt:1:aws-access-token", "nest2.txt:1:github-pat",
	"nest5.txt:1:github-pat", "pct-partial.txt:1:slack-bot-token", "pct.txt:1:slack-bot-token",
	"plain.txt:1:github-pat", "ucp.txt:1:aws-access-token", "uesc.js:1:github-pat",
}

// glFinding is a finding of gitleaks' JSON report.
type glFinding struct {
	File      string
	RuleID    string
	StartLine int
}

// TestGitleaksDecoding: the imported configuration decodes encoded text
// as gitleaks does (gitleaks v8.30.1's findings, without gitleaks).
func TestGitleaksDecoding(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "decoding.toml")
	writeFiles(t, filepath.Dir(cfg), map[string]string{"decoding.toml": decodingConfig})
	dir, _ := decodingFixture(t)
	_, _, ts := thingsecReport(t, cfg, dir)
	want := map[string]bool{}
	for _, f := range decodingFlagged {
		want[f] = true
	}
	requireSame(t, "decoding (gitleaks v8.30.1's findings)", want, ts)
}

// TestGitleaksParityDecoding: gitleaks decodes encoded text (5 passes by
// default); with gitleaks' default configuration and decodingConfig, the
// imported configuration reports the same findings (file, line, rule).
func TestGitleaksParityDecoding(t *testing.T) {
	bin := gitleaksBinary(t)
	own := filepath.Join(t.TempDir(), "decoding.toml")
	writeFiles(t, filepath.Dir(own), map[string]string{"decoding.toml": decodingConfig})
	dir, n := decodingFixture(t)
	for _, cfg := range []string{own, filepath.Join(examplesDir(t), "gitleaks.toml")} {
		gl, glLines := gitleaksReport(t, bin, cfg, dir)
		_, ts, tsLines := thingsecReport(t, cfg, dir)
		requireSame(t, "decoding", gl, ts)
		requireSame(t, "decoding, findings", glLines, tsLines)
		if len(gl) < 8 || len(gl) > n-6 {
			t.Errorf("gitleaks flags %d of %d files: the corpus does not test decoding", len(gl), n)
		}
		t.Logf("%s: gitleaks flags %d of %d files: %v", filepath.Base(cfg), len(gl), n, diffSets(glLines, nil))
	}
}
