package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/engine"
	"github.com/thingsec/thingsec/internal/model"
)

// runSecrets runs "thingsec secrets ARGS" through a root command that has
// the secrets command (registered here until main.go lists it) and maps
// errors to exit codes as Main does.
func runSecrets(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	g := &globals{stdout: &stdout, stderr: newErrLine(&stderr)}
	root := newRoot(g)
	if c, _, err := root.Find([]string{"secrets"}); err != nil || c == root {
		root.AddCommand(newSecrets(g))
	}
	root.SetArgs(append([]string{"secrets", "--quiet"}, args...))
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	err := root.ExecuteContext(context.Background())
	var ee exitError
	var ue usageError
	var ie *engine.InputError
	switch {
	case err == nil:
		return ExitOK, stdout.String(), stderr.String()
	case errors.As(err, &ee):
		return ee.code, stdout.String(), stderr.String()
	case errors.As(err, &ue), errors.As(err, &ie):
		return ExitUsage, stdout.String(), err.Error()
	}
	return ExitInternal, stdout.String(), err.Error()
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const stripeKey = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"

func findings(t *testing.T, out string) []model.Finding {
	t.Helper()
	var rep model.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out)
	}
	return rep.Findings
}

func TestSecretsCommand(t *testing.T) {
	dirty := writeTree(t, map[string]string{
		"app/billing.lua":     `local KEY = "` + stripeKey + `"` + "\n",
		"etc/shadow":          "root::19000:0:99999:7:::\n",
		"etc/custom.conf":     "acme_token=ACME-0123456789abcdef\n",
		"etc/gl.conf":         "legacy_key = LEGACY-ABCDEFGHIJKLMNOPQRST\n",
		"docs/readme.txt":     "nothing to see\n",
		"rules/acme.yaml":     "rules:\n- id: ACME-001\n  title: Acme internal token\n  keywords: [acme-]\n  regex: '\\b(ACME-[0-9a-f]{16})\\b'\n  examples: {match: ['ACME-0123456789abcdef'], no_match: ['ACME-x']}\n",
		"rules/gitleaks.toml": "title = \"custom\"\n[[rules]]\nid = \"legacy-key\"\ndescription = \"Legacy key\"\nregex = '''LEGACY-[A-Z]{20}'''\nkeywords = [\"legacy-\"]\n",
	})
	rulesDir := filepath.Join(dirty, "rules")
	clean := writeTree(t, map[string]string{"main.go": "package main\n\nfunc main() {}\n"})

	t.Run("clean tree exits 0", func(t *testing.T) {
		code, out, errs := runSecrets(t, "--format", "json", clean)
		if code != ExitOK || len(findings(t, out)) != 0 {
			t.Fatalf("exit %d, stderr %s", code, errs)
		}
	})
	t.Run("secret found exits 1, redacted", func(t *testing.T) {
		code, out, _ := runSecrets(t, "--format", "json", dirty)
		if code != ExitGate {
			t.Fatalf("exit %d, want %d", code, ExitGate)
		}
		if strings.Contains(out, stripeKey) {
			t.Fatalf("secret not redacted in the report")
		}
		var rules []string
		for _, f := range findings(t, out) {
			rules = append(rules, f.RuleID)
		}
		all := strings.Join(rules, " ")
		for _, want := range []string{"TS-SECRET-064", "TS-CRED-002"} {
			if !strings.Contains(all, want) {
				t.Errorf("missing %s in %s", want, all)
			}
		}
		if strings.Contains(all, "ACME-001") {
			t.Errorf("user rule ran without --rules")
		}
	})
	t.Run("show secrets", func(t *testing.T) {
		_, out, _ := runSecrets(t, "--format", "json", "--show-secrets", dirty)
		if !strings.Contains(out, stripeKey) {
			t.Fatalf("--show-secrets did not show the secret")
		}
	})
	t.Run("user rules and gitleaks config", func(t *testing.T) {
		code, out, errs := runSecrets(t, "--format", "json", "--rules", rulesDir, "--gitleaks-config", filepath.Join(rulesDir, "gitleaks.toml"), dirty)
		if code != ExitGate {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var rules []string
		for _, f := range findings(t, out) {
			rules = append(rules, f.RuleID+"@"+f.Location.Path)
		}
		all := strings.Join(rules, " ")
		for _, want := range []string{"ACME-001@/etc/custom.conf", "gitleaks:legacy-key@/etc/gl.conf"} {
			if !strings.Contains(all, want) {
				t.Errorf("missing %s in %s", want, all)
			}
		}
	})
	t.Run("gitleaksignore of the target", func(t *testing.T) {
		tree := writeTree(t, map[string]string{
			"etc/gl.conf":     "legacy_key = LEGACY-ABCDEFGHIJKLMNOPQRST\n",
			"etc/gl2.conf":    "legacy_key = LEGACY-ABCDEFGHIJKLMNOPQRST\n",
			".gitleaksignore": "etc/gl.conf:legacy-key:1\n",
		})
		_, out, errs := runSecrets(t, "--format", "json", "--gitleaks-config", filepath.Join(rulesDir, "gitleaks.toml"), tree)
		var got []string
		for _, f := range findings(t, out) {
			if strings.HasPrefix(f.RuleID, "gitleaks:") {
				got = append(got, f.Location.Path)
			}
		}
		if strings.Join(got, " ") != "/etc/gl2.conf" {
			t.Errorf("gitleaks findings at %v, want only /etc/gl2.conf (the other is in .gitleaksignore); stderr %s", got, errs)
		}
	})
	t.Run("table output", func(t *testing.T) {
		code, out, _ := runSecrets(t, "--format", "table", dirty)
		if code != ExitGate || !strings.Contains(out, "TS-SECRET-064") {
			t.Fatalf("exit %d, table:\n%s", code, out)
		}
	})
	t.Run("bad rule pack is a usage error", func(t *testing.T) {
		bad := writeTree(t, map[string]string{"r.yaml": "rules:\n- id: X\n  regex: '(?<=x)y'\n"})
		code, _, errs := runSecrets(t, "--rules", bad, clean)
		if code != ExitUsage || !strings.Contains(errs, "--rules") {
			t.Fatalf("exit %d, stderr %q", code, errs)
		}
	})
	t.Run("git history", func(t *testing.T) {
		if _, err := exec.LookPath("git"); err != nil {
			t.Skip("git not installed")
		}
		repo := writeTree(t, map[string]string{"app.lua": "local KEY = \"" + stripeKey + "\"\n"})
		for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"-c", "user.name=t", "-c", "user.email=t@example.net", "commit", "-q", "-m", "leak"}} {
			if out, err := exec.Command("git", append([]string{"-C", repo}, args...)...).CombinedOutput(); err != nil {
				t.Fatalf("git %v: %v %s", args, err, out)
			}
		}
		os.Remove(filepath.Join(repo, "app.lua")) // gone from the tree, still in history
		code, out, errs := runSecrets(t, "--format", "json", "--git", repo)
		if code != ExitGate {
			t.Fatalf("exit %d: %s", code, errs)
		}
		fs := findings(t, out)
		if len(fs) != 1 || fs[0].RuleID != "TS-SECRET-064" || !strings.HasPrefix(fs[0].Location.Chain, "git:") {
			t.Fatalf("findings %+v", fs)
		}
	})
	t.Run("missing target", func(t *testing.T) {
		if code, _, _ := runSecrets(t, filepath.Join(clean, "nope")); code != ExitUsage {
			t.Fatalf("exit %d, want %d", code, ExitUsage)
		}
	})
}

// TestSecretsBenchDir is the timing harness of scripts/bench-secrets.sh
// while "secrets" is not yet registered in cmd/thingsec: it runs the
// command on $BENCH_DIR and prints the wall time.
func TestSecretsBenchDir(t *testing.T) {
	dir := os.Getenv("BENCH_DIR")
	if dir == "" {
		t.Skip("BENCH_DIR not set (used by scripts/bench-secrets.sh)")
	}
	out := os.Getenv("BENCH_OUT")
	if out == "" {
		out = filepath.Join(t.TempDir(), "ts.json")
	}
	workers := os.Getenv("BENCH_WORKERS")
	if workers == "" {
		workers = "2"
	}
	t0 := time.Now()
	code, _, errs := runSecrets(t, "--workers", workers, "--format", "json", "-o", out, dir)
	d := time.Since(t0)
	if code != ExitOK && code != ExitGate {
		t.Fatalf("exit %d: %s", code, errs)
	}
	fmt.Printf("bench-seconds=%.3f\n", d.Seconds())
}
