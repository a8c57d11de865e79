package elfsec

import (
	"bufio"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/analyzetest"
	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/model"
)

// analyzeTree runs the analyzer over every regular file of dir as the
// engine would hand them over.
func analyzeTree(t *testing.T, a *Analyzer, dir string) *plugin.Results {
	t.Helper()
	res := &plugin.Results{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Error(err)
			return nil
		}
		st, _ := d.Info()
		rel := "/" + filepath.ToSlash(strings.TrimPrefix(p, dir+"/"))
		head := data[:min(len(data), filetype.HeadSize)]
		fi := plugin.FileInfo{Layer: "L1", Path: rel, Mode: st.Mode(), Size: int64(len(data)), Type: filetype.Detect(rel, head, int64(len(data))), Head: head}
		if !a.FileRequired(&fi) {
			return nil
		}
		in := &plugin.Input{FileInfo: fi, Data: data, R: strings.NewReader(string(data)), Loc: model.Location{Layer: "L1", Path: rel}}
		if err := a.Analyze(context.Background(), in, res); err != nil {
			t.Errorf("%s: %v", rel, err)
		}
		return nil
	})
	return res
}

// TestCorpusChecksec: on both HG-100 images, every ELF file's verdicts
// equal the checksec output shipped with the corpus
// (verify/<version>/checksec.csv), and the answer key's hardening
// findings, negative controls and informational items hold.
func TestCorpusChecksec(t *testing.T) {
	fw := analyzetest.FirmwareDir(t)
	var key struct {
		Images map[string]struct {
			Findings []struct {
				ID, Category, Path string
				Severity           string
				Evidence           struct{ Text string }
			}
			NegativeControls []struct{ ID, Path, What, MustNot string } `json:"negative_controls"`
			Informational    []struct{ ID, Path, What, Note string }
		}
	}
	b, err := os.ReadFile(filepath.Join(fw, "answers.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &key); err != nil {
		t.Fatal(err)
	}
	a := MustNew()
	for _, ver := range []string{"1.0.0", "1.1.0"} {
		t.Run(ver, func(t *testing.T) {
			dir := analyzetest.ExtractRootfs(t, filepath.Join(fw, "acme-hg100-"+ver+".bin"))
			res := analyzeTree(t, a, dir)
			bins := map[string]model.Binary{}
			for _, b := range res.Binaries {
				bins[b.Path] = b
			}
			// every line of checksec.csv
			f, err := os.Open(filepath.Join(fw, "verify", ver, "checksec.csv"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			n := 0
			for sc.Scan() {
				want, p, err := parseChecksecCSV(sc.Text())
				if err != nil {
					t.Fatal(err)
				}
				n++
				fx, err := inspectFile(filepath.Join(dir, p))
				if err != nil {
					t.Errorf("%s: %v", p, err)
					continue
				}
				if got := ours(fx); got != want {
					t.Errorf("%s:\n  checksec %v\n  thingsec %v", p, want, got)
				}
				if _, ok := bins[p]; !ok {
					t.Errorf("%s: no binary record", p)
				}
			}
			if n < 100 {
				t.Fatalf("only %d lines in checksec.csv", n)
			}
			findings := map[string][]model.Finding{}
			for _, f := range res.Findings {
				findings[f.Location.Path] = append(findings[f.Location.Path], f)
			}
			im := key.Images[ver]
			for _, kf := range im.Findings {
				if kf.Category != "binary-hardening" {
					continue
				}
				fs := findings[kf.Path]
				if len(fs) == 0 || fs[0].RuleID != RuleMitigations {
					t.Errorf("%s %s: no %s finding", kf.ID, kf.Path, RuleMitigations)
					continue
				}
				if !strings.Contains(fs[0].Evidence, kf.Evidence.Text) {
					t.Errorf("%s %s: evidence %q does not hold the key's %q", kf.ID, kf.Path, fs[0].Evidence, kf.Evidence.Text)
				}
				if string(fs[0].Severity) != kf.Severity {
					t.Logf("%s %s: severity %s, key %s (not part of the match)", kf.ID, kf.Path, fs[0].Severity, kf.Severity)
				}
			}
			for _, nc := range im.NegativeControls {
				b, ok := bins[nc.Path]
				if !ok {
					continue
				}
				must := strings.ToLower(nc.MustNot)
				if !strings.Contains(must, "lacking") {
					continue
				}
				for _, m := range []string{"canary", "nx", "pie", "relro"} {
					if strings.Contains(must, m) && slices.Contains(b.Missing, m) {
						t.Errorf("%s %s: reported as lacking %s (%s)", nc.ID, nc.Path, m, nc.What)
					}
				}
			}
			for _, inf := range im.Informational {
				if strings.Contains(inf.Note, "not a finding") {
					if fs := findings[inf.Path]; len(fs) > 0 {
						t.Errorf("%s %s: %s, but reported: %s", inf.ID, inf.Path, inf.Note, fs[0].Evidence)
					}
				}
			}
			// the vendor flash tool: Debian default flags, NX off only
			// because MIPS stacks are executable by default
			if m := bins["/sbin/mtd"].Missing; len(m) > 0 {
				t.Errorf("/sbin/mtd: reported as lacking %v", m)
			}
			t.Logf("%s: %d checksec lines, %d binaries, %d findings", ver, n, len(res.Binaries), len(res.Findings))
		})
	}
}
