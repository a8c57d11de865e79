package gitsrc

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/analyze/sets"
	"github.com/thingsec/thingsec/internal/model"
)

// secretSet is the analyzers of thingsec secrets.
func secretSet(t *testing.T, show bool) []plugin.FileAnalyzer {
	t.Helper()
	s, err := sets.Build(sets.Secrets, sets.Options{ShowSecrets: show})
	if err != nil {
		t.Fatal(err)
	}
	return s.Files
}

// Live-looking tokens of two rules (TS-SECRET-064: Stripe live key).
const (
	stripeA = "sk_live_vDlx2LQpclqbacxYTlgRW0gD"
	stripeB = "sk_live_Q8mZr2LkWc1pXy7NbTq4sV3e"
)

// testRepo is a repository made with the git CLI in a temporary
// directory; commits get fixed author dates.
type testRepo struct {
	t   *testing.T
	dir string
	n   int
}

func newTestRepo(t *testing.T) *testRepo {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	r := &testRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	return r
}

func (r *testRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", append([]string{"-C", r.dir, "-c", "user.name=Ada Dev", "-c", "user.email=ada@example.net", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_DATE=2024-03-0"+string(rune('1'+r.n%9))+"T10:00:00+01:00", "GIT_COMMITTER_DATE=2024-03-01T10:00:00+01:00")
	b, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, b)
	}
	return strings.TrimSpace(string(b))
}

func (r *testRepo) write(name, body string) {
	r.t.Helper()
	p := filepath.Join(r.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// commit commits everything and returns the commit id.
func (r *testRepo) commit(msg string) string {
	r.git("add", "-A")
	r.git("commit", "-q", "-m", msg)
	r.n++
	return r.git("rev-parse", "HEAD")
}

// paths lists the findings' paths, sorted.
func paths(fs []model.Finding) string {
	var ps []string
	for _, f := range fs {
		ps = append(ps, f.Location.Path)
	}
	sort.Strings(ps)
	return strings.Join(ps, " ")
}

// TestScanGitHistory: a secret committed and deleted later is found at
// the commit that introduced it, with author, date and line, once, and
// marked history-only; one still in the tree is not; --since and
// --branch narrow the history read.
func TestScanGitHistory(t *testing.T) {
	r := newTestRepo(t)
	r.write("app.lua", "local x = 1\n")
	first := r.commit("one")
	r.write("app.lua", "local x = 1\nlocal y = 2\nlocal KEY = \""+stripeA+"\"\n")
	leak := r.commit("two")
	r.write("app.lua", "local x = 1\n")
	r.write("dir with space/é.conf", "token = \""+stripeB+"\"\n++ not a header\n")
	second := r.commit("three")
	r.write("dir with space/é.conf", "token = \""+stripeB+"\"\n++ not a header\nmore = 1\n")
	r.commit("four: the same secret in a later commit is not reported again")
	r.git("checkout", "-q", "-b", "feature", first)
	r.write("feature.py", "\n\nSTRIPE = '"+stripeA+"x'\n")
	feat := r.commit("feature")
	r.git("checkout", "-q", "main")

	files := secretSet(t, false)
	scan := func(gs GitScan) []model.Finding {
		t.Helper()
		gs.Repo = r.dir
		res, err := Scan(context.Background(), gs, files)
		if err != nil {
			t.Fatal(err)
		}
		return res.Findings
	}

	fs := scan(GitScan{})
	if len(fs) != 3 {
		t.Fatalf("every ref: %d findings, want 3: %+v", len(fs), fs)
	}
	got := map[string]model.Finding{}
	for _, f := range fs {
		got[f.Location.Path] = f
	}
	del := got["/app.lua"]
	if c := del.Location.Commit; c == nil || c.ID != leak || c.Author != "Ada Dev" || c.Email != "ada@example.net" || c.Date != "2024-03-02T10:00:00+01:00" || !c.HistoryOnly ||
		del.Location.Line != 3 || del.Location.Chain != "git:"+leak || del.RuleID != "TS-SECRET-064" || !strings.Contains(del.Title, "only in the history") {
		t.Errorf("deleted secret: %+v %+v", del, del.Location.Commit)
	}
	kept := got["/dir with space/é.conf"]
	if c := kept.Location.Commit; c == nil || c.ID != second || c.HistoryOnly || kept.Location.Line != 1 || strings.Contains(kept.Title, "history") {
		t.Errorf("secret still in the tree (first commit, not history-only): %+v %+v", kept, kept.Location.Commit)
	}
	if f := got["/feature.py"]; f.Location.Commit == nil || f.Location.Commit.ID != feat || f.Location.Commit.HistoryOnly || f.Location.Line != 3 {
		t.Errorf("secret on another branch: %+v", f)
	}

	for _, tc := range []struct {
		gs   GitScan
		want string
	}{
		{GitScan{Refs: []string{"main"}}, "/app.lua /dir with space/é.conf"},
		{GitScan{Refs: []string{"feature"}}, "/feature.py"},
		{GitScan{Refs: []string{"main", "feature"}}, "/app.lua /dir with space/é.conf /feature.py"},
		{GitScan{Since: leak}, "/dir with space/é.conf /feature.py"},
		{GitScan{Refs: []string{"main"}, Since: leak}, "/dir with space/é.conf"},
		{GitScan{Refs: []string{"main"}, Since: "main"}, ""},
	} {
		if got := paths(scan(tc.gs)); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.gs, got, tc.want)
		}
	}
	// history-only is judged against the branches read: on feature alone,
	// the secret main deleted was never there
	for _, f := range scan(GitScan{Refs: []string{"main"}}) {
		if f.Location.Commit.HistoryOnly != (f.Location.Path == "/app.lua") {
			t.Errorf("--branch main: %s history-only %v", f.Location.Path, f.Location.Commit.HistoryOnly)
		}
	}
	if _, err := Scan(context.Background(), GitScan{Repo: r.dir, Refs: []string{"no-such-branch"}}, files); err == nil {
		t.Error("an unknown branch is no error")
	}
	if _, err := Scan(context.Background(), GitScan{Repo: t.TempDir()}, files); err == nil || !strings.Contains(err.Error(), "not a git repository") {
		t.Errorf("not a repository: %v", err)
	}
}

// TestScanGitStaged: only the staged additions count, each at its line
// in the staged file; unstaged edits and committed secrets do not.
func TestScanGitStaged(t *testing.T) {
	r := newTestRepo(t)
	files := secretSet(t, true)
	staged := func() []model.Finding {
		t.Helper()
		res, err := Scan(context.Background(), GitScan{Repo: r.dir, Staged: true}, files)
		if err != nil {
			t.Fatal(err)
		}
		return res.Findings
	}
	// before the first commit, the index is compared with the empty tree
	r.write("cfg/a.env", "A=1\nSTRIPE_KEY="+stripeA+"\n")
	r.git("add", "cfg/a.env")
	if fs := staged(); len(fs) != 1 || fs[0].Location.Path != "/cfg/a.env" || fs[0].Location.Line != 2 || fs[0].Location.Commit != nil || fs[0].Location.Chain != "staged" {
		t.Fatalf("initial staged file: %+v", fs)
	}
	r.commit("one")
	if fs := staged(); len(fs) != 0 {
		t.Fatalf("nothing staged, yet %+v", fs)
	}
	// lines inserted above the secret's line: the staged line number
	r.write("cfg/a.env", "A=1\nB=2\nC=3\nSTRIPE_KEY="+stripeA+"\nNEW="+stripeB+"\n")
	r.write("unstaged.txt", stripeB+"\n")
	r.git("add", "cfg/a.env")
	fs := staged()
	if len(fs) != 1 || fs[0].Location.Line != 5 || !strings.HasPrefix(fs[0].Evidence, "sk_live_Q8") {
		t.Fatalf("staged edit: %+v", fs)
	}
}

// TestParseGitPatch: header lines are read only before a hunk, so an
// added line that starts with "++ " is content, and quoted names are
// unquoted.
func TestParseGitPatch(t *testing.T) {
	in := commitMark + "abc\x00A\x00a@x\x002024-01-01T00:00:00Z\n\n" +
		"diff --git a/x b/x\nnew file mode 100644\n--- /dev/null\n+++ b/x\n@@ -0,0 +1,2 @@\n+one\n+++ two\n" +
		"diff --git \"a/\\303\\251 t\" \"b/\\303\\251 t\"\n--- \"a/\\303\\251 t\"\t\n+++ \"b/\\303\\251 t\"\t\n@@ -3 +3,0 @@\n-gone\n@@ -9,0 +10 @@\n+ten\n" +
		"diff --git a/d b/d\ndeleted file mode 100644\n--- a/d\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n" +
		"diff --git a/s p b/s p\n--- a/s p\t\n+++ b/s p\t\n@@ -1 +1 @@\n-a\n+b\n"
	var got []GitPatch
	if err := ParseGitPatch(strings.NewReader(in), func(p GitPatch) { got = append(got, p) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 ||
		got[0].Path != "/x" || strings.Join(got[0].Lines, "|") != "one|++ two" || got[0].LineNo[1] != 2 || got[0].Commit.Author != "A" ||
		got[1].Path != "/é t" || got[1].Lines[0] != "ten" || got[1].LineNo[0] != 10 ||
		got[2].Path != "/s p" {
		t.Fatalf("%+v", got)
	}
}

// FuzzParseGitPatch reads arbitrary text as git patch output: every
// patch has a path and one line number per added line, numbers rising.
func FuzzParseGitPatch(f *testing.F) {
	f.Add([]byte("\x00commit abc\x00A\x00a@x\x002024-01-01T00:00:00Z\n\ndiff --git a/x b/x\n--- /dev/null\n+++ b/x\n@@ -0,0 +1,2 @@\n+one\n+++ two\n"))
	f.Add([]byte("diff --git \"a/\\303\\251\" \"b/\\303\\251\"\n+++ \"b/\\303\\251\"\t\n@@ -3 +3,0 @@\n-gone\n@@ -9,0 +10 @@\n+ten\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseGitPatch(bytes.NewReader(b), func(p GitPatch) {
			if p.Path == "" || len(p.Lines) == 0 || len(p.Lines) != len(p.LineNo) {
				t.Fatalf("bad patch %+v", p)
			}
		})
	})
}

// TestScanGitEveryAnalyzer: the history is read by every secret
// analyzer, not only the token rules: a private key (openssl) and a
// shadow file with a default password (mkpasswd) committed and deleted
// later are found at their commit, marked history-only.
func TestScanGitEveryAnalyzer(t *testing.T) {
	for _, tool := range []string{"openssl", "mkpasswd"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	r := newTestRepo(t)
	if err := os.MkdirAll(filepath.Join(r.dir, "keys"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("openssl", "genpkey", "-algorithm", "ed25519", "-out", filepath.Join(r.dir, "keys/device.key")).CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v %s", err, out)
	}
	h, err := exec.Command("mkpasswd", "-m", "md5crypt", "admin").Output()
	if err != nil {
		t.Fatal(err)
	}
	gost, err := exec.Command("mkpasswd", "-m", "gost-yescrypt", "Xq9#vT2!").Output()
	if err != nil {
		t.Fatal(err)
	}
	// a GOST yescrypt hash is not computed: a skip, said once
	r.write("rootfs/etc/shadow", "admin:"+strings.TrimSpace(string(h))+":20157:0:99999:7:::\nops:"+strings.TrimSpace(string(gost))+":20157:0:99999:7:::\n")
	leak := r.commit("provisioning files")
	r.git("rm", "-q", "-r", "keys", "rootfs")
	r.commit("remove them")

	res, err := Scan(context.Background(), GitScan{Repo: r.dir}, secretSet(t, false))
	if err != nil {
		t.Fatal(err)
	}
	fs := res.Findings
	if len(res.Skipped) != 1 || res.Skipped[0].Path != "/rootfs/etc/shadow" || !strings.HasPrefix(res.Skipped[0].Reason, "commit "+leak[:12]+": ") || !strings.Contains(res.Skipped[0].Reason, `"ops"`) {
		t.Errorf("skipped: %+v", res.Skipped)
	}
	got := map[string]model.Finding{}
	for _, f := range fs {
		got[f.RuleID] = f
	}
	for rule, path := range map[string]string{"TS-KEY-001": "/keys/device.key", "TS-CRED-001": "/rootfs/etc/shadow"} {
		f, ok := got[rule]
		if !ok || f.Location.Path != path || f.Location.Commit == nil || f.Location.Commit.ID != leak || !f.Location.Commit.HistoryOnly {
			t.Errorf("%s: %+v (all: %+v)", rule, f, fs)
		}
	}
}
