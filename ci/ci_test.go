// Package ci holds the CI templates (gitlab/, github/); its test validates
// them against the official schemas and runs their shell steps, as GitLab
// and GitHub would, against a freshly built thingsec and the demo image.
package ci

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
	"go.yaml.in/yaml/v3"
)

const (
	gitlabTemplate = "gitlab/thingsec.gitlab-ci.yml"
	githubAction   = "github/action.yml"
	demoImage      = "../testdata/demo/acme-cam.bin"
)

// loadYAML reads a YAML file as the plain values JSON has.
func loadYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc
}

func asJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGitLabTemplateSchema(t *testing.T) {
	reporttest.ValidateAgainst(t, "testdata/gitlab-ci.schema.json", asJSON(t, visibleJobs(loadYAML(t, gitlabTemplate))))
}

// visibleJobs adds every hidden job (.name) as a visible one too: the
// schema takes anything under a hidden key (it may be a YAML anchor), so
// only a visible copy has the job's keys checked.
func visibleJobs(doc map[string]any) map[string]any {
	for k, v := range doc {
		if job, ok := v.(map[string]any); ok && strings.HasPrefix(k, ".") {
			doc[k[1:]+"-as-job"] = job
		}
	}
	return doc
}

func TestGitHubActionSchema(t *testing.T) {
	reporttest.ValidateAgainst(t, "testdata/github-action.schema.json", asJSON(t, loadYAML(t, githubAction)))
}

// The schemas must be able to say no, or the two tests above prove nothing.
func TestSchemasRejectMistakes(t *testing.T) {
	for name, mistake := range map[string]func(art map[string]any){
		"artifacts:when: sometimes":        func(art map[string]any) { art["when"] = "sometimes" },
		"artifacts:reports:secrets":        func(art map[string]any) { art["reports"].(map[string]any)["secrets"] = "x.json" },
		"artifacts:reports:sast as a list": func(art map[string]any) { art["reports"].(map[string]any)["sast"] = []any{1} },
	} {
		gl := loadYAML(t, gitlabTemplate)
		mistake(gl[".thingsec-scan"].(map[string]any)["artifacts"].(map[string]any))
		if reporttest.CheckAgainst("testdata/gitlab-ci.schema.json", asJSON(t, visibleJobs(gl))) == nil {
			t.Errorf("the GitLab schema accepts %s", name)
		}
	}
	gh := loadYAML(t, githubAction)
	delete(gh["runs"].(map[string]any)["steps"].([]any)[0].(map[string]any), "shell")
	if reporttest.CheckAgainst("testdata/github-action.schema.json", asJSON(t, gh)) == nil {
		t.Error("the action schema accepts a composite run step without shell")
	}
}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// thingsecBin builds cmd/thingsec once per test binary and returns the
// directory that holds it.
func thingsecBin(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "thingsec-ci-bin")
		if buildErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, "thingsec"), "../cmd/thingsec").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// workspace is a job's working directory with the build artifact in it.
func workspace(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	img, err := os.ReadFile(demoImage)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "build"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "build", "acme-cam.bin"), img, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// baseEnv is the machine's environment without thingsec's own variables,
// with a home and caches of the test's own (no vulnerability database
// or configuration file of the machine leaks in).
func baseEnv(t *testing.T, path string) map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "THINGSEC_") || strings.HasPrefix(k, "GITHUB_") || strings.HasPrefix(k, "GITLAB_") {
			continue
		}
		env[k] = v
	}
	home := t.TempDir()
	env["HOME"] = home
	env["XDG_CACHE_HOME"] = filepath.Join(home, ".cache")
	env["XDG_CONFIG_HOME"] = filepath.Join(home, ".config")
	env["CI"] = "true"
	env["PATH"] = path
	return env
}

func environ(env map[string]string) []string {
	var out []string
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// runBash runs script with bash -e -o pipefail in dir and returns its exit
// code and combined output.
func runBash(t *testing.T, dir, script string, env map[string]string) (int, string) {
	t.Helper()
	return runShell(t, dir, exec.Command("bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script), env)
}

// runShell runs cmd (a shell) in dir with env.
func runShell(t *testing.T, dir string, cmd *exec.Cmd, env map[string]string) (int, string) {
	t.Helper()
	cmd.Dir = dir
	cmd.Env = environ(env)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	}
	t.Fatalf("%s: %v", cmd.Path, err)
	return 0, ""
}

// systemPath is PATH without the directories that hold a thingsec, so
// the templates' install branches are what puts one there.
func systemPath(t *testing.T) string {
	var keep []string
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		if _, err := os.Stat(filepath.Join(d, "thingsec")); err == nil {
			continue
		}
		keep = append(keep, d)
	}
	return strings.Join(keep, string(filepath.ListSeparator))
}

// needDownloader skips a case that downloads the binary when none of
// tools (the downloaders the template tries) is installed.
func needDownloader(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err == nil {
			return
		}
	}
	t.Skipf("none of %v is installed (.ci/run installs curl)", tools)
}

// supportsFlag says whether the built thingsec's scan has the flag.
func supportsFlag(t *testing.T, bin, flag string) bool {
	out, err := exec.Command(filepath.Join(bin, "thingsec"), "scan", "--help").Output()
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Contains(out, []byte("--"+flag+" "))
}

// baseline scans the demo image to a JSON report and writes it to path
// without the findings of rule (an earlier release that did not have
// them); rule "" keeps them all.
func baseline(t *testing.T, bin, path, rule string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, "thingsec"), "scan", "-q", "--format", "json", demoImage)
	cmd.Env = environ(baseEnv(t, os.Getenv("PATH")))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("baseline scan: %v", err)
	}
	rep, err := model.DecodeReport(out)
	if err != nil {
		t.Fatal(err)
	}
	if rule != "" {
		var kept []model.Finding
		for _, f := range rep.Findings {
			if f.RuleID != rule {
				kept = append(kept, f)
			}
		}
		if len(kept) == len(rep.Findings) {
			t.Fatalf("the demo report has no finding of %s to leave out", rule)
		}
		rep.Findings = kept
	}
	if err := os.WriteFile(path, asJSON(t, rep), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkFile asserts that the file a template declares exists, is not
// empty and parses in its format; GitLab's security reports are validated
// against GitLab's schemas, the JSON report against thingsec's.
func checkFile(t *testing.T, dir, name, kind string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Errorf("declared file: %v", err)
		return
	}
	if len(b) == 0 {
		t.Errorf("%s is empty", name)
		return
	}
	gitlabSchemas := map[string]string{
		"sast":                "sast-report-format-15.0.7.json",
		"secret_detection":    "secret-detection-report-format-15.0.7.json",
		"dependency_scanning": "dependency-scanning-report-format-15.0.7.json",
	}
	switch {
	case gitlabSchemas[kind] != "":
		if err := reporttest.CheckAgainst(filepath.Join("..", "internal", "report", "gitlab", "testdata", gitlabSchemas[kind]), b); err != nil {
			t.Errorf("%s (%s report): %v", name, kind, err)
		}
	case kind == "codequality":
		var issues []map[string]any
		if err := json.Unmarshal(b, &issues); err != nil || len(issues) == 0 {
			t.Errorf("%s: not a non-empty Code Quality array: %v", name, err)
		}
	case name == "thingsec.json" || kind == "json":
		reporttest.Validate(t, b)
	case strings.HasSuffix(name, ".sarif") || kind == "sarif":
		var s struct {
			Version string `json:"version"`
			Runs    []any  `json:"runs"`
		}
		if err := json.Unmarshal(b, &s); err != nil || s.Version != "2.1.0" || len(s.Runs) == 0 {
			t.Errorf("%s: not SARIF 2.1.0 with a run: %v", name, err)
		}
	case strings.HasSuffix(name, ".xml"):
		var root struct {
			XMLName xml.Name
		}
		if err := xml.Unmarshal(b, &root); err != nil || root.XMLName.Local != "testsuites" {
			t.Errorf("%s: not a JUnit <testsuites> document: %v", name, err)
		}
		// against the JUnit schema the junit encoder is tested with, where
		// libxml2's xmllint is installed (Debian libxml2-utils, in CI)
		if _, err := exec.LookPath("xmllint"); err == nil {
			xsd := filepath.Join("..", "internal", "report", "junit", "testdata", "junit-10.xsd")
			if out, err := exec.Command("xmllint", "--noout", "--schema", xsd, filepath.Join(dir, name)).CombinedOutput(); err != nil {
				t.Errorf("%s: %v\n%s", name, err, out)
			}
		}
	case strings.HasSuffix(name, ".html"):
		if err := parseHTML(b); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	case strings.HasSuffix(name, ".md"):
		if !bytes.HasPrefix(b, []byte("## thingsec")) {
			t.Errorf("%s: not thingsec's markdown: %.60q", name, b)
		}
	default:
		t.Errorf("%s: no check for this kind of file", name)
	}
}

// parseHTML checks that the page is a whole HTML document whose elements
// all close (the report is written as well-formed markup).
func parseHTML(b []byte) error {
	if !bytes.HasPrefix(bytes.TrimSpace(bytes.ToLower(b[:min(len(b), 64)])), []byte("<!doctype html>")) {
		return errors.New("no <!DOCTYPE html>")
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	var stack []string
	seen := map[string]bool{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch e := tok.(type) {
		case xml.StartElement:
			stack = append(stack, e.Name.Local)
			seen[e.Name.Local] = true
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1] != e.Name.Local {
				return fmt.Errorf("</%s> closes nothing open", e.Name.Local)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) != 0 {
		return fmt.Errorf("elements left open: %v", stack)
	}
	for _, el := range []string{"html", "head", "body", "table"} {
		if !seen[el] {
			return fmt.Errorf("no <%s>", el)
		}
	}
	return nil
}

// The templates' variables are in thingsec's namespace, where every
// THINGSEC_<FLAG> sets a flag: only the ones meant as flags may name one,
// or a future flag would be set behind the template's back.
func TestTemplateVariablesAreNotFlags(t *testing.T) {
	bin := thingsecBin(t)
	meant := map[string]bool{"THINGSEC_FAIL_ON": true, "THINGSEC_BASELINE": true, "THINGSEC_FAIL_ON_NEW": true}
	var help []byte
	for _, cmd := range []string{"scan", "diff", "version"} {
		out, err := exec.Command(filepath.Join(bin, "thingsec"), cmd, "--help").Output()
		if err != nil {
			t.Fatal(err)
		}
		help = append(help, out...)
	}
	vars := map[string]bool{}
	for k := range loadGitLabJob(t).vars {
		vars[k] = true
	}
	for _, st := range loadYAML(t, githubAction)["runs"].(map[string]any)["steps"].([]any) {
		if env, ok := st.(map[string]any)["env"].(map[string]any); ok {
			for k := range env {
				vars[k] = true
			}
		}
	}
	for v := range vars {
		if !strings.HasPrefix(v, "THINGSEC_") || meant[v] {
			continue
		}
		flag := "--" + strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(v, "THINGSEC_")), "_", "-") + " "
		if v != "THINGSEC_VERSION" && bytes.Contains(help, []byte(flag)) { // --version is never read from the environment
			t.Errorf("%s is the variable of thingsec's %s", v, flag)
		}
	}
}

// Inputs reach the action's scripts through env:, never spliced into the
// script text (where a crafted input would run as shell).
func TestActionRunStepsHaveNoExpressions(t *testing.T) {
	for _, st := range loadYAML(t, githubAction)["runs"].(map[string]any)["steps"].([]any) {
		if run, ok := st.(map[string]any)["run"].(string); ok && strings.Contains(run, "${{") {
			t.Errorf("step %v splices an expression into its script", st.(map[string]any)["name"])
		}
	}
}
