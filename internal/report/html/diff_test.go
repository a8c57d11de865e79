package html

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/diff"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
)

func renderDiff(t *testing.T, d *diff.Diff) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := EncodeDiff(&buf, d); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sampleDiff() *diff.Diff {
	d := diff.Compare(reporttest.Previous(), reporttest.Rich())
	d.Tool = model.Tool{Name: "thingsec", Version: "v1.2.3"}
	return d
}

func TestDiffGolden(t *testing.T) {
	page := renderDiff(t, sampleDiff())
	reporttest.Golden(t, filepath.Join("testdata", "diff.html"), page, *update)
	if bad := external(page); len(bad) > 0 {
		t.Errorf("the diff page loads or runs outside code: %v", bad)
	}
	// the page runs the report page's script and style: its CSP names them
	if !bytes.Contains(page, []byte(`content="default-src &#39;none&#39;;`)) {
		t.Error("no CSP")
	}
	for _, s := range []string{
		`<span class="badge high">new</span>`, `<code>TS-CRED-001</code>`, // the default password
		`<span class="badge st-fixed">fixed</span>`, `<code>TS-SECRET-031</code>`,
		`severity changed; was medium`,
		`<span class="badge high">introduced</span>`, `<code>CVE-2022-48174</code>`, `<code>CVE-2021-42386</code>`,
		`<span class="badge st-fixed">upgraded</span>`, `<td>busybox</td><td>1.34.1</td><td>1.35.0</td>`,
		`<td>zlib</td><td>1.2.11</td>`,
		`lost canary`, `gained nx`,
		`<code>/www/js/main.js</code>`, `<code>/etc/shadow</code>`,
	} {
		if !bytes.Contains(page, []byte(s)) {
			t.Errorf("the page lacks %s", s)
		}
	}
	// the summary cards count what the diff counts
	cards := regexp.MustCompile(`<div class="v">(\d+)</div><div class="l">([^<]+)</div>`).FindAllSubmatch(page, -1)
	got := map[string]string{}
	for _, c := range cards {
		got[string(c[2])] = string(c[1])
	}
	for label, want := range map[string]string{"New findings": "1", "Fixed findings": "1", "Vulnerabilities introduced": "1",
		"Vulnerabilities fixed": "1", "Hardening regressions": "1", "Components changed": "3", "Files changed": "4"} {
		if got[label] != want {
			t.Errorf("card %q: %q, want %q", label, got[label], want)
		}
	}
}

// Text from the reports is escaped on the diff page too.
func TestDiffHostile(t *testing.T) {
	old, new := reporttest.Previous(), reporttest.Rich()
	evil := `"><script src="https://evil.example/x.js"></script><img src=https://evil.example/p.png>`
	new.Target.Name = evil
	new.Findings[0].Evidence = evil
	new.Findings[0].Location.Path = evil
	new.Components[0].Name = evil
	old.Notes = []string{evil}
	page := renderDiff(t, diff.Compare(old, new))
	if bad := external(page); len(bad) > 0 {
		t.Errorf("hostile report content escaped its context: %v", bad)
	}
	if !strings.Contains(string(page), "&lt;script src=&#34;https://evil.example/x.js&#34;&gt;") {
		t.Error("the hostile text is not shown, escaped")
	}
}

// Two identical releases: every section says nothing changed.
func TestDiffEmpty(t *testing.T) {
	page := renderDiff(t, diff.Compare(reporttest.Rich(), reporttest.Rich()))
	for _, s := range []string{"No component changed.", "No finding new, fixed or changed.", "No vulnerability introduced or fixed.", "No binary's hardening changed.", "No file added, removed or changed."} {
		if !bytes.Contains(page, []byte(s)) {
			t.Errorf("no %q", s)
		}
	}
}

// The diff page's script runs under its CSP in Chromium, and the filter
// works on its rows.
func TestDiffInChromium(t *testing.T) {
	bin := chromium(t)
	dom, stderr := headless(t, bin, writePage(t, renderDiff(t, sampleDiff())), "#q=busybox", "--dump-dom")
	if bytes.Contains(stderr, []byte("Content Security Policy")) {
		t.Errorf("the page's CSP refused something:\n%s", stderr)
	}
	if !regexp.MustCompile(`<body[^>]*data-ready="1"`).Match(dom) {
		t.Error("the page's script did not run (CSP hash or script error)")
	}
	rows := regexp.MustCompile(`<tr data-f=""[^>]*>`).FindAll(dom, -1)
	shown := 0
	for _, r := range rows {
		if !bytes.Contains(r, []byte("hidden")) {
			shown++
		}
	}
	// busybox upgraded, its two vulnerabilities, its changed hardening
	// finding, its hardening regression and its file
	if shown != 6 || len(rows) != 14 {
		t.Errorf("filter busybox: %d of %d rows shown, want 6 of 14", shown, len(rows))
	}
}

// FuzzEncodeDiff: whatever the new release holds, the diff page renders
// and loads and runs nothing from outside.
func FuzzEncodeDiff(f *testing.F) {
	rich, err := json.Marshal(reporttest.Rich())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(rich)
	f.Add([]byte(`{"schema_version":"2.0.0","target":{"name":"<script>"},"findings":[{"rule_id":"</style>","severity":"<img src=x>","evidence":"<link href=//x>","fingerprint":"x"}],` +
		`"components":[{"ref":"a","name":"\"><script>","version":"javascript:1"}],"vulnerabilities":[{"id":"x","component":"a","summary":"</script>"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := model.DecodeReport(b)
		if err != nil {
			return
		}
		page := renderDiff(t, diff.Compare(reporttest.Previous(), rep))
		if bad := external(page); len(bad) > 0 {
			t.Fatalf("%v", bad)
		}
	})
}
