package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/accounts"
	"github.com/thingsec/thingsec/internal/analyze/binver"
	"github.com/thingsec/thingsec/internal/analyze/crypto"
	"github.com/thingsec/thingsec/internal/analyze/lockfile"
	"github.com/thingsec/thingsec/internal/analyze/pkgdb"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/analyze/secrets"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
	"github.com/thingsec/thingsec/internal/unpack"
)

const demo = "../../testdata/demo/acme-cam.bin"

// everyAnalyzer wants every file and reports what it was given, so a test
// sees exactly which bytes were analysed where.
type everyAnalyzer struct{}

func (everyAnalyzer) Name() string                       { return "every" }
func (everyAnalyzer) FileRequired(*plugin.FileInfo) bool { return true }
func (everyAnalyzer) Analyze(_ context.Context, in *plugin.Input, out *plugin.Results) error {
	sum := sha256.Sum256(in.Data)
	out.Findings = append(out.Findings, model.Finding{
		RuleID: "TS-TEST-002", Title: "analysed", Severity: model.Info, Category: "test", Location: in.Loc,
		Evidence:    fmt.Sprintf("%d bytes at 0x%x, sha256 %x", len(in.Data), in.Loc.Offset, sum[:8]),
		Fingerprint: model.Fingerprint("TS-TEST-002", in.Path, in.Layer),
	})
	return nil
}

// bigAnalyzer skips every file over 1 KiB, twice (two reasons): the
// summary counts files, not skips.
type bigAnalyzer struct{}

func (bigAnalyzer) Name() string                          { return "big" }
func (bigAnalyzer) FileRequired(fi *plugin.FileInfo) bool { return true }
func (bigAnalyzer) Analyze(_ context.Context, in *plugin.Input, out *plugin.Results) error {
	if in.Size > 1024 {
		out.SkipLarge("big", in, 1024)
		out.Skip("big", in, "and a second reason")
	}
	return nil
}

// TestStreamedFilesMatchInMemory: files too large to hold are hashed,
// typed and carved from one streamed read with the same result as files
// read whole.
func TestStreamedFilesMatchInMemory(t *testing.T) {
	whole, _ := scanJSON(t, Config{Target: demo, Workers: 2, Unpack: true})
	streamed, rep := scanJSON(t, Config{Target: demo, Workers: 2, Unpack: true, MaxInMemory: 512})
	if !bytes.Equal(reporttest.Normalize(t, whole), reporttest.Normalize(t, streamed)) {
		t.Fatal("a scan holding only files up to 512 bytes in memory differs from one holding them all")
	}
	data, err := os.ReadFile(demo)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if rep.Target.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("target sha256 %s, want %x", rep.Target.SHA256, sum)
	}
	var large int
	for _, f := range rep.Files {
		large += map[bool]int{true: 1}[f.Size > 512 && f.SHA256 != ""]
	}
	if len(rep.Layers) < 3 || large < 5 {
		t.Fatalf("%d layers, %d streamed files: the demo image no longer exercises streaming", len(rep.Layers), large)
	}
}

// TestLayerLimitAnalysesWholeFile: a file whose carve found formats is
// analysed only where no format is; when the layer limit keeps those
// formats from becoming layers, it is analysed whole, as if nothing had
// been found.
func TestLayerLimitAnalysesWholeFile(t *testing.T) {
	files := []plugin.FileAnalyzer{everyAnalyzer{}}
	lim := unpack.DefaultLimits()
	lim.MaxLayers = 1
	_, plain := scanJSON(t, Config{Target: demo, Workers: 2, Files: files})
	_, cut := scanJSON(t, Config{Target: demo, Workers: 2, Unpack: true, Limits: lim, Files: files})
	_, full := scanJSON(t, Config{Target: demo, Workers: 2, Unpack: true, Files: files})
	evidence := func(rep *model.Report) string {
		var s []string
		for _, f := range rep.Findings {
			if f.Location.Layer == "L0" {
				s = append(s, f.Location.Path+" "+f.Evidence)
			}
		}
		return strings.Join(s, "\n")
	}
	if evidence(plain) == evidence(full) {
		t.Fatalf("the unpacked image's own bytes were analysed whole: %s", evidence(full))
	}
	if evidence(cut) != evidence(plain) {
		t.Fatalf("with the layer limit at 1 the image is analysed as\n%s\nwant, as without unpacking,\n%s", evidence(cut), evidence(plain))
	}
	var limited bool
	for _, p := range cut.Problems {
		limited = limited || p.Kind == "limit"
	}
	if len(cut.Layers) != 1 || !limited {
		t.Fatalf("layers %d, problems %+v: the layer limit was not hit", len(cut.Layers), cut.Problems)
	}
}

// TestSkippedContentCounted: what analyzers skip is listed, and the
// summary counts the files per analyzer, including the unclaimed regions
// the walker does not hand over for being too large.
func TestSkippedContentCounted(t *testing.T) {
	gz, err := exec.Command("gzip", "-c", demo).Output()
	if err != nil {
		t.Fatalf("gzip: %v", err)
	}
	dir := t.TempDir()
	noise := make([]byte, maxRegion+1<<20)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = 0xa0 | byte(r.Uint32()&0xf) // no format's magic: one unclaimed region
	}
	os.WriteFile(filepath.Join(dir, "flash.bin"), append(noise, gz...), 0o644)
	os.WriteFile(filepath.Join(dir, "small.txt"), []byte("short\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "large.txt"), bytes.Repeat([]byte("a long line of text\n"), 100), 0o644)
	doc, rep := scanJSON(t, Config{Target: dir, Workers: 2, Unpack: true, Files: []plugin.FileAnalyzer{everyAnalyzer{}, bigAnalyzer{}}})
	reporttest.Validate(t, doc)
	var region bool
	for _, s := range rep.Skipped {
		if s.Analyzer == "every" {
			region = s.Layer == "L0" && s.Path == "/flash.bin" && s.Offset == 0 && s.Size == int64(len(noise)) && strings.Contains(s.Reason, "region limit")
		}
	}
	if !region {
		t.Fatalf("the 17 MiB unclaimed region of flash.bin is not listed as skipped: %+v", rep.Skipped)
	}
	bigSkips := map[string]int{}
	for _, s := range rep.Skipped {
		if s.Analyzer == "big" {
			bigSkips[s.Layer+":"+s.Path]++
		}
	}
	if bigSkips["L0:/large.txt"] != 2 || bigSkips["L0:/small.txt"] != 0 || bigSkips["L0:/flash.bin"] != 1 {
		t.Fatalf("skips of big: %v", bigSkips)
	}
	if got := rep.Summary.SkippedFiles; got["every"] != 1 || got["big"] != len(bigSkips) || len(bigSkips) < 3 {
		t.Fatalf("skipped files %v, want every:1 big:%d", got, len(bigSkips))
	}
}

// TestAnalyzersRecordSkips: every analyzer that leaves a wanted file out
// for its size says so: over its own limit, or too large to be held in
// memory.
func TestAnalyzersRecordSkips(t *testing.T) {
	dir := t.TempDir()
	exe, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	shadow, err := os.ReadFile("../analyze/accounts/testdata/rootfs/etc/shadow")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"bin/tool":              exe,
		"etc/shadow":            shadow,
		"etc/os-release":        []byte("ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"),
		"app/package-lock.json": []byte(`{"name": "app", "lockfileVersion": 3, "packages": {"node_modules/left-pad": {"version": "1.3.0"}}}`),
		"etc/ssl/key.pem":       []byte("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"),
	} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sa, err := secrets.New(secrets.Options{MaxSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	aa, err := accounts.New(accounts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	all := []plugin.FileAnalyzer{sa, aa, crypto.New(crypto.Options{MaxSize: 1000}), binver.MustNew(), lockfile.New(), pkgdb.New()}
	// secrets and crypto read files over their limit, or too large to
	// hold, in windows: they never skip for size.
	windowed := []string{"secrets:/bin/tool", "crypto:/bin/tool", "secrets:/etc/ssl/key.pem", "crypto:/etc/ssl/key.pem"}
	tests := []struct {
		name        string
		maxInMemory int64
		want        []string // analyzer:path
		reason      string
	}{
		{"over the analyzers' own limit", 0, nil, ""},
		{"too large to hold", 16, []string{
			"accounts:/etc/shadow", "pkgdb:/etc/os-release", "lockfile:/app/package-lock.json", "binver:/bin/tool",
		}, "too large to be held in memory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rep := scanJSON(t, Config{Target: dir, Workers: 2, MaxInMemory: tt.maxInMemory, Files: all})
			got := map[string]string{}
			for _, s := range rep.Skipped {
				got[s.Analyzer+":"+s.Path] = s.Reason
			}
			for _, w := range tt.want {
				if r, ok := got[w]; !ok || !strings.Contains(r, tt.reason) {
					t.Errorf("%s: skip %q, want one saying %q (all: %v)", w, r, tt.reason, got)
				}
				if rep.Summary.SkippedFiles[strings.Split(w, ":")[0]] == 0 {
					t.Errorf("%s not counted in the summary %v", w, rep.Summary.SkippedFiles)
				}
			}
			for _, w := range windowed {
				if r, ok := got[w]; ok {
					t.Errorf("%s skipped (%s): it should have been read in windows", w, r)
				}
			}
		})
	}
}
