package cli

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSecretsGitExitCodes: --staged exits 1 on a staged secret and 0 on
// none; without the git command, --git and --staged are a usage error
// (2) that says git is missing.
func TestSecretsGitExitCodes(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	repo := writeTree(t, map[string]string{"a.env": "STRIPE_KEY=" + stripeKey + "\n"})
	if out, err := exec.Command("git", "-C", repo, "init", "-q").CombinedOutput(); err != nil {
		t.Fatalf("git init: %v %s", err, out)
	}
	if code, out, errs := runSecrets(t, "--staged", repo); code != ExitOK {
		t.Fatalf("nothing staged: exit %d\n%s%s", code, out, errs)
	}
	if out, err := exec.Command("git", "-C", repo, "add", "a.env").CombinedOutput(); err != nil {
		t.Fatalf("git add: %v %s", err, out)
	}
	if code, out, errs := runSecrets(t, "--staged", "--format", "json", repo); code != ExitGate || !strings.Contains(out, `"path": "/a.env"`) {
		t.Fatalf("staged secret: exit %d\n%s%s", code, out, errs)
	}

	t.Setenv("PATH", t.TempDir())
	for _, mode := range []string{"--git", "--staged"} {
		code, _, errs := runSecrets(t, mode, repo)
		if code != ExitUsage || !strings.Contains(errs, "git command is not installed") {
			t.Errorf("%s without git: exit %d, stderr %q", mode, code, errs)
		}
	}
}
