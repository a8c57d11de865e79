package ci

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitlabJob is the template's job with extends resolved (one level, as
// the template uses it): its variables, its shell script and the files it
// declares (path -> report kind, "" for a plain artifact).
type gitlabJob struct {
	vars   map[string]string
	script string
	files  map[string]string
	when   string
}

func loadGitLabJob(t *testing.T) gitlabJob {
	t.Helper()
	doc := loadYAML(t, gitlabTemplate)
	job, ok := doc["thingsec"].(map[string]any)
	if !ok {
		t.Fatal("no job thingsec")
	}
	merged := map[string]any{}
	if base, ok := job["extends"].(string); ok {
		maps.Copy(merged, doc[base].(map[string]any))
	}
	maps.Copy(merged, job)
	j := gitlabJob{vars: map[string]string{}, files: map[string]string{}}
	for k, v := range merged["variables"].(map[string]any) {
		j.vars[k] = fmt.Sprint(v)
	}
	var lines []string
	for _, key := range []string{"before_script", "script"} {
		for _, l := range merged[key].([]any) {
			lines = append(lines, l.(string))
		}
	}
	j.script = strings.Join(lines, "\n")
	art := merged["artifacts"].(map[string]any)
	j.when, _ = art["when"].(string)
	for _, p := range art["paths"].([]any) {
		j.files[p.(string)] = ""
	}
	for kind, p := range art["reports"].(map[string]any) {
		j.files[p.(string)] = kind
	}
	return j
}

func TestGitLabJobDeclares(t *testing.T) {
	j := loadGitLabJob(t)
	if j.when != "always" {
		t.Errorf("artifacts:when is %q: the reports would be lost when the gate fails", j.when)
	}
	kinds := map[string]bool{}
	for _, k := range j.files {
		kinds[k] = true
	}
	for _, k := range []string{"sast", "secret_detection", "dependency_scanning", "codequality", "junit"} {
		if !kinds[k] {
			t.Errorf("no artifacts:reports:%s", k)
		}
	}
}

func TestGitLabJobRuns(t *testing.T) {
	bin := thingsecBin(t)
	job := loadGitLabJob(t)
	binary, err := os.ReadFile(filepath.Join(bin, "thingsec"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(binary)
	onPath := bin + string(filepath.ListSeparator) + systemPath(t)

	type tc struct {
		name     string
		vars     map[string]string
		baseline string // rule the baseline leaves out; "-" for no baseline, "" for all
		path     string
		want     int
		noFiles  bool // the job stops before scanning
		posix    bool // run with sh -e (an image without bash) instead of bash
	}
	cases := []tc{
		{name: "clean", vars: map[string]string{"THINGSEC_FAIL_ON": ""}, baseline: "-", path: onPath, want: 0},
		{name: "baseline-nothing-new", vars: map[string]string{"THINGSEC_FAIL_ON": ""}, baseline: "", path: onPath, want: 0},
		{name: "baseline-new-critical", vars: map[string]string{"THINGSEC_FAIL_ON": ""}, baseline: "TS-KEY-020", path: onPath, want: 1},
		{name: "baseline-new-below-threshold", vars: map[string]string{"THINGSEC_FAIL_ON": "", "THINGSEC_FAIL_ON_NEW": "critical"}, baseline: "TS-KEY-004", path: onPath, want: 0},
		{name: "download", vars: map[string]string{"THINGSEC_FAIL_ON": "", "THINGSEC_DOWNLOAD_URL": "file://" + filepath.Join(bin, "thingsec"), "THINGSEC_DOWNLOAD_SHA256": hex.EncodeToString(sum[:])}, baseline: "-", path: systemPath(t), want: 0},
		{name: "download-wrong-checksum", vars: map[string]string{"THINGSEC_DOWNLOAD_URL": "file://" + filepath.Join(bin, "thingsec"), "THINGSEC_DOWNLOAD_SHA256": strings.Repeat("0", 64)}, baseline: "-", path: systemPath(t), want: 1, noFiles: true},
		{name: "posix-sh", vars: map[string]string{"THINGSEC_FAIL_ON": ""}, baseline: "TS-KEY-020", path: onPath, want: 1, posix: true},
		{name: "no-target", vars: map[string]string{"THINGSEC_TARGET": ""}, baseline: "-", path: onPath, want: 2, noFiles: true},
	}
	if supportsFlag(t, bin, "fail-on") {
		cases = append(cases,
			tc{name: "fail-on-high", vars: map[string]string{"THINGSEC_FAIL_ON": "high"}, baseline: "-", path: onPath, want: 1},
			tc{name: "fail-on-none", vars: map[string]string{"THINGSEC_FAIL_ON": ""}, baseline: "-", path: onPath, want: 0})
	} else {
		t.Log("this thingsec has no --fail-on: THINGSEC_FAIL_ON is ignored, its gate is not exercised")
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if strings.HasPrefix(c.name, "download") {
				needDownloader(t, "curl") // the case serves a file:// URL, which wget cannot read
			}
			dir := workspace(t)
			env := baseEnv(t, c.path)
			maps.Copy(env, job.vars)
			env["GITLAB_CI"] = "true"
			env["CI_PROJECT_DIR"] = dir
			env["CI_JOB_NAME"] = "thingsec"
			env["THINGSEC_TARGET"] = "build/acme-cam.bin"
			if c.baseline != "-" {
				baseline(t, bin, filepath.Join(dir, "last-release.json"), c.baseline)
				env["THINGSEC_BASELINE"] = "last-release.json"
			}
			maps.Copy(env, c.vars)
			var code int
			var out string
			if c.posix {
				code, out = runShell(t, dir, exec.Command("sh", "-e", "-c", job.script), env)
			} else {
				code, out = runBash(t, dir, job.script, env)
			}
			if code != c.want {
				t.Fatalf("exit %d, want %d\n%s", code, c.want, out)
			}
			if c.noFiles {
				return
			}
			for name, kind := range job.files {
				if name == "thingsec-diff.md" && c.baseline == "-" {
					if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
						t.Errorf("%s written without a baseline", name)
					}
					continue
				}
				checkFile(t, dir, name, kind)
			}
			if c.baseline != "-" {
				diff, _ := os.ReadFile(filepath.Join(dir, "thingsec-diff.md"))
				if c.baseline != "" && !strings.Contains(string(diff), c.baseline) {
					t.Errorf("thingsec-diff.md does not name the new %s:\n%s", c.baseline, diff)
				}
			}
		})
	}
}
