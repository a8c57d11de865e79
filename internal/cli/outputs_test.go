package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/gitlab"
	"github.com/thingsec/thingsec/internal/report/junit"
	"github.com/thingsec/thingsec/internal/report/reporttest"
	"github.com/thingsec/thingsec/internal/report/sarif"
)

// TestDemoOutputs: one scan of the demo image writes every CI format to
// its file and the JSON report to standard output; each file is valid
// against its official schema and says the same as the JSON report.
func TestDemoOutputs(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	formats := []string{
		"sarif=" + p("r.sarif"),
		"gitlab-sast=" + p("sast.json"),
		"gitlab-secret-detection=" + p("secrets.json"),
		"gitlab-dependency-scanning=" + p("deps.json"),
		"gitlab-codequality=" + p("cq.json"),
		"junit=" + p("r.xml"),
		"json=-",
	}
	var out, errb bytes.Buffer
	args := []string{"thingsec", "scan", "-q", "--fail-on-incomplete", "--gitlab-schema-version", "15.0.7", "--format", strings.Join(formats, ","),
		"--db-path", p("absent.db"), "../../testdata/demo/acme-cam.bin"}
	if code := Main(context.Background(), args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	reporttest.Validate(t, out.Bytes())
	var rep model.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) == 0 || len(rep.Vulnerabilities) == 0 {
		t.Fatalf("the demo scan found %d findings, %d vulnerabilities", len(rep.Findings), len(rep.Vulnerabilities))
	}
	read := func(n string) []byte {
		b, err := os.ReadFile(p(n))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	reporttest.ValidateAgainst(t, "../report/sarif/testdata/sarif-2.1.0-rtm.5.json", read("r.sarif"))
	var log sarif.Log
	if err := json.Unmarshal(read("r.sarif"), &log); err != nil {
		t.Fatal(err)
	}
	if n := len(log.Runs[0].Results); n != len(rep.Findings)+len(rep.Vulnerabilities) {
		t.Errorf("SARIF has %d results for %d findings and %d vulnerabilities", n, len(rep.Findings), len(rep.Vulnerabilities))
	}

	counts := map[string]int{}
	for n, schema := range map[string]string{
		"sast.json":    "../report/gitlab/testdata/sast-report-format-15.0.7.json",
		"secrets.json": "../report/gitlab/testdata/secret-detection-report-format-15.0.7.json",
		"deps.json":    "../report/gitlab/testdata/dependency-scanning-report-format-15.0.7.json",
	} {
		reporttest.ValidateAgainst(t, schema, read(n))
		var r gitlab.Report
		if err := json.Unmarshal(read(n), &r); err != nil {
			t.Fatal(err)
		}
		counts[n] = len(r.Vulnerabilities)
	}
	if counts["sast.json"]+counts["secrets.json"] != len(rep.Findings) || counts["deps.json"] != len(rep.Vulnerabilities) || counts["secrets.json"] == 0 {
		t.Errorf("GitLab reports hold %v for %d findings, %d vulnerabilities", counts, len(rep.Findings), len(rep.Vulnerabilities))
	}

	var issues []map[string]any
	if err := json.Unmarshal(read("cq.json"), &issues); err != nil || len(issues) != len(rep.Findings)+len(rep.Vulnerabilities) {
		t.Errorf("code quality: %v, %d issues", err, len(issues))
	}

	var suites junit.Suites
	if err := xml.Unmarshal(read("r.xml"), &suites); err != nil {
		t.Fatal(err)
	}
	last := suites.Suites[len(suites.Suites)-1]
	if last.Name != "thingsec gates" || last.Cases[0].Name != "fail-on-incomplete" || suites.Tests < 200 {
		t.Errorf("junit: %d tests, last suite %+v", suites.Tests, last)
	}
	if _, err := exec.LookPath("xmllint"); err == nil {
		if b, err := exec.Command("xmllint", "--noout", "--schema", "../report/junit/testdata/junit-10.xsd", p("r.xml")).CombinedOutput(); err != nil {
			t.Errorf("junit not valid: %s", b)
		}
	}
}

// TestOutputs: the --format list is checked before any work; bare formats
// go to -o or standard output.
func TestOutputs(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "fw.bin")
	if err := os.WriteFile(target, []byte("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := func(n string) string { return filepath.Join(dir, n) }
	for _, c := range []struct {
		args   []string
		code   int
		stderr string
		files  []string // written
		stdout string   // a prefix
	}{
		{[]string{"--format", "sarif,json"}, ExitUsage, "sarif and json both write to standard output", nil, ""},
		{[]string{"--format", "sarif=-,junit=/dev/stdout"}, ExitUsage, "both write to standard output", nil, ""},
		{[]string{"--format", "sarif=" + p("a"), "--format", "x"}, ExitUsage, `--format "x"`, nil, ""},
		{[]string{"--format", "sarif=" + p("same") + ",junit=" + p("same")}, ExitUsage, "both write to " + p("same"), nil, ""},
		{[]string{"--format", "sarif=" + p("ok.sarif") + ",json=" + p("no/such/dir/r.json")}, ExitUsage, "cannot write " + p("no/such/dir/r.json"), nil, ""},
		{[]string{"--format", "sarif=" + p("ok.sarif") + ",bogus=" + p("b")}, ExitUsage, `--format "bogus": this command writes [table json`, nil, ""},
		{[]string{"--format", "sarif=,json"}, ExitUsage, "each entry is FORMAT or FORMAT=FILE", nil, ""},
		{[]string{"--format", "sarif,json", "-o", p("o")}, ExitUsage, "takes one format", nil, ""},
		{[]string{"--format", "sarif=" + p("s1"), "-o", p("o")}, ExitUsage, "every --format entry names its own file", nil, ""},
		{[]string{"--gitlab-schema-version", "15", "--format", "gitlab-sast"}, ExitUsage, "not MAJOR.MINOR.PATCH", nil, ""},
		{[]string{"--format", "sarif", "-o", p("bare.sarif")}, 0, "", []string{"bare.sarif"}, ""},
		{[]string{"--format", "sarif=" + p("two.sarif") + ",junit", "-o", p("two.xml")}, 0, "", []string{"two.sarif", "two.xml"}, ""},
		{[]string{"--format", "gitlab-codequality=" + p("cq.json") + ",sarif"}, 0, "", []string{"cq.json"}, `{"$schema"`},
	} {
		var out, errb bytes.Buffer
		args := append([]string{"thingsec", "scan", "-q", "--no-vuln", "--no-unpack"}, c.args...)
		code := Main(context.Background(), append(args, target), &out, &errb)
		if code != c.code || !strings.Contains(errb.String(), c.stderr) || !strings.HasPrefix(out.String(), c.stdout) {
			t.Errorf("%v: exit %d, stderr %q, stdout %.40q", c.args, code, errb.String(), out.String())
		}
		for _, f := range c.files {
			if st, err := os.Stat(p(f)); err != nil || st.Size() == 0 {
				t.Errorf("%v: %s not written: %v", c.args, f, err)
			}
		}
	}
	// nothing was written by the runs that failed their checks
	for _, f := range []string{"ok.sarif", "a", "same", "s1", "o", "b"} {
		if _, err := os.Stat(p(f)); err == nil {
			t.Errorf("%s written by a run that failed before any work", f)
		}
	}
}

// TestSecretsOutputs: secrets writes SARIF and JUnit with its gate, and
// sbom writes the GitLab dependency report.
func TestSecretsOutputs(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "app.env"), []byte("x=1\nAWS_ACCESS_KEY_ID=AKIAQYLPMN5HHHFPZAM2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"thingsec", "secrets", "-q", "--format", "junit=" + filepath.Join(dir, "s.xml") + ",sarif=-", src}, &out, &errb)
	if code != ExitGate {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var log sarif.Log
	if err := json.Unmarshal(out.Bytes(), &log); err != nil || len(log.Runs[0].Results) == 0 {
		t.Fatalf("%v: %s", err, out.String())
	}
	loc := log.Runs[0].Results[0].Locations[0].PhysicalLocation
	if loc.ArtifactLocation.URI != "app.env" || loc.Region == nil || loc.Region.StartLine != 2 {
		t.Errorf("a secret of a directory is at its relative path and line: %+v %+v", loc.ArtifactLocation, loc.Region)
	}
	b, err := os.ReadFile(filepath.Join(dir, "s.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var suites junit.Suites
	if err := xml.Unmarshal(b, &suites); err != nil {
		t.Fatal(err)
	}
	gates := suites.Suites[len(suites.Suites)-1]
	if gates.Name != "thingsec gates" || gates.Cases[0].Name != "fail-on low" || gates.Cases[0].Failure == nil {
		t.Errorf("secrets gate: %+v", gates)
	}
	for _, s := range suites.Suites {
		if s.Name == "thingsec hardening" {
			t.Error("secrets lists the hardening rules, which it does not run")
		}
	}
	// sbom: the components as GitLab's dependency list
	out.Reset()
	ds := filepath.Join(dir, "ds.json")
	if code := Main(context.Background(), []string{"thingsec", "sbom", "-q", "--format", "gitlab-dependency-scanning=" + ds + ",cyclonedx=-", "../../testdata/demo/acme-cam.bin"}, &out, &errb); code != 0 {
		t.Fatalf("sbom exit %d: %s", code, errb.String())
	}
	b, err = os.ReadFile(ds)
	if err != nil {
		t.Fatal(err)
	}
	reporttest.ValidateAgainst(t, "../report/gitlab/testdata/dependency-scanning-report-format-15.0.7.json", b)
	if !bytes.Contains(b, []byte(`"package_manager": "opkg"`)) || !bytes.Contains(out.Bytes(), []byte(`"bomFormat": "CycloneDX"`)) {
		t.Errorf("sbom outputs: %.300s", b)
	}
}

// TestGitSecretsOutputs: a secret of a repository's history is reported
// at its repository path and line, and GitLab gets the commit that added
// it.
func TestGitSecretsOutputs(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	repo := t.TempDir()
	if err := os.MkdirAll(filepath.Join(repo, "conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "conf", "app.env"), []byte("x=1\nAWS_ACCESS_KEY_ID=AKIAQYLPMN5HHHFPZAM2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"-c", "user.name=t", "-c", "user.email=t@example.net", "commit", "-q", "-m", "leak"}} {
		if out, err := exec.Command("git", append([]string{"-C", repo}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	head, err := exec.Command("git", "-C", repo, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	sarifPath := filepath.Join(t.TempDir(), "git.sarif")
	var out, errb bytes.Buffer
	if code := Main(context.Background(), []string{"thingsec", "secrets", "-q", "--git", "--format", "sarif=" + sarifPath + ",gitlab-secret-detection=-", repo}, &out, &errb); code != ExitGate {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	reporttest.ValidateAgainst(t, "../report/gitlab/testdata/secret-detection-report-format-15.0.7.json", out.Bytes())
	var r gitlab.Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || len(r.Vulnerabilities) != 1 {
		t.Fatalf("%v: %s", err, out.String())
	}
	loc := r.Vulnerabilities[0].Location
	if loc.File != "conf/app.env" || loc.StartLine != 2 || loc.Commit == nil || loc.Commit.SHA != strings.TrimSpace(string(head)) {
		t.Errorf("GitLab location %+v %+v", loc, loc.Commit)
	}
	b, err := os.ReadFile(sarifPath)
	if err != nil {
		t.Fatal(err)
	}
	var log sarif.Log
	if err := json.Unmarshal(b, &log); err != nil {
		t.Fatal(err)
	}
	pl := log.Runs[0].Results[0].Locations[0].PhysicalLocation
	if pl.ArtifactLocation.URI != "conf/app.env" || pl.Region.StartLine != 2 {
		t.Errorf("SARIF location %+v %+v", pl.ArtifactLocation, pl.Region)
	}
}
