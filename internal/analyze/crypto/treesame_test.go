package crypto

import (
	"context"
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/engine"
	"github.com/thingsec/thingsec/internal/model"
)

// refTree is the analyzer with the reference pairing.
type refTree struct{ *Analyzer }

func (r refTree) AnalyzeTree(ctx context.Context, t plugin.Tree, rep *model.Report, out *plugin.Results) error {
	return analyzeTreeRef(r.Analyzer, ctx, t, rep, out)
}

// sameTree scans dir with the pairing and with the reference, requires
// the same findings and skips, and returns the findings.
func sameTree(t *testing.T, dir string) []model.Finding {
	t.Helper()
	a := New(Options{Now: fixedNow})
	var out [2]string
	var findings []model.Finding
	for i, tree := range []plugin.TreeAnalyzer{a, refTree{a}} {
		rep, err := engine.Scan(context.Background(), engine.Config{Target: dir, Workers: 2, Files: []plugin.FileAnalyzer{a}, Trees: []plugin.TreeAnalyzer{tree}})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.MarshalIndent(struct {
			F []model.Finding
			S []model.Skip
		}{rep.Findings, rep.Skipped}, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		out[i] = string(b)
		findings = rep.Findings
	}
	if out[0] != out[1] {
		t.Fatalf("pairing differs from the reference:\n%s\nreference:\n%s", out[0], out[1])
	}
	return findings
}

func countRules(fs []model.Finding, rules ...string) int {
	n := 0
	for _, f := range fs {
		for _, r := range rules {
			if f.RuleID == r {
				n++
			}
		}
	}
	return n
}

// TestTreeSameOpenSSL compares the pairing with the reference on a tree
// of openssl keys and certificates (PEM, DER, a bundle, keys inside a
// program) and every fixture.
func TestTreeSameOpenSSL(t *testing.T) {
	gen := t.TempDir()
	ders, pems := opensslKeys(t, gen)
	dir := t.TempDir()
	put := func(dst string, b []byte) {
		p := filepath.Join(dir, dst)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var bundle, blob []byte
	for _, f := range append(append([]string{}, ders...), pems...) {
		b := read(f)
		base := filepath.Base(f)
		switch {
		case strings.Contains(base, ".crt."):
			put("etc/ssl/certs/"+base, b)
			if strings.HasSuffix(base, ".pem") {
				bundle = append(bundle, b...)
			}
		case strings.HasSuffix(base, ".der"):
			blob = append(append(blob, 0, 1, 2, 3), b...) // keys inside a program
		default:
			put("etc/ssl/private/"+base, b)
		}
	}
	if host, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt"); err == nil {
		bundle = append(host, bundle...)
	}
	put("etc/ssl/certs/ca-certificates.crt", bundle)
	put("usr/share/app/bundle.pem", bundle)
	if prog, err := os.ReadFile("/bin/ls"); err == nil {
		r := rand.New(rand.NewSource(1))
		cut := r.Intn(len(prog))
		blob = append(append(append([]byte{}, prog[:cut]...), blob...), prog[cut:]...)
	}
	put("usr/bin/app", blob)
	fixtures, _ := filepath.Glob("testdata/*")
	for _, f := range fixtures {
		put("etc/fixtures/"+filepath.Base(f), read(f))
		put("etc/ssl/certs/fixture-"+filepath.Base(f)+".pem", read(f))
	}
	fs := sameTree(t, dir)
	if n := countRules(fs, RuleCAKeyShipped, RuleCertKeyShipped); n < len(ders)/2 {
		t.Fatalf("only %d keys paired with their certificates", n)
	} else {
		t.Logf("%d findings, %d pairs", len(fs), n)
	}
}

// TestTreeSameFirmware compares the pairing with the reference on an
// unpacked firmware root file system.
func TestTreeSameFirmware(t *testing.T) {
	dir := benchTree()
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no tree at %s (THINGSEC_BENCH_TREE)", dir)
	}
	if testing.Short() {
		t.Skip("short")
	}
	fs := sameTree(t, dir)
	t.Logf("%d findings, %d pairs", len(fs), countRules(fs, RuleCAKeyShipped, RuleCertKeyShipped))
}
