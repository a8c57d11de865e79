package codequality

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// GitLab publishes no schema file for Code Quality reports; its
// documentation lists what it reads. validate asserts exactly that on the
// decoded JSON: an array of objects, each with a description and a
// check_name (strings), a fingerprint unique in the report, a severity of
// info, minor, major, critical or blocker, and location.path (non-empty)
// with an integer location.lines.begin of at least 1.
func validate(doc []byte) ([]map[string]any, error) {
	var issues []map[string]any
	if err := json.Unmarshal(doc, &issues); err != nil {
		return nil, fmt.Errorf("not a JSON array of objects: %v", err)
	}
	seen := map[string]bool{}
	for i, is := range issues {
		for _, k := range []string{"description", "check_name", "fingerprint", "severity"} {
			if s, ok := is[k].(string); !ok || s == "" {
				return nil, fmt.Errorf("issue %d: %s is %v", i, k, is[k])
			}
		}
		fp := is["fingerprint"].(string)
		if seen[fp] {
			return nil, fmt.Errorf("issue %d: fingerprint %s repeated", i, fp)
		}
		seen[fp] = true
		if !slices.Contains([]string{"info", "minor", "major", "critical", "blocker"}, is["severity"].(string)) {
			return nil, fmt.Errorf("issue %d: severity %v", i, is["severity"])
		}
		loc, _ := is["location"].(map[string]any)
		path, _ := loc["path"].(string)
		lines, _ := loc["lines"].(map[string]any)
		begin, ok := lines["begin"].(float64)
		if path == "" || !ok || begin < 1 || begin != float64(int(begin)) {
			return nil, fmt.Errorf("issue %d: location %v", i, is["location"])
		}
	}
	return issues, nil
}

func check(t *testing.T, doc []byte) []map[string]any {
	t.Helper()
	issues, err := validate(doc)
	if err != nil {
		t.Fatal(err)
	}
	return issues
}

func encode(t *testing.T, rep *model.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, rep); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	rep := reporttest.Rich()
	got := encode(t, rep)
	issues := check(t, got)
	if len(issues) != len(rep.Findings)+len(rep.Vulnerabilities) {
		t.Errorf("%d issues", len(issues))
	}
	first := issues[0]
	if first["fingerprint"] != rep.Findings[0].Fingerprint || first["severity"] != "blocker" ||
		first["location"].(map[string]any)["path"] != "acme-cam.bin!/etc/shadow" {
		t.Errorf("first issue %v", first)
	}
	reporttest.Golden(t, "testdata/rich.json", got, *update)
}

// TestCheckFails: the check above rejects what GitLab would not read.
func TestCheckFails(t *testing.T) {
	for name, doc := range map[string]string{
		"object":       `{}`,
		"no line":      `[{"description":"d","check_name":"c","fingerprint":"f","severity":"major","location":{"path":"p"}}]`,
		"bad severity": `[{"description":"d","check_name":"c","fingerprint":"f","severity":"high","location":{"path":"p","lines":{"begin":1}}}]`,
		"repeated":     `[{"description":"d","check_name":"c","fingerprint":"f","severity":"info","location":{"path":"p","lines":{"begin":1}}},{"description":"d","check_name":"c","fingerprint":"f","severity":"info","location":{"path":"p","lines":{"begin":1}}}]`,
	} {
		if _, err := validate([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestEmptyAndDirectory(t *testing.T) {
	if got := encode(t, &model.Report{}); string(got) != "[]\n" {
		t.Errorf("empty report: %q", got)
	}
	rep := &model.Report{Target: model.Target{Name: "src", Kind: "directory"},
		Findings: []model.Finding{{RuleID: "TS-SECRET-001", Severity: model.High, Location: model.Location{Layer: "L0", Path: "/app/.env", Line: 3}, Fingerprint: "ab"}}}
	issues := check(t, encode(t, rep))
	if loc := issues[0]["location"].(map[string]any); loc["path"] != "app/.env" || loc["lines"].(map[string]any)["begin"] != 3.0 {
		t.Errorf("directory issue %v", loc)
	}
}
