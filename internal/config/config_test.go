package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// tree is a small command tree shaped like thingsec's: a persistent
// flag on the root, local flags, a list flag, a nested command, and a
// command whose name is also a flag name elsewhere (rules).
func tree() (root, scan, status *cobra.Command) {
	root = &cobra.Command{Use: "thingsec"}
	root.PersistentFlags().Int("workers", 8, "")
	root.PersistentFlags().String("config", "", "")
	scan = &cobra.Command{Use: "scan", Run: func(*cobra.Command, []string) {}}
	scan.Flags().Int("max-depth", 16, "")
	scan.Flags().Bool("fail-on-incomplete", false, "")
	scan.Flags().StringArray("rules", nil, "")
	scan.Flags().String("nvd-api-key", "", "")
	db := &cobra.Command{Use: "db"}
	db.PersistentFlags().String("db-path", "", "")
	status = &cobra.Command{Use: "status", Run: func(*cobra.Command, []string) {}}
	status.Flags().Duration("max-age", 0, "")
	rules := &cobra.Command{Use: "rules", Run: func(*cobra.Command, []string) {}}
	rules.Flags().String("format", "table", "")
	unpack := &cobra.Command{Use: "unpack", Run: func(*cobra.Command, []string) {}}
	unpack.Flags().String("output", "", "")
	_ = unpack.Flags().MarkDeprecated("output", "use --dir")
	unpack.Flags().String("alias", "", "")
	Skip(unpack.Flags().Lookup("alias"))
	db.AddCommand(status)
	root.AddCommand(scan, db, rules, unpack)
	return root, scan, status
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name, yaml, err string
	}{
		{"empty", "", ""},
		{"comment only", "# nothing\n", ""},
		{"top-level flags", "workers: 2\nmax-depth: 4\nmax-age: 1h\n", ""},
		{"command sections", "scan:\n  max-depth: 4\ndb:\n  db-path: x\n  status:\n    max-age: 1h\n", ""},
		{"section key of a subcommand", "db:\n  max-age: 1h\n", ""},
		{"list flag", "rules: [a, b]\n", ""},
		{"rules as a command and as a flag", "rules:\n  format: json\nscan:\n  rules: [a]\n", ""},
		{"policy reserved", "policy:\n  fail-on: [critical]\n  whatever: {x: 1}\n", ""},
		{"unknown top-level", "workers: 2\nmax-dpeth: 4\n", `f.yaml:2: unknown key "max-dpeth"`},
		{"unknown in section", "scan:\n  max-depth: 4\n  max-age: 1h\n", `f.yaml:3: unknown key "max-age" under scan`},
		{"unknown nested", "db:\n  status:\n    format: json\n", `f.yaml:3: unknown key "format" under db status`},
		{"unknown command", "scna:\n  max-depth: 4\n", `f.yaml:1: unknown key "scna"`},
		{"duplicate", "workers: 2\nworkers: 3\n", `f.yaml:2: "workers" appears twice`},
		{"config in a file", "config: other.yaml\n", `f.yaml:1: "config" cannot be set`},
		{"deprecated flag", "output: dir\n", `f.yaml:1: unknown key "output"`},
		{"skipped flag", "unpack:\n  alias: dir\n", `f.yaml:2: unknown key "alias" under unpack`},
		{"policy not a mapping", "policy: strict\n", "f.yaml:1: policy: want a mapping"},
		{"mapping for a flag", "workers:\n  a: 1\n", "f.yaml:2: workers: want a value, not a mapping"},
		{"list for a single flag", "workers: [1, 2]\n", "f.yaml:1: workers: takes one value, not a list"},
		{"no value", "workers:\n", "f.yaml:1: workers: no value"},
		{"command as a value", "scan: true\n", "f.yaml:1: scan: a command's settings are a mapping"},
		{"not a mapping", "- workers\n", "f.yaml:1: want a mapping"},
		{"bad yaml", "workers: [1\n", "f.yaml: line 1"},
		{"alias", "max-depth: &d 4\nscan:\n  max-depth: *d\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, _, _ := tree()
			d, err := Parse("f.yaml", []byte(tt.yaml))
			if err == nil {
				err = d.Validate(root)
			}
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("error %v, want %q", err, tt.err)
			}
		})
	}
}

// TestApplyPrecedence: flag > env > file (most specific section first,
// then the first file) > default, for every flag the command has.
func TestApplyPrecedence(t *testing.T) {
	project, _ := Parse(".thingsec.yaml", []byte("workers: 3\nmax-depth: 7\nscan:\n  max-depth: 5\n  rules:\n    - one\n    - two\n"))
	user, _ := Parse("user.yaml", []byte("workers: 9\nfail-on-incomplete: true\nnvd-api-key: k\n"))
	root, scan, _ := tree()
	if err := scan.ParseFlags([]string{"--workers", "1"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"THINGSEC_FAIL_ON_INCOMPLETE": "false", "THINGSEC_WORKERS": "4"}
	got, err := Apply(scan, lookup(env), []*Doc{project, user})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Setting{
		"workers":            {"workers", "1", Flag, ""},
		"fail-on-incomplete": {"fail-on-incomplete", "false", Env, "THINGSEC_FAIL_ON_INCOMPLETE"},
		"max-depth":          {"max-depth", "5", File, ".thingsec.yaml:4"},
		"rules":              {"rules", "[one,two]", File, ".thingsec.yaml:5"},
		"nvd-api-key":        {"nvd-api-key", "(set, not shown)", File, "user.yaml:3"},
		"config":             {"config", "", Default, ""},
	}
	for _, s := range got {
		if w, ok := want[s.Flag]; ok && s != w {
			t.Errorf("%s: got %+v, want %+v", s.Flag, s, w)
		}
		delete(want, s.Flag)
	}
	if len(want) != 0 {
		t.Errorf("flags not reported: %v", want)
	}
	// the values were really set on the flags the command reads
	if v, _ := scan.Flags().GetInt("max-depth"); v != 5 {
		t.Errorf("max-depth = %d", v)
	}
	if v, _ := root.PersistentFlags().GetInt("workers"); v != 1 {
		t.Errorf("workers = %d", v)
	}
	if v, _ := scan.Flags().GetStringArray("rules"); strings.Join(v, ",") != "one,two" {
		t.Errorf("rules = %v", v)
	}
}

func TestApplyNestedAndListEnv(t *testing.T) {
	d, _ := Parse("c.yaml", []byte("max-age: 1h\ndb:\n  db-path: /a\n  status:\n    max-age: 2h\n"))
	_, _, status := tree()
	if err := status.ParseFlags(nil); err != nil {
		t.Fatal(err)
	}
	got, err := Apply(status, lookup(nil), []*Doc{d})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range got {
		switch s.Flag {
		case "max-age":
			if s.Value != "2h0m0s" || s.Where != "c.yaml:5" {
				t.Errorf("max-age: %+v", s)
			}
		case "db-path":
			if s.Value != "/a" || s.Where != "c.yaml:3" {
				t.Errorf("db-path: %+v", s)
			}
		}
	}
	_, scan, _ := tree()
	_ = scan.ParseFlags(nil)
	if _, err := Apply(scan, lookup(map[string]string{"THINGSEC_RULES": "a,b"}), nil); err != nil {
		t.Fatal(err)
	}
	if v, _ := scan.Flags().GetStringArray("rules"); strings.Join(v, "|") != "a|b" {
		t.Errorf("rules from env = %v", v)
	}
}

func TestApplyBadValues(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		yaml string
		err  string
	}{
		{"env not a number", map[string]string{"THINGSEC_MAX_DEPTH": "deep"}, "", `THINGSEC_MAX_DEPTH="deep"`},
		{"file not a number", nil, "scan:\n  max-depth: deep\n", "f.yaml:2: max-depth:"},
		{"file not a bool", nil, "fail-on-incomplete: maybe\n", "f.yaml:1: fail-on-incomplete:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse("f.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			_, scan, _ := tree()
			_ = scan.ParseFlags(nil)
			_, err = Apply(scan, lookup(tt.env), []*Doc{d})
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error %v, want %q", err, tt.err)
			}
		})
	}
}

func TestDiscover(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "xdg"))
	t.Setenv("HOME", dir)
	docs, looked, err := Discover("")
	if err != nil || len(docs) != 0 || len(looked) != 2 {
		t.Fatalf("nothing there: %v %v %v", docs, looked, err)
	}
	user := UserFile()
	if err := os.MkdirAll(filepath.Dir(user), 0o755); err != nil {
		t.Fatal(err)
	}
	for p, body := range map[string]string{ProjectFile: "workers: 2\n", user: "workers: 5\n"} {
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	docs, _, err = Discover("")
	if err != nil || len(docs) != 2 || docs[0].Path != ProjectFile || docs[1].Path != user {
		t.Fatalf("project then user: %v %v", docs, err)
	}
	docs, _, err = Discover(user)
	if err != nil || len(docs) != 1 || docs[0].Path != user {
		t.Fatalf("explicit alone: %v %v", docs, err)
	}
	var ce *Error
	if _, _, err := Discover(filepath.Join(dir, "missing.yaml")); !errors.As(err, &ce) || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("missing explicit file: %v", err)
	}
}

func TestEnvName(t *testing.T) {
	for flag, want := range map[string]string{"max-depth": "THINGSEC_MAX_DEPTH", "workers": "THINGSEC_WORKERS", "nvd-api-key": "THINGSEC_NVD_API_KEY"} {
		if got := EnvName(flag); got != want {
			t.Errorf("%s: %s, want %s", flag, got, want)
		}
	}
}

func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

// TestPolicySection: the reserved section is read from the first file
// that has one, for the gate that will use it.
func TestPolicySection(t *testing.T) {
	a, _ := Parse("a.yaml", []byte("workers: 2\n"))
	b, _ := Parse("b.yaml", []byte("policy:\n  fail-on: [critical]\n"))
	c, _ := Parse("c.yaml", []byte("policy:\n  fail-on: [low]\n"))
	n, from := Section([]*Doc{a, b, c}, "policy")
	if n == nil || from != "b.yaml" || n.Line != 2 {
		t.Fatalf("policy from %q: %+v", from, n)
	}
	var p struct {
		FailOn []string `yaml:"fail-on"`
	}
	if err := n.Decode(&p); err != nil || len(p.FailOn) != 1 || p.FailOn[0] != "critical" {
		t.Fatalf("decoded %+v, %v", p, err)
	}
	if n, _ := Section([]*Doc{a}, "policy"); n != nil {
		t.Errorf("no policy: %+v", n)
	}
}
