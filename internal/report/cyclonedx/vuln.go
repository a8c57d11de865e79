package cyclonedx

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/thingsec/thingsec/internal/model"
)

// vulnerabilities converts the report's vulnerabilities, nil when there
// is none (an SBOM stays an SBOM). Each one affects the component it was
// matched to, by bom-ref; its analysis, when a VEX document or a
// suppression gave one, becomes CycloneDX's VEX analysis.
func vulnerabilities(rep *model.Report) *[]cdx.Vulnerability {
	if len(rep.Vulnerabilities) == 0 {
		return nil
	}
	out := make([]cdx.Vulnerability, 0, len(rep.Vulnerabilities))
	seen := make(map[string]int)
	for _, v := range rep.Vulnerabilities {
		cv := vulnerability(v)
		// bom-refs are unique in a BOM: the same advisory may match
		// several components, or one twice in a hand-made report.
		if n := seen[cv.BOMRef]; n > 0 {
			seen[cv.BOMRef]++
			cv.BOMRef += "#" + strconv.Itoa(n+1)
		} else {
			seen[cv.BOMRef] = 1
		}
		out = append(out, cv)
	}
	return &out
}

func vulnerability(v model.Vulnerability) cdx.Vulnerability {
	out := cdx.Vulnerability{
		BOMRef:      "vuln:" + v.ID + ":" + v.Component,
		ID:          v.ID,
		Source:      source(v.ID, v.URL),
		Description: v.Summary,
	}
	var refs []cdx.VulnerabilityReference
	for _, a := range v.Aliases {
		refs = append(refs, cdx.VulnerabilityReference{ID: a, Source: source(a, model.AdvisoryURL(a))})
	}
	if len(refs) > 0 {
		out.References = &refs
	}
	ratings := make([]cdx.VulnerabilityRating, 0, len(v.CVSS)+1)
	for _, c := range v.CVSS {
		score := c.Score
		r := cdx.VulnerabilityRating{Score: &score, Severity: cvssSeverity(c), Method: method(c.Version), Vector: c.Vector}
		if c.Source != "" {
			r.Source = &cdx.Source{Name: c.Source}
		}
		ratings = append(ratings, r)
	}
	if len(ratings) == 0 {
		// no score: the report's severity (unknown, or one a source
		// gave without a vector) is still a rating
		ratings = append(ratings, cdx.VulnerabilityRating{Severity: severity(v.Severity), Method: cdx.ScoringMethodOther})
	}
	out.Ratings = &ratings
	var cwes []int
	for _, c := range v.CWE {
		if n, err := strconv.Atoi(strings.TrimPrefix(c, "CWE-")); err == nil && n > 0 {
			cwes = append(cwes, n)
		}
	}
	if len(cwes) > 0 {
		out.CWEs = &cwes
	}
	var adv []cdx.Advisory
	if v.URL != "" {
		adv = append(adv, cdx.Advisory{Title: v.ID, URL: v.URL})
	}
	for _, r := range v.References {
		adv = append(adv, cdx.Advisory{URL: r})
	}
	if len(adv) > 0 {
		out.Advisories = &adv
	}
	if !v.Published.IsZero() {
		out.Published = v.Published.UTC().Format(time.RFC3339)
	}
	if len(v.Fixed) > 0 {
		out.Recommendation = fmt.Sprintf("Upgrade %s to %s or later.", name(v), v.Fixed[0])
	}
	versions := []cdx.AffectedVersions{{Version: v.InstalledVersion, Status: cdx.VulnerabilityStatusAffected}}
	if v.InstalledVersion == "" {
		versions = nil
	}
	aff := cdx.Affects{Ref: v.Component}
	if versions != nil {
		aff.Range = &versions
	}
	if a := analysis(v); a != nil {
		out.Analysis = a
		if aff.Range != nil {
			(*aff.Range)[0].Status = versionStatus(a.State)
		}
	}
	out.Affects = &[]cdx.Affects{aff}
	props := matchProperties(v)
	if len(props) > 0 {
		out.Properties = &props
	}
	return out
}

// versionStatus is what an analysis says of the installed version.
func versionStatus(s cdx.ImpactAnalysisState) cdx.VulnerabilityStatus {
	switch s {
	case cdx.IASNotAffected, cdx.IASResolved, cdx.IASResolvedWithPedigree, cdx.IASFalsePositive:
		return cdx.VulnerabilityStatusNotAffected
	case cdx.IASInTriage, "":
		return cdx.VulnerabilityStatusUnknown
	}
	return cdx.VulnerabilityStatusAffected
}

func name(v model.Vulnerability) string {
	if v.ComponentName != "" {
		return v.ComponentName
	}
	return v.Component
}

// matchProperties keeps what CycloneDX has no field for: how the match
// was made, the fixed versions, CISA KEV and FIRST EPSS.
func matchProperties(v model.Vulnerability) []cdx.Property {
	var p []cdx.Property
	add := func(n, val string) {
		if val != "" {
			p = append(p, cdx.Property{Name: "thingsec:" + n, Value: val})
		}
	}
	add("matched_by:method", v.MatchedBy.Method)
	add("matched_by:criterion", v.MatchedBy.Criterion)
	add("matched_by:ecosystem", v.MatchedBy.Ecosystem)
	add("matched_by:constraint", v.MatchedBy.Constraint)
	for _, f := range v.Fixed {
		add("fixed_version", f)
	}
	if v.KEV != nil {
		add("kev:date_added", v.KEV.DateAdded.UTC().Format(time.DateOnly))
		if !v.KEV.DueDate.IsZero() {
			add("kev:due_date", v.KEV.DueDate.UTC().Format(time.DateOnly))
		}
		add("kev:ransomware", v.KEV.Ransomware)
	}
	if v.EPSS != nil {
		add("epss:score", strconv.FormatFloat(v.EPSS.Score, 'f', -1, 64))
		add("epss:percentile", strconv.FormatFloat(v.EPSS.Percentile, 'f', -1, 64))
	}
	if v.Analysis != nil {
		add("analysis:source", v.Analysis.Source)
	}
	return p
}

// source names the database an advisory ID comes from.
func source(id, url string) *cdx.Source {
	s := &cdx.Source{URL: url}
	switch {
	case strings.HasPrefix(id, "CVE-"):
		s.Name = "NVD"
	case strings.HasPrefix(id, "GHSA-"):
		s.Name = "GitHub"
	default:
		s.Name = "OSV"
	}
	return s
}

func method(version string) cdx.ScoringMethod {
	switch version {
	case "2.0", "2":
		return cdx.ScoringMethodCVSSv2
	case "3.0":
		return cdx.ScoringMethodCVSSv3
	case "3.1":
		return cdx.ScoringMethodCVSSv31
	case "4.0":
		return cdx.ScoringMethodCVSSv4
	}
	return cdx.ScoringMethodOther
}

// cvssSeverity is the qualitative rating of a score: CVSS v2's scale
// (low below 4, medium below 7, high) for v2, v3's and v4's otherwise.
func cvssSeverity(c model.CVSS) cdx.Severity {
	s := c.Score
	if strings.HasPrefix(c.Version, "2") {
		switch {
		case s < 4:
			return cdx.SeverityLow
		case s < 7:
			return cdx.SeverityMedium
		}
		return cdx.SeverityHigh
	}
	switch {
	case s == 0:
		return cdx.SeverityNone
	case s < 4:
		return cdx.SeverityLow
	case s < 7:
		return cdx.SeverityMedium
	case s < 9:
		return cdx.SeverityHigh
	}
	return cdx.SeverityCritical
}

func severity(s model.Severity) cdx.Severity {
	switch s {
	case model.Critical:
		return cdx.SeverityCritical
	case model.High:
		return cdx.SeverityHigh
	case model.Medium:
		return cdx.SeverityMedium
	case model.Low:
		return cdx.SeverityLow
	case model.Info:
		return cdx.SeverityInfo
	}
	return cdx.SeverityUnknown
}

// analysis maps the report's VEX analysis to CycloneDX's: OpenVEX states
// and justifications to their CycloneDX counterparts (CycloneDX labels
// pass through). An affected vulnerability with a known fix gets the
// "update" response.
func analysis(v model.Vulnerability) *cdx.VulnerabilityAnalysis {
	a := v.Analysis
	if a == nil {
		return nil
	}
	out := &cdx.VulnerabilityAnalysis{State: State(a.State), Detail: a.Detail}
	j, ok := Justification(a.Justification)
	if ok {
		out.Justification = j
	} else if a.Justification != "" {
		// a label CycloneDX has no counterpart for stays readable
		out.Detail = strings.TrimSpace(a.Justification + ". " + a.Detail)
	}
	if out.State == cdx.IASExploitable && len(v.Fixed) > 0 {
		out.Response = &[]cdx.ImpactAnalysisResponse{cdx.IARUpdate}
	}
	return out
}

// State maps a VEX status (OpenVEX's, or CycloneDX's own) to CycloneDX's
// impact analysis state; an unknown one maps to "" (no state).
func State(s string) cdx.ImpactAnalysisState {
	switch s {
	case "affected", "exploitable":
		return cdx.IASExploitable
	case "not_affected":
		return cdx.IASNotAffected
	case "fixed", "resolved":
		return cdx.IASResolved
	case "under_investigation", "in_triage":
		return cdx.IASInTriage
	case "false_positive":
		return cdx.IASFalsePositive
	case "resolved_with_pedigree":
		return cdx.IASResolvedWithPedigree
	}
	return ""
}

// Justification maps an OpenVEX justification label (or a CycloneDX one)
// to CycloneDX's enum. OpenVEX's five labels map as CISA's VEX status
// justifications relate to CycloneDX's: a missing component or code is
// code_not_present, code off the execute path is code_not_reachable, code
// an adversary cannot reach with input needs a particular environment,
// and inline mitigations are a mitigating control.
func Justification(j string) (cdx.ImpactAnalysisJustification, bool) {
	switch j {
	case "component_not_present", "vulnerable_code_not_present":
		return cdx.IAJCodeNotPresent, true
	case "vulnerable_code_not_in_execute_path":
		return cdx.IAJCodeNotReachable, true
	case "vulnerable_code_cannot_be_controlled_by_adversary":
		return cdx.IAJRequiresEnvironment, true
	case "inline_mitigations_already_exist":
		return cdx.IAJProtectedByMitigatingControl, true
	}
	switch v := cdx.ImpactAnalysisJustification(j); v {
	case cdx.IAJCodeNotPresent, cdx.IAJCodeNotReachable, cdx.IAJRequiresConfiguration, cdx.IAJRequiresDependency,
		cdx.IAJRequiresEnvironment, cdx.IAJProtectedByCompiler, cdx.IAJProtectedAtRuntime, cdx.IAJProtectedAtPerimeter,
		cdx.IAJProtectedByMitigatingControl:
		return v, true
	}
	return "", false
}
