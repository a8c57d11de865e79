package confrules

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/analyzetest"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/engine"
	"github.com/thingsec/thingsec/internal/unpack"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// answerKey is the part of the corpus answer key this test reads.
type answerKey struct {
	Images map[string]struct {
		Findings []struct {
			ID       string
			Category string
			Path     string
			Evidence struct {
				File string
				Line int
			}
			Accepted []string `json:"accepted_categories"`
		}
		Negative []struct {
			ID   string
			Path string
		} `json:"negative_controls"`
	}
}

// TestCorpusAnswerKey scans both releases of the corpus router (unpacked
// by thingsec) with the configuration rules alone: every answer-key item
// of this family is reported at its path and line with the key's
// category, the related lines the key lists are reported too, nothing
// else fires, and no negative control is touched (N22: 1.1.0's
// PermitRootLogin prohibit-password is not a root password login).
func TestCorpusAnswerKey(t *testing.T) {
	dir := analyzetest.FirmwareDir(t)
	if formattest.Race {
		t.Skip("skipped under -race: two image unpacks; run go test ./internal/analyze/confrules")
	}
	raw, err := os.ReadFile(filepath.Join(dir, "answers.json"))
	if err != nil {
		t.Fatal(err)
	}
	var key answerKey
	if err := json.Unmarshal(raw, &key); err != nil {
		t.Fatal(err)
	}
	mine := []string{"F06", "F07", "F11", "F12", "F13", "F34"}
	// what the rules report: the key's items (first) and the lines the
	// key names beside them (F11's allow rule, F12's public community
	// and agentAddress udp:161, F34's second WAN rule)
	want := map[string][]string{
		"1.0.0": {
			"TS-CONF-001 /etc/ssh/sshd_config:7",           // F06
			"TS-CONF-004 /etc/ssh/sshd_config:8",           // F07
			"TS-CONF-040 /etc/miniupnpd/miniupnpd.conf:10", // F11
			"TS-CONF-041 /etc/miniupnpd/miniupnpd.conf:20",
			"TS-CONF-050 /etc/snmp/snmpd.conf:6",
			"TS-CONF-050 /etc/snmp/snmpd.conf:7", // F12
			"TS-CONF-051 /etc/snmp/snmpd.conf:7",
			"TS-CONF-052 /etc/snmp/snmpd.conf:2",
			"TS-CONF-060 /etc/hostapd/hostapd.conf:22", // F13
			"TS-CONF-070 /etc/init.d/S30firewall:12",   // F34
			"TS-CONF-070 /etc/init.d/S30firewall:13",
		},
	}
	want["1.1.0"] = slices.DeleteFunc(slices.Clone(want["1.0.0"]), func(s string) bool { return s == "TS-CONF-001 /etc/ssh/sshd_config:7" })

	for _, ver := range []string{"1.0.0", "1.1.0"} {
		t.Run(ver, func(t *testing.T) {
			a := MustNew()
			rep, err := engine.Scan(context.Background(), engine.Config{
				Target: filepath.Join(dir, "acme-hg100-"+ver+".bin"), Workers: 2, Unpack: true, Limits: unpack.DefaultLimits(),
				Files: []plugin.FileAnalyzer{a}, Trees: []plugin.TreeAnalyzer{a},
			})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			cats := map[string]string{} // path:line -> category
			for _, f := range rep.Findings {
				at := fmt.Sprintf("%s:%d", f.Location.Path, f.Location.Line)
				got = append(got, f.RuleID+" "+at)
				cats[at] = f.Category
			}
			slices.Sort(got)
			w := slices.Clone(want[ver])
			slices.Sort(w)
			if !slices.Equal(got, w) {
				t.Errorf("findings:\n got %q\nwant %q", got, w)
			}
			img := key.Images[ver]
			n := 0
			for _, it := range img.Findings {
				if !slices.Contains(mine, it.ID) {
					continue
				}
				n++
				at := fmt.Sprintf("%s:%d", it.Evidence.File, it.Evidence.Line)
				c, ok := cats[at]
				if !ok || c != it.Category && !slices.Contains(it.Accepted, c) {
					t.Errorf("%s (%s at %s): reported %v with category %q", it.ID, it.Category, at, ok, c)
				}
			}
			if wantN := map[string]int{"1.0.0": 6, "1.1.0": 5}[ver]; n != wantN {
				t.Errorf("%d of this family's items in the %s key, want %d", n, ver, wantN)
			}
			for _, nc := range img.Negative {
				for _, f := range rep.Findings {
					// N22 is sshd_config in 1.1.0, where F07 remains
					if f.Location.Path == nc.Path && (nc.ID != "N22" || f.RuleID == "TS-CONF-001") {
						t.Errorf("negative control %s (%s): %s %s", nc.ID, nc.Path, f.RuleID, f.Evidence)
					}
				}
			}
		})
	}
}
