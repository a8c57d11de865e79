package cyclonedx

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
)

// A scan report's vulnerabilities become CycloneDX vulnerabilities with
// their VEX analysis, valid against the official 1.6 schema.
func TestRichVulnerabilities(t *testing.T) {
	rep := reporttest.RichVEX()
	var buf bytes.Buffer
	if err := Encode(&buf, rep); err != nil {
		t.Fatal(err)
	}
	reporttest.Golden(t, filepath.Join("testdata", "rich.cdx.json"), buf.Bytes(), *update)
	reporttest.ValidateCycloneDX(t, buf.Bytes())

	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(buf.Bytes()), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatal(err)
	}
	if bom.Vulnerabilities == nil || len(*bom.Vulnerabilities) != len(rep.Vulnerabilities) {
		t.Fatalf("want %d vulnerabilities, got %v", len(rep.Vulnerabilities), bom.Vulnerabilities)
	}
	refs := map[string]bool{}
	for _, c := range *bom.Components {
		refs[c.BOMRef] = true
	}
	wantState := map[string]cdx.ImpactAnalysisState{}
	for _, v := range rep.Vulnerabilities {
		if v.Analysis != nil {
			wantState[v.ID] = State(v.Analysis.State)
		}
	}
	for _, v := range *bom.Vulnerabilities {
		for _, a := range *v.Affects {
			if !refs[a.Ref] {
				t.Errorf("%s affects %q, which is no component's bom-ref", v.ID, a.Ref)
			}
		}
		want, ok := wantState[v.ID]
		switch {
		case !ok && v.Analysis != nil:
			t.Errorf("%s: analysis %+v without one in the report", v.ID, v.Analysis)
		case ok && (v.Analysis == nil || v.Analysis.State != want):
			t.Errorf("%s: analysis %+v, want state %s", v.ID, v.Analysis, want)
		}
	}
	first := (*bom.Vulnerabilities)[0]
	if r := (*first.Ratings)[0]; r.Method != cdx.ScoringMethodCVSSv31 || *r.Score != 9.8 || r.Severity != cdx.SeverityCritical ||
		r.Vector != "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" {
		t.Errorf("first rating %+v", r)
	}
	if first.Published != "2023-08-22T19:16:31Z" || (*first.CWEs)[0] != 787 || (*first.Advisories)[0].URL != "https://nvd.nist.gov/vuln/detail/CVE-2022-48174" {
		t.Errorf("published %q cwes %v advisories %v", first.Published, *first.CWEs, *first.Advisories)
	}
}

// An SBOM (no vulnerabilities in the report) has no vulnerabilities key.
func TestSBOMHasNoVulnerabilities(t *testing.T) {
	rep := reporttest.RichVEX()
	rep.Vulnerabilities = nil
	var buf bytes.Buffer
	if err := Encode(&buf, rep); err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["vulnerabilities"]; ok {
		t.Error("an SBOM without vulnerabilities has a vulnerabilities key")
	}
	reporttest.ValidateCycloneDX(t, buf.Bytes())
}

func TestAnalysisMapping(t *testing.T) {
	tests := []struct {
		state, justification string
		fixed                []string
		want                 cdx.VulnerabilityAnalysis
	}{
		{"affected", "", []string{"1.2"}, cdx.VulnerabilityAnalysis{State: cdx.IASExploitable, Response: &[]cdx.ImpactAnalysisResponse{cdx.IARUpdate}}},
		{"affected", "", nil, cdx.VulnerabilityAnalysis{State: cdx.IASExploitable}},
		{"not_affected", "component_not_present", nil, cdx.VulnerabilityAnalysis{State: cdx.IASNotAffected, Justification: cdx.IAJCodeNotPresent}},
		{"not_affected", "vulnerable_code_not_present", nil, cdx.VulnerabilityAnalysis{State: cdx.IASNotAffected, Justification: cdx.IAJCodeNotPresent}},
		{"not_affected", "vulnerable_code_not_in_execute_path", nil, cdx.VulnerabilityAnalysis{State: cdx.IASNotAffected, Justification: cdx.IAJCodeNotReachable}},
		{"not_affected", "vulnerable_code_cannot_be_controlled_by_adversary", nil, cdx.VulnerabilityAnalysis{State: cdx.IASNotAffected, Justification: cdx.IAJRequiresEnvironment}},
		{"not_affected", "inline_mitigations_already_exist", nil, cdx.VulnerabilityAnalysis{State: cdx.IASNotAffected, Justification: cdx.IAJProtectedByMitigatingControl}},
		{"not_affected", "protected_at_perimeter", nil, cdx.VulnerabilityAnalysis{State: cdx.IASNotAffected, Justification: cdx.IAJProtectedAtPerimeter}},
		{"not_affected", "because we say so", nil, cdx.VulnerabilityAnalysis{State: cdx.IASNotAffected, Detail: "because we say so. d"}},
		{"fixed", "", []string{"1.2"}, cdx.VulnerabilityAnalysis{State: cdx.IASResolved}},
		{"under_investigation", "", nil, cdx.VulnerabilityAnalysis{State: cdx.IASInTriage}},
		{"false_positive", "", nil, cdx.VulnerabilityAnalysis{State: cdx.IASFalsePositive}},
	}
	for _, tt := range tests {
		v := model.Vulnerability{Fixed: tt.fixed, Analysis: &model.Analysis{State: tt.state, Justification: tt.justification}}
		if tt.justification == "because we say so" {
			v.Analysis.Detail = "d"
		}
		got := analysis(v)
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(&tt.want)
		if !bytes.Equal(gj, wj) {
			t.Errorf("%s/%s: %s, want %s", tt.state, tt.justification, gj, wj)
		}
	}
}
