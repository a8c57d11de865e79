package binver

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestFingerprintStringsTable runs the rules over strings(1) output of
// the same real-binary snippets as TestFingerprintTable (GNU strings -a,
// its default minimum length of 4). A version that is a string of its own
// shorter than 4 characters is not in such a dump at all; those rows are
// reported as skipped, not passed.
func TestFingerprintStringsTable(t *testing.T) {
	if _, err := exec.LookPath("strings"); err != nil {
		t.Skip("strings (binutils) is not installed: .ci/run installs it")
	}
	cat, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range readTable(t) {
		if rule := ruleByID(cat, r.rule); rule == nil || rule.PathRegex {
			continue // the evidence is the path, there is nothing to dump
		}
		t.Run(r.rule+"/"+r.arch, func(t *testing.T) {
			snip := filepath.Join("testdata", "snippets", r.snippet)
			out, err := exec.Command("strings", "-a", snip).Output()
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(snip)
			if err != nil {
				t.Fatal(err)
			}
			if why := ruleByID(cat, r.rule).StringsUntested; why != "" {
				t.Skip(why)
			}
			if len(r.version) < 4 && bytes.Contains(data, []byte("\x00"+r.version+"\x00")) {
				t.Skipf("version %q is a %d-character string of its own, below strings' minimum length", r.version, len(r.version))
			}
			checkRow(t, cat, r, cat.ScanStrings(r.path, out))
		})
	}
}

func ruleByID(c *Catalog, id string) *Rule {
	for _, r := range c.Rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}
