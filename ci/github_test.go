package ci

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// actionRun plays the composite action as a runner would: inputs with
// their defaults, ${{ }} expressions of the forms the action uses, run
// steps in bash, $GITHUB_OUTPUT, $GITHUB_PATH and $GITHUB_STEP_SUMMARY;
// a uses: step is not run but its with: inputs are checked against the
// files the run left.
type actionRun struct {
	t       *testing.T
	dir     string
	env     map[string]string
	inputs  map[string]string
	outputs map[string]map[string]string // step id -> outputs
	failed  bool
	uploads map[string][]string // action -> files it was given
	logs    strings.Builder
}

var exprRe = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// value is one operand: inputs.X, steps.ID.outputs.X, a ” string.
func (r *actionRun) value(e string) string {
	switch {
	case e == "''":
		return ""
	case strings.HasPrefix(e, "inputs."):
		v, ok := r.inputs[strings.TrimPrefix(e, "inputs.")]
		if !ok {
			r.t.Fatalf("expression names an input the action does not declare: %s", e)
		}
		return v
	case strings.HasPrefix(e, "steps."):
		parts := strings.Split(e, ".")
		if len(parts) != 4 || parts[2] != "outputs" {
			r.t.Fatalf("unsupported expression %q", e)
		}
		return r.outputs[parts[1]][parts[3]]
	}
	r.t.Fatalf("unsupported expression %q", e)
	return ""
}

func (r *actionRun) expand(s string) string {
	return exprRe.ReplaceAllStringFunc(s, func(m string) string {
		return r.value(exprRe.FindStringSubmatch(m)[1])
	})
}

// cond evaluates an if: of the forms always(), success() and
// A != ” / A == ” joined by &&.
func (r *actionRun) cond(s string) bool {
	s = strings.TrimSpace(exprRe.ReplaceAllString(s, "$1"))
	if s == "" {
		return !r.failed
	}
	result, status := true, false
	for _, term := range strings.Split(s, "&&") {
		term = strings.TrimSpace(term)
		switch {
		case term == "always()":
			status = true
		case term == "success()":
		case strings.Contains(term, "!="):
			a, b, _ := strings.Cut(term, "!=")
			result = result && r.value(strings.TrimSpace(a)) != r.value(strings.TrimSpace(b))
		case strings.Contains(term, "=="):
			a, b, _ := strings.Cut(term, "==")
			result = result && r.value(strings.TrimSpace(a)) == r.value(strings.TrimSpace(b))
		default:
			r.t.Fatalf("unsupported if: %q", s)
		}
	}
	if !status && r.failed {
		return false
	}
	return result
}

// readOutputs parses $GITHUB_OUTPUT (NAME=VALUE and NAME<<DELIM lines).
func readOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if k, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(k, "=") {
			var v []string
			for sc.Scan() && sc.Text() != delim {
				v = append(v, sc.Text())
			}
			out[k] = strings.Join(v, "\n")
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out
}

// step runs one step; it returns the exit code of a run step (0 for uses).
func (r *actionRun) step(i int, st map[string]any) int {
	t := r.t
	id, _ := st["id"].(string)
	if id == "" {
		id = fmt.Sprintf("step%d", i)
	}
	with := map[string]string{}
	if w, ok := st["with"].(map[string]any); ok {
		for k, v := range w {
			with[k] = r.expand(fmt.Sprint(v))
		}
	}
	if uses, ok := st["uses"].(string); ok {
		action, _, _ := strings.Cut(uses, "@")
		var files []string
		switch action {
		case "github/codeql-action/upload-sarif":
			files = []string{with["sarif_file"]}
		case "actions/upload-artifact":
			for _, l := range strings.Split(with["path"], "\n") {
				if l = strings.TrimSpace(l); l != "" {
					files = append(files, l)
				}
			}
		default:
			t.Fatalf("no check for the inputs of %s", uses)
		}
		r.uploads[action] = files
		return 0
	}
	env := maps.Clone(r.env)
	if e, ok := st["env"].(map[string]any); ok {
		for k, v := range e {
			env[k] = r.expand(fmt.Sprint(v))
		}
	}
	outFile := filepath.Join(r.env["RUNNER_TEMP"], "output-"+id)
	if err := os.WriteFile(outFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	env["GITHUB_OUTPUT"] = outFile
	if st["shell"] != "bash" {
		t.Fatalf("step %s: shell %v, want bash", id, st["shell"])
	}
	code, out := runBash(t, r.dir, r.expand(st["run"].(string)), env)
	fmt.Fprintf(&r.logs, "--- step %s: exit %d\n%s", id, code, out)
	r.outputs[id] = readOutputs(t, outFile)
	// $GITHUB_PATH: directories put before PATH for the later steps
	if b, err := os.ReadFile(r.env["GITHUB_PATH"]); err == nil {
		for _, d := range strings.Fields(string(b)) {
			if !strings.Contains(r.env["PATH"], d) {
				r.env["PATH"] = d + string(filepath.ListSeparator) + r.env["PATH"]
			}
		}
	}
	return code
}

// runAction runs the action in dir and returns the exit code of its last
// failing step (0 when every step passed).
func runAction(t *testing.T, dir, path string, inputs map[string]string) (*actionRun, int) {
	t.Helper()
	doc := loadYAML(t, githubAction)
	r := &actionRun{t: t, dir: dir, inputs: map[string]string{}, outputs: map[string]map[string]string{}, uploads: map[string][]string{}}
	for name, v := range doc["inputs"].(map[string]any) {
		in := v.(map[string]any)
		r.inputs[name] = fmt.Sprint(in["default"])
		if in["default"] == nil {
			r.inputs[name] = ""
		}
	}
	for k, v := range inputs {
		if _, ok := r.inputs[k]; !ok {
			t.Fatalf("the action has no input %s", k)
		}
		r.inputs[k] = v
	}
	temp := t.TempDir()
	r.env = baseEnv(t, path)
	r.env["GITHUB_ACTIONS"] = "true"
	r.env["GITHUB_WORKSPACE"] = dir
	r.env["RUNNER_TEMP"] = temp
	r.env["GITHUB_STEP_SUMMARY"] = filepath.Join(temp, "summary.md")
	r.env["GITHUB_PATH"] = filepath.Join(temp, "path")
	code := 0
	for i, st := range doc["runs"].(map[string]any)["steps"].([]any) {
		s := st.(map[string]any)
		ifs, _ := s["if"].(string)
		if !r.cond(ifs) {
			continue
		}
		if c := r.step(i, s); c != 0 {
			r.failed, code = true, c
		}
	}
	return r, code
}

func TestGitHubActionRuns(t *testing.T) {
	bin := thingsecBin(t)
	onPath := bin + string(filepath.ListSeparator) + systemPath(t)
	type tc struct {
		name     string
		inputs   map[string]string
		baseline string // rule the baseline leaves out; "-" for no baseline, "" for all
		path     string
		want     int
		noSarif  bool // formats has no sarif: the upload is skipped
	}
	cases := []tc{
		{name: "no-sarif", inputs: map[string]string{"fail-on": "", "formats": "json=t.json,html=t.html"}, baseline: "-", path: onPath, want: 0, noSarif: true},
		{name: "clean", inputs: map[string]string{"fail-on": ""}, baseline: "-", path: onPath, want: 0},
		{name: "all-formats", inputs: map[string]string{"fail-on": "", "formats": "sarif=out/t.sarif,json=out/t.json,junit=out/t.junit.xml,html=out/t.html"}, baseline: "-", path: onPath, want: 0},
		{name: "baseline-nothing-new", inputs: map[string]string{"fail-on": ""}, baseline: "", path: onPath, want: 0},
		{name: "baseline-new-critical", inputs: map[string]string{"fail-on": ""}, baseline: "TS-KEY-020", path: onPath, want: 1},
		{name: "download", inputs: map[string]string{"fail-on": "", "download-url": "file://" + filepath.Join(bin, "thingsec")}, baseline: "-", path: systemPath(t), want: 0},
	}
	if supportsFlag(t, bin, "fail-on") {
		cases = append(cases, tc{name: "fail-on-high", inputs: map[string]string{}, baseline: "-", path: onPath, want: 1})
	} else {
		t.Log("this thingsec has no --fail-on: the fail-on input is ignored, its gate is not exercised")
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if strings.HasPrefix(c.name, "download") {
				needDownloader(t, "curl")
			}
			dir := workspace(t)
			if err := os.MkdirAll(filepath.Join(dir, "out"), 0o755); err != nil {
				t.Fatal(err)
			}
			inputs := map[string]string{"target": "build/acme-cam.bin"}
			maps.Copy(inputs, c.inputs)
			if c.baseline != "-" {
				baseline(t, bin, filepath.Join(dir, "last-release.json"), c.baseline)
				inputs["baseline"] = "last-release.json"
			}
			r, code := runAction(t, dir, c.path, inputs)
			if code != c.want {
				t.Fatalf("exit %d, want %d\n%s", code, c.want, r.logs.String())
			}
			if got := r.outputs["scan"]["exit-code"]; got != fmt.Sprint(c.want) {
				t.Errorf("output exit-code %q, want %d", got, c.want)
			}
			// the uploads ran whatever the gate said, with files that exist
			sarif, uploaded := r.uploads["github/codeql-action/upload-sarif"]
			switch {
			case c.noSarif && uploaded:
				t.Errorf("SARIF uploaded without a sarif format: %q", sarif)
			case c.noSarif:
			case len(sarif) != 1:
				t.Fatalf("SARIF upload given %q", sarif)
			default:
				checkFile(t, dir, sarif[0], "sarif")
			}
			arts := r.uploads["actions/upload-artifact"]
			if len(arts) < 3 {
				t.Fatalf("artifact upload given %q", arts)
			}
			for _, f := range arts {
				checkFile(t, dir, f, kindOf(f))
			}
			// the action's outputs name the files
			doc := loadYAML(t, githubAction)
			for name, o := range doc["outputs"].(map[string]any) {
				v := r.expand(o.(map[string]any)["value"].(string))
				switch {
				case name == "exit-code":
				case v == "" && (name == "diff" && c.baseline == "-" || name == "sarif" && c.noSarif):
				case v == "":
					t.Errorf("output %s is empty", name)
				default:
					checkFile(t, dir, v, kindOf(v))
				}
			}
			summary, err := os.ReadFile(r.env["GITHUB_STEP_SUMMARY"])
			if err != nil || !strings.HasPrefix(string(summary), "## thingsec") {
				t.Errorf("step summary: %v %.80q", err, summary)
			}
			if c.baseline != "" && c.baseline != "-" && !strings.Contains(string(summary), c.baseline) {
				t.Errorf("the step summary does not name the new %s", c.baseline)
			}
		})
	}
}

// kindOf is the format of a file named in the action's formats.
func kindOf(name string) string {
	switch {
	case strings.HasSuffix(name, ".sarif"):
		return "sarif"
	case strings.HasSuffix(name, ".json"):
		return "json"
	}
	return ""
}
