package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestDemoMarkdown: scan --format markdown -o FILE on the demo image
// writes a step summary with the planted findings, the sample
// vulnerability and the components, within the comment size limit.
func TestDemoMarkdown(t *testing.T) {
	dir := t.TempDir()
	md := filepath.Join(dir, "summary.md")
	var out, errb bytes.Buffer
	args := []string{"thingsec", "scan", "-q", "--format", "markdown", "-o", md, "--db-path", filepath.Join(dir, "absent.db"), "../../testdata/demo/acme-cam.bin"}
	if code := Main(context.Background(), args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	data, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, want := range []string{
		"## thingsec: acme-cam.bin",
		"<details><summary><b>Findings: critical",
		"| TS-KEY-001 | Unencrypted private key shipped in the image (RSA) | L",
		"/etc/ssl/private/device.key",
		"| CVE-2022-48174 | busybox 1.35.0-1 |",
		"| dropbear | 2022.83-1 |",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if strings.Count(s, "<details>") != strings.Count(s, "</details>") || utf8.RuneCountInString(s) > 65000 {
		t.Errorf("unbalanced or oversized output (%d characters)", utf8.RuneCountInString(s))
	}
	// sbom does not write Markdown, and says which formats it writes.
	if code := Main(context.Background(), []string{"thingsec", "sbom", "--format", "markdown", "../../testdata/demo/acme-cam.bin"}, &out, &errb); code != ExitUsage ||
		!strings.Contains(errb.String(), `--format "markdown": this command writes [json cyclonedx spdx`) {
		t.Errorf("sbom --format markdown: exit %d, %s", code, errb.String())
	}
}
