package cgi

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/analyzetest"
	"github.com/thingsec/thingsec/internal/model"
)

// TestCorpus: on both HG-100 images the diagnostics CGI's injection (F10)
// is reported at the os.execute line with the path from QUERY_STRING
// through "host", and nothing else: status.lua's constant os.execute
// (N07) stays quiet.
func TestCorpus(t *testing.T) {
	fw := analyzetest.FirmwareDir(t)
	a := New()
	for _, ver := range []string{"1.0.0", "1.1.0"} {
		t.Run(ver, func(t *testing.T) {
			fs := analyzetest.ScanTree(t, a, analyzetest.ExtractRootfs(t, filepath.Join(fw, "acme-hg100-"+ver+".bin")))
			if len(fs) != 1 {
				t.Fatalf("want exactly the F10 finding, got %d: %+v", len(fs), fs)
			}
			f := fs[0]
			if f.RuleID != RuleCommand || f.Location.Path != "/www/cgi-bin/diag.lua" || f.Location.Line != 13 ||
				f.Category != "command-injection" || f.Severity != model.Critical {
				t.Errorf("F10: %+v", f)
			}
			for _, want := range []string{"QUERY_STRING", "line 7: q", "line 8: host", "line 13: os.execute(tool"} {
				if !strings.Contains(f.Evidence, want) {
					t.Errorf("F10 evidence %q lacks %q", f.Evidence, want)
				}
			}
		})
	}
}
