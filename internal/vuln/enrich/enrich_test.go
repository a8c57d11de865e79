package enrich

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
)

// TestSampleWhenNoDatabase: with no database at the path, the embedded
// sample is used, the report says so, and real records match.
func TestSampleWhenNoDatabase(t *testing.T) {
	rep := &model.Report{Components: []model.Component{
		{Ref: "dnsmasq@2.85", Name: "dnsmasq", Version: "2.85", CPEs: []string{"cpe:2.3:a:thekelleys:dnsmasq:2.85:*:*:*:*:*:*:*"}},
		{Ref: "dnsmasq@2.90", Name: "dnsmasq", Version: "2.90", CPEs: []string{"cpe:2.3:a:thekelleys:dnsmasq:2.90:*:*:*:*:*:*:*"}},
		{Ref: "mystery", Name: "mystery", CPEs: []string{"cpe:2.3:a:thekelleys:dnsmasq:*:*:*:*:*:*:*:*"}},
	}}
	var warned []string
	e := &Vulns{Path: filepath.Join(t.TempDir(), "none.db"), Warn: func(s string) { warned = append(warned, s) }}
	if err := e.Enrich(context.Background(), rep); err != nil {
		t.Fatal(err)
	}
	if len(warned) != 1 || len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "embedded sample") {
		t.Fatalf("notes %v warned %v", rep.Notes, warned)
	}
	got := map[string]bool{}
	for _, v := range rep.Vulnerabilities {
		got[v.Component+" "+v.ID] = true
	}
	if !got["dnsmasq@2.85 CVE-2022-0934"] {
		t.Errorf("dnsmasq 2.85 does not match CVE-2022-0934; got %v", got)
	}
	if got["dnsmasq@2.90 CVE-2022-0934"] {
		t.Error("dnsmasq 2.90 matched CVE-2022-0934 (fixed in 2.87)")
	}
	if len(rep.VersionUnknown) != 1 || rep.VersionUnknown[0] != "mystery" {
		t.Errorf("version unknown = %v", rep.VersionUnknown)
	}
}
