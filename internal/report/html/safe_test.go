package html

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
)

var (
	tagRE  = regexp.MustCompile(`<([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>`)
	attrRE = regexp.MustCompile(`([^\s=/]+)(?:="([^"]*)")?`)
	// elements that load something or embed another document
	loading = map[string]bool{"link": true, "img": true, "iframe": true, "frame": true, "object": true, "embed": true,
		"audio": true, "video": true, "source": true, "track": true, "base": true, "image": true, "use": true, "form": true, "portal": true}
	// attributes that load something, run code or style inline
	loadingAttr = map[string]bool{"src": true, "srcset": true, "poster": true, "data": true, "action": true, "formaction": true,
		"background": true, "xlink:href": true, "style": true, "ping": true, "manifest": true}
)

// external lists what in page could make a browser fetch anything or run
// code other than the page's own inline script: loading elements,
// loading or inline-style attributes, event handlers, href anywhere but
// on a link, javascript: links, and url(), @import or a remote address in
// the style sheet or the script.
func external(page []byte) []string {
	var bad []string
	styles, scripts := 0, 0
	for _, m := range tagRE.FindAllSubmatch(page, -1) {
		tag := strings.ToLower(string(m[1]))
		if loading[tag] {
			bad = append(bad, "element <"+tag+">")
		}
		if tag == "meta" && bytes.Contains(bytes.ToLower(m[2]), []byte("refresh")) {
			bad = append(bad, "meta refresh")
		}
		switch tag {
		case "style":
			styles++
		case "script":
			scripts++
			if len(bytes.TrimSpace(m[2])) > 0 {
				bad = append(bad, "script with attributes "+string(m[2]))
			}
		}
		for _, a := range attrRE.FindAllSubmatch(m[2], -1) {
			name, val := strings.ToLower(string(a[1])), strings.ToLower(string(a[2]))
			switch {
			case loadingAttr[name], strings.HasPrefix(name, "on"):
				bad = append(bad, "<"+tag+" "+name+">")
			case name == "href" && tag != "a":
				bad = append(bad, "<"+tag+" href>")
			case name == "href" && strings.HasPrefix(strings.TrimSpace(val), "javascript:"):
				bad = append(bad, "javascript: link")
			}
		}
	}
	if styles != 1 || scripts != 1 {
		bad = append(bad, "not exactly one style sheet and one script")
	}
	for _, block := range regexp.MustCompile(`(?s)<(style|script)>(.*?)</(style|script)>`).FindAllSubmatch(page, -1) {
		body := strings.ToLower(string(block[2]))
		for _, s := range []string{"url(", "@import", "http:", "https:", "fetch(", "xmlhttprequest", "import(", ".src", "eval(", "websocket"} {
			if strings.Contains(body, s) {
				bad = append(bad, string(block[1])+" contains "+s)
			}
		}
	}
	return bad
}

func TestNoExternalResources(t *testing.T) {
	if bad := external(render(t)); len(bad) > 0 {
		t.Errorf("the page loads or runs outside code: %v", bad)
	}
}

// Report text is data: markup in evidence, names, URLs and messages is
// escaped, so hostile content in a scanned image cannot make the page
// load anything.
func TestHostileReport(t *testing.T) {
	rep := reporttest.RichVEX()
	evil := `"><script src="https://evil.example/x.js"></script><img src=https://evil.example/p.png><link rel=stylesheet href=//evil.example/s.css><style>@import url(https://evil.example/a.css)</style>`
	rep.Target.Name = evil
	rep.Findings[0].Evidence = evil
	rep.Findings[0].Location.Path = evil
	rep.Components[0].Name = evil
	rep.Components[0].Ref = evil
	rep.Vulnerabilities[0].URL = "javascript:alert(1)"
	rep.Vulnerabilities[0].Component = evil
	rep.Vulnerabilities[1].Analysis.Detail = evil
	rep.Layers[1].Description = evil
	rep.Problems[0].Message = evil
	rep.Notes = append(rep.Notes, evil)
	var buf bytes.Buffer
	if err := Encode(&buf, rep); err != nil {
		t.Fatal(err)
	}
	if bad := external(buf.Bytes()); len(bad) > 0 {
		t.Errorf("hostile report content escaped its context: %v", bad)
	}
	if !bytes.Contains(buf.Bytes(), []byte("&lt;script src=&#34;https://evil.example/x.js&#34;&gt;")) {
		t.Error("the evidence is not shown, escaped")
	}
	// the checker itself finds each kind of load
	for _, page := range []string{
		`<style></style><script></script><img src="x.png">`,
		`<style></style><script src="https://cdn.example/x.js"></script>`,
		`<style>@font-face{src:url(https://fonts.example/f.woff)}</style><script></script>`,
		`<style></style><script></script><link rel="stylesheet" href="x.css">`,
		`<style></style><script></script><svg><image href="https://x.example/i.png"></image></svg>`,
		`<style></style><script></script><div style="background:red"></div>`,
		`<style></style><script></script><a href="javascript:alert(1)">x</a>`,
		`<style></style><script>fetch("https://x.example")</script>`,
	} {
		if len(external([]byte(page))) == 0 {
			t.Errorf("checker misses %s", page)
		}
	}
}

// The CSP meta tag allows exactly the page's style sheet and script.
func TestCSPHashes(t *testing.T) {
	page := string(render(t))
	for _, tag := range []string{"style", "script"} {
		m := regexp.MustCompile(`(?s)<` + tag + `>(.*?)</` + tag + `>`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no <%s>", tag)
		}
		sum := sha256.Sum256([]byte(m[1]))
		want := "&#39;sha256-" + strings.ReplaceAll(base64.StdEncoding.EncodeToString(sum[:]), "+", "&#43;") + "&#39;"
		if !strings.Contains(page, tag+"-src "+want) {
			t.Errorf("the CSP does not allow the page's %s by its hash %s", tag, want)
		}
	}
	if !strings.Contains(page, `content="default-src &#39;none&#39;;`) {
		t.Error("the CSP does not default to none")
	}
}

// A report with nothing in it renders, and says so.
func TestEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(&buf, &model.Report{Target: model.Target{Name: "rootfs", Kind: "directory"}}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"No findings.", "No known vulnerabilities.", "No components identified.", "No ELF binaries.", "No problems"} {
		if !bytes.Contains(buf.Bytes(), []byte(s)) {
			t.Errorf("empty report: no %q", s)
		}
	}
	if bad := external(buf.Bytes()); len(bad) > 0 {
		t.Error(bad)
	}
}

// A secrets report shows its findings, layers and problems, and no
// section it never fills.
func TestSecrets(t *testing.T) {
	var buf bytes.Buffer
	if err := EncodeSecrets(&buf, reporttest.RichVEX()); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, id := range []string{"summary", "layers", "findings", "problems", "chart-findings"} {
		if !strings.Contains(page, `id="`+id+`"`) {
			t.Errorf("no %s", id)
		}
	}
	for _, id := range []string{"components", "vulnerabilities", "hardening", "chart-hardening"} {
		if strings.Contains(page, `id="`+id+`"`) || strings.Contains(page, `href="#`+id+`"`) {
			t.Errorf("a secrets page has %s", id)
		}
	}
	if bad := external(buf.Bytes()); len(bad) > 0 {
		t.Error(bad)
	}
}

func TestBestScore(t *testing.T) {
	v := vulnerability(model.Vulnerability{CVSS: []model.CVSS{
		{Version: "2.0", Score: 7.5, Vector: "AV:N/AC:L/Au:N/C:P/I:P/A:P"},
		{Version: "3.1", Score: 7.5, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"},
		{Version: "3.0", Score: 5.3, Vector: "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N"},
	}})
	if v.Score != "7.5 (CVSS 3.1)" || v.Vector != "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H" {
		t.Errorf("best score %q %q", v.Score, v.Vector)
	}
}
