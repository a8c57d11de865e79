package gobin

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/model"
)

// TestOwnTestBinary reads the build info of this test binary, a real Go
// executable built by the toolchain running the test.
func TestOwnTestBinary(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	a := New()
	fi := plugin.FileInfo{Path: "/usr/bin/x", Size: int64(len(data)), Type: filetype.Detect("x", data[:filetype.HeadSize], int64(len(data)))}
	if !a.FileRequired(&fi) {
		t.Fatalf("not required: %+v", fi.Type)
	}
	var out plugin.Results
	if err := a.Analyze(context.Background(), &plugin.Input{FileInfo: fi, Data: data, R: strings.NewReader(string(data)), Loc: model.Location{Path: "/usr/bin/x"}}, &out); err != nil {
		t.Fatal(err)
	}
	var std, pkgurl bool // pkgurl: the main module depends on stdlib
	for _, c := range out.Components {
		if c.Name == "stdlib" && strings.HasPrefix(c.Version, "v1.") && c.PURL == "pkg:golang/stdlib@"+c.Version {
			std = true
		}
		if c.License == nil || c.License.Expression != model.NoAssertion || c.License.Reason == "" {
			t.Errorf("%s: licence %+v, want NOASSERTION with the reason", c.Name, c.License)
		}
		// test binaries record the main module but not the dependencies
		if c.Name == "github.com/thingsec/thingsec" && c.Type == "application" && len(c.Dependencies) == 1 {
			pkgurl = true
		}
	}
	if !std || !pkgurl {
		t.Errorf("stdlib %v, main module %v in %+v", std, pkgurl, out.Components)
	}
}

func TestNotGo(t *testing.T) {
	if got := Go(strings.NewReader("\x7fELF garbage"), model.Location{}); got != nil {
		t.Errorf("got %v", got)
	}
}

// TestTruncatedELFSkipped: an executable cut short (a damaged flash read)
// is listed as not analysed, with the reason.
func TestTruncatedELFSkipped(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	data = data[:256]
	ft := filetype.Detect("/usr/bin/app", data, int64(len(data)))
	in := &plugin.Input{FileInfo: plugin.FileInfo{Layer: "L1", Path: "/usr/bin/app", Size: int64(len(data)), Type: ft}, Data: data, R: strings.NewReader(string(data))}
	a := New()
	if !a.FileRequired(&in.FileInfo) {
		t.Fatalf("truncated executable (%+v) not wanted", ft)
	}
	var out plugin.Results
	if err := a.Analyze(context.Background(), in, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Skipped) != 1 || out.Skipped[0].Path != "/usr/bin/app" || !strings.Contains(out.Skipped[0].Reason, "ELF headers not readable") {
		t.Fatalf("skipped = %+v", out.Skipped)
	}
}
