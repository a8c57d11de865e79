package accounts

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/model"
)

// runTree runs the analyzer over every file under dir as the engine
// would: FileRequired from the cheap facts, then Analyze.
func runTree(t *testing.T, a *Analyzer, dir string) []model.Finding {
	t.Helper()
	var out plugin.Results
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		dev := "/" + filepath.ToSlash(rel)
		head := data[:min(len(data), filetype.HeadSize)]
		fi := plugin.FileInfo{Path: dev, Size: int64(len(data)), Type: filetype.Detect(dev, head, int64(len(data))), Head: head}
		if !a.FileRequired(&fi) {
			return nil
		}
		in := &plugin.Input{FileInfo: fi, Data: data, Loc: model.Location{Layer: "L0", Path: dev}}
		return a.Analyze(context.Background(), in, &out)
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Findings
}

func summary(fs []model.Finding) []string {
	var s []string
	for _, f := range fs {
		s = append(s, f.RuleID+" "+f.Location.Path+" "+f.Title)
	}
	sort.Strings(s)
	return s
}

func TestFixtureRootfs(t *testing.T) {
	a, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	fs := runTree(t, a, "testdata/rootfs")
	got := strings.Join(summary(fs), "\n")
	want := []string{
		`TS-CRED-001 /etc/shadow Password of "root" is a known default`,
		`TS-CRED-001 /etc/shadow Password of "toor" is a known default`,
		`TS-CRED-003 /etc/shadow Password of "toor" is stored with a weak hash scheme (DES crypt)`,
		`TS-CRED-001 /etc/shadow Password of "admin" is a known default`,
		`TS-CRED-003 /etc/shadow Password of "admin" is stored with a weak hash scheme (MD5 crypt ($1$))`,
		`TS-CRED-002 /etc/shadow Account "guest" has an empty password`,
		`TS-CRED-002 /etc/passwd Account "guest" has an empty password`,
		`TS-CRED-004 /etc/passwd Account "toor" has UID 0`,
		`TS-CRED-005 /etc/passwd Service account "ftp" has a login shell`,
		`TS-CRED-006 /etc/httpd.conf Hard-coded default password for "admin" in httpd.conf`,
		`TS-CRED-001 /etc/httpd.conf Password of "operator" is a known default`,
		`TS-CRED-001 /etc/lighttpd/.htpasswd Password of "admin" is a known default (cracked Apache MD5`,
		`TS-CRED-006 /etc/lighttpd/lighttpd.user Hard-coded default password for "admin"`,
		`TS-CRED-001 /etc/config/rpcd Password of "api" is a known default`,
		`TS-CRED-001 /etc/samba/smbpasswd Password of "admin" is a known default (cracked NT hash`,
		`TS-CRED-001 /etc/mosquitto/passwd Password of "sensor" is a known default (cracked mosquitto PBKDF2`,
		`TS-CRED-001 /etc/group Password of "admin" is a known default`,
	}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q", w)
		}
	}
	for _, bad := range []string{`"netops" is a known default`, `"viewer" is a known default`, `"daemon"`, `"nobody"`, `"root" has an empty`} {
		if strings.Contains(got, bad) {
			t.Errorf("unexpected finding %q", bad)
		}
	}
	for _, f := range fs {
		if strings.Contains(f.Evidence, `"admin"`) || strings.Contains(f.Evidence, ":password") {
			t.Errorf("evidence leaks a password without ShowSecrets: %s", f.Evidence)
		}
	}
	if t.Failed() {
		t.Logf("got:\n%s", got)
	}
}

func TestShowSecrets(t *testing.T) {
	a, _ := New(Options{ShowSecrets: true})
	fs := runTree(t, a, "testdata/rootfs/etc/lighttpd")
	found := false
	for _, f := range fs {
		found = found || strings.Contains(f.Evidence, `"admin" is a known default`) || strings.Contains(f.Evidence, "admin:admin")
	}
	if !found {
		t.Fatalf("ShowSecrets: password not in evidence: %v", summary(fs))
	}
}
