package html

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// chromium finds a Chromium to render pages with, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium not installed (Debian package chromium): the page is not rendered")
	return ""
}

// headless runs Chromium headless on the file with extra arguments and
// returns its standard output and error. Each run gets its own profile.
func headless(t *testing.T, bin, file, fragment string, args ...string) (stdout, stderr []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--disable-extensions", "--disable-background-networking", "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(append(base, args...), "file://"+file+fragment)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, errb.Bytes())
	}
	return out.Bytes(), errb.Bytes()
}

func writePage(t *testing.T, page []byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(f, page, 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestRenderInChromium renders the rich report in headless Chromium: the
// screenshot is a drawn page (most of it not background, many colours,
// the severity colours of the charts and badges present), the script ran
// under the page's CSP, every section is in the DOM, nothing was refused
// by the CSP, and #q= in the address filters the entries.
func TestRenderInChromium(t *testing.T) {
	bin := chromium(t)
	file := writePage(t, render(t))
	shot := filepath.Join(t.TempDir(), "shot.png")
	_, stderr := headless(t, bin, file, "", "--window-size=1280,1800", "--screenshot="+shot)
	if bytes.Contains(stderr, []byte("Content Security Policy")) {
		t.Errorf("the page's CSP refused something:\n%s", stderr)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	st := pixelStats(img)
	t.Logf("screenshot: %d×%d, %.1f%% not background, %d colours of 100+ pixels", img.Bounds().Dx(), img.Bounds().Dy(), 100*st.foreground, st.colours)
	if st.foreground < 0.15 || st.colours < 12 {
		t.Errorf("the screenshot looks blank: %.1f%% not background, %d colours", 100*st.foreground, st.colours)
	}
	for name, c := range map[string][3]uint8{"critical": {0x8e, 0x1b, 0x1b}, "high": {0xd1, 0x40, 0x1f}, "medium": {0xe3, 0x9a, 0x12}, "fixed/have": {0x2f, 0x8a, 0x4d}, "header": {0x1d, 0x2a, 0x3a}} {
		if st.near(c) < 200 {
			t.Errorf("the %s colour #%02x%02x%02x covers %d pixels: the style sheet or the charts were not applied", name, c[0], c[1], c[2], st.near(c))
		}
	}

	// the DOM after the script ran, with the filter given in the address
	// (#q=), as typing it in the filter box does
	dom, _ := headless(t, bin, file, "#q=libopenssl3", "--dump-dom")
	if !regexp.MustCompile(`<body[^>]*data-ready="1"`).Match(dom) {
		t.Error("the page's script did not run (CSP hash or script error)")
	}
	for _, id := range []string{"summary", "layers", "components", "vulnerabilities", "findings", "hardening", "services", "problems",
		"chart-findings", "chart-vulnerabilities", "chart-hardening", "chart-components", "filter"} {
		if !bytes.Contains(dom, []byte(`id="`+id+`"`)) {
			t.Errorf("section %q is not in the rendered DOM", id)
		}
	}
	if n := bytes.Count(dom, []byte("<rect ")); n < 20 {
		t.Errorf("%d SVG rects in the DOM", n)
	}
	rows := regexp.MustCompile(`<(tr|li|article) data-f=""[^>]*>`).FindAll(dom, -1)
	shown := 0
	for _, r := range rows {
		if !bytes.Contains(r, []byte("hidden")) {
			shown++
		}
	}
	// the component and its vulnerability
	if len(rows) < 15 || shown != 2 {
		t.Errorf("filter libopenssl3: %d of %d entries shown, want 2", shown, len(rows))
	}
	if !regexp.MustCompile(`<tr data-f="" id="c-2">`).Match(dom) || !regexp.MustCompile(`<tr data-f="" id="v-2"`).Match(dom) {
		t.Error("the libopenssl3 component or vulnerability row is hidden")
	}
	if !bytes.Contains(dom, []byte(`<span id="count">`+strconv.Itoa(shown)+` matching</span>`)) {
		t.Errorf("no match count of %d", shown)
	}
}

// A page whose script differs from the one its CSP names does not run it:
// the CSP is really enforced, so the checks above mean something.
func TestCSPEnforcedInChromium(t *testing.T) {
	bin := chromium(t)
	page := strings.Replace(string(render(t)), `"use strict";`, `"use strict"; `, 1)
	dom, stderr := headless(t, bin, writePage(t, []byte(page)), "", "--dump-dom")
	if bytes.Contains(dom, []byte(`data-ready="1"`)) {
		t.Error("a script the CSP does not name ran")
	}
	if !bytes.Contains(stderr, []byte("Content Security Policy")) {
		t.Log("chromium did not log the refusal on stderr")
	}
}

type stats struct {
	foreground float64
	colours    int
	hist       map[[3]uint8]int
}

func (s stats) near(c [3]uint8) int {
	n := 0
	for k, v := range s.hist {
		if absDiff(k[0], c[0]) <= 4 && absDiff(k[1], c[1]) <= 4 && absDiff(k[2], c[2]) <= 4 {
			n += v
		}
	}
	return n
}

func absDiff(a, b uint8) uint8 {
	if a > b {
		return a - b
	}
	return b - a
}

// pixelStats counts the pixels that differ from the background (the
// colour of the bottom-right corner) and the colours covering 100 pixels
// or more (so anti-aliasing does not count).
func pixelStats(img image.Image) stats {
	b := img.Bounds()
	key := func(x, y int) [3]uint8 {
		r, g, bl, _ := img.At(x, y).RGBA()
		return [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8)}
	}
	bg := key(b.Max.X-1, b.Max.Y-1)
	st := stats{hist: map[[3]uint8]int{}}
	fg := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			k := key(x, y)
			st.hist[k]++
			if k != bg {
				fg++
			}
		}
	}
	for _, n := range st.hist {
		if n >= 100 {
			st.colours++
		}
	}
	st.foreground = float64(fg) / float64(b.Dx()*b.Dy())
	return st
}
