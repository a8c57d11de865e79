package sets

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/analyze/secrets"
	"github.com/thingsec/thingsec/internal/model"
)

func names(s Set) (files, trees []string) {
	for _, a := range s.Files {
		files = append(files, a.Name())
	}
	for _, a := range s.Trees {
		trees = append(trees, a.Name())
	}
	return files, trees
}

// TestSets: every set builds, names its analyzers once, and default runs
// exactly what the other sets run, in order.
func TestSets(t *testing.T) {
	got := map[string]Set{}
	for _, n := range Names() {
		s, err := Build(n, Options{})
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if About(n) == "" {
			t.Errorf("%s: no description", n)
		}
		files, trees := names(s)
		if len(files)+len(trees) == 0 {
			t.Errorf("%s: no analyzers", n)
		}
		for _, l := range [][]string{files, trees} {
			seen := map[string]bool{}
			for _, name := range l {
				if seen[name] {
					t.Errorf("%s: %s listed twice", n, name)
				}
				seen[name] = true
			}
		}
		got[n] = s
	}
	cf, ct := names(got[Components])
	sf, st := names(got[Secrets])
	hf, ht := names(got[Hardening])
	uf, ut := names(got[Surface])
	df, dt := names(got[Default])
	if want := slices.Concat(cf, sf, hf, uf); !slices.Equal(df, want) {
		t.Errorf("default files %v, want %v", df, want)
	}
	if want := slices.Concat(ct, st, ht, ut); !slices.Equal(dt, want) {
		t.Errorf("default trees %v, want %v", dt, want)
	}
	if got[Components].Components == nil || got[Default].Components == nil {
		t.Error("component sets without a consolidation stage")
	}
	for _, want := range []string{"pkgdb", "binver", "gobin", "lockfile", "runtimes"} {
		if !slices.Contains(cf, want) {
			t.Errorf("components set lacks %s: %v", want, cf)
		}
	}
	for _, want := range []string{"secrets", "accounts", "crypto"} {
		if !slices.Contains(sf, want) {
			t.Errorf("secrets set lacks %s: %v", want, sf)
		}
	}
}

func TestUnknownSet(t *testing.T) {
	if _, err := Build("nope", Options{}); err == nil {
		t.Error("unknown set built")
	}
}

// TestOptions: a user rule pack reaches the secrets analyzer; one that
// does not load is an OptionError naming the flag.
func TestOptions(t *testing.T) {
	dir := t.TempDir()
	rule := "rules:\n- id: ACME-001\n  title: Acme internal token\n  keywords: [acme-]\n  regex: '\\b(ACME-[0-9a-f]{16})\\b'\n  examples: {match: ['ACME-0123456789abcdef'], no_match: ['ACME-x']}\n"
	if err := os.WriteFile(filepath.Join(dir, "acme.yaml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Build(Default, Options{RuleDirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("token = ACME-0123456789abcdef\n")
	in := &plugin.Input{FileInfo: plugin.FileInfo{Path: "/etc/acme.conf", Size: int64(len(data)), Type: filetype.Detect("/etc/acme.conf", data, int64(len(data))), Head: data},
		Data: data, R: bytes.NewReader(data), Loc: model.Location{Layer: "L0", Path: "/etc/acme.conf"}}
	var out plugin.Results
	for _, a := range s.Files {
		if _, ok := a.(*secrets.Analyzer); ok && a.FileRequired(&in.FileInfo) {
			if err := a.Analyze(context.Background(), in, &out); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(out.Findings) != 1 || out.Findings[0].RuleID != "ACME-001" {
		t.Errorf("the --rules pack did not reach the secrets analyzer: %+v", out.Findings)
	}
	var oe *OptionError
	_, err = Build(Secrets, Options{GitleaksConfigs: []string{filepath.Join(dir, "missing.toml")}})
	if !errors.As(err, &oe) || oe.Option != "--gitleaks-config "+filepath.Join(dir, "missing.toml") {
		t.Errorf("missing gitleaks config: %v", err)
	}
	_, err = Build(Secrets, Options{RuleDirs: []string{filepath.Join(dir, "missing")}})
	if !errors.As(err, &oe) {
		t.Errorf("missing rules dir: %v", err)
	}
}
