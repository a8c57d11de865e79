package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report"
	"github.com/thingsec/thingsec/internal/report/gitlab"
)

// outputsFlag is the --format of the commands that write a report (scan,
// secrets, sbom): one format, or several at once from the same scan as
// FORMAT=FILE pairs ("sarif=out.sarif,html=report.html,json=-"; "-" is
// standard output), plus the settings of the CI formats.
type outputsFlag struct {
	*formatFlag
	gitlabVersion string
}

// output is one document to write: its encoder and its path ("-" is
// standard output).
type output struct {
	enc  *report.Encoder
	path string
}

// addOutputs registers --format, and --gitlab-schema-version when the
// command writes a GitLab format, on cmd for documents of kind k.
func addOutputs(cmd *cobra.Command, k report.Kind, def string) *outputsFlag {
	o := &outputsFlag{formatFlag: addFormat(cmd, k, def)}
	f := cmd.Flags().Lookup("format")
	f.Usage += `; several from one scan as FORMAT=FILE,... ("-" is standard output, at most one), e.g. sarif=out.sarif,json=-`
	for _, name := range report.Formats(k) {
		if strings.HasPrefix(name, "gitlab-") && !strings.HasPrefix(name, "gitlab-codequality") {
			cmd.Flags().StringVar(&o.gitlabVersion, "gitlab-schema-version", gitlab.DefaultSchemaVersion, "schema version the gitlab-* security reports declare (MAJOR.MINOR.PATCH)")
			break
		}
	}
	return o
}

// resolve turns --format and -o into the outputs to write, and checks
// before any work that each can be written: an unknown format, a file that
// cannot be written, two outputs to one file or to standard output are
// usage errors.
func (o *outputsFlag) resolve(g *globals) ([]output, error) {
	if o.gitlabVersion != "" {
		if err := gitlab.CheckVersion(o.gitlabVersion); err != nil {
			return nil, usageError{fmt.Errorf("--gitlab-schema-version: %w", err)}
		}
	}
	if !strings.ContainsAny(o.name, ",=") {
		enc, err := o.encoder(g)
		if err != nil {
			return nil, err
		}
		return []output{{enc: enc, path: stdoutIfEmpty(g.output)}}, nil
	}
	var outs []output
	bare := 0
	for _, item := range strings.Split(o.name, ",") {
		name, path, paired := strings.Cut(strings.TrimSpace(item), "=")
		name = strings.TrimSpace(name)
		if name == "" || (paired && strings.TrimSpace(path) == "") {
			return nil, usageError{fmt.Errorf("--format %q: each entry is FORMAT or FORMAT=FILE", o.name)}
		}
		if !paired {
			bare++
			path = g.output
		}
		enc, err := report.Lookup(name, o.kind)
		if err != nil {
			return nil, asUsage(err)
		}
		outs = append(outs, output{enc: enc, path: stdoutIfEmpty(strings.TrimSpace(path))})
	}
	switch {
	case bare > 1 && g.output != "":
		return nil, usageError{fmt.Errorf("-o %s takes one format; name the file of each other one as FORMAT=FILE", g.output)}
	case bare == 0 && g.output != "":
		return nil, usageError{fmt.Errorf("-o %s: every --format entry names its own file", g.output)}
	}
	seen := map[string]string{}
	for _, out := range outs {
		key := filepath.Clean(out.path)
		if out.path == "-" || key == "/dev/stdout" {
			key = "-"
		}
		if prev, dup := seen[key]; dup {
			where := out.path
			if key == "-" {
				where = "standard output"
			}
			return nil, usageError{fmt.Errorf("--format: %s and %s both write to %s; only one output may go to each file and to standard output", prev, out.enc.Name, where)}
		}
		seen[key] = out.enc.Name
		if key != "-" {
			if err := report.CheckOutput(out.path); err != nil {
				return nil, usageError{err}
			}
		}
	}
	return outs, nil
}

func stdoutIfEmpty(p string) string {
	if p == "" || p == "/dev/stdout" {
		return "-"
	}
	return p
}

// emit writes d to every output: files through report.WriteFile (a
// partial report never replaces a good one), then standard output.
func (o *outputsFlag) emit(g *globals, outs []output, d *report.Doc) error {
	d.GitLabSchemaVersion = o.gitlabVersion
	d.Table = g.tableOptions(d.Table)
	if d.Table.Gate == nil {
		d.Table.Gate = tableGate(d.Gates)
	}
	d.Commit = os.Getenv("CI_COMMIT_SHA") // set by GitLab CI; secrets are reported in it
	var toStdout *output
	for i := range outs {
		out := &outs[i]
		if out.path == "-" {
			toStdout = out
			continue
		}
		if err := report.WriteFile(out.path, func(w io.Writer) error { return out.enc.Encode(w, d) }); err != nil {
			return asUsage(err)
		}
	}
	if toStdout != nil {
		return toStdout.enc.Encode(g.stdout, d)
	}
	return nil
}

// ranRules are the catalog entries of the rule families that ran
// (sets.Families of the analyzer set).
func ranRules(families []string) []*catalog.Rule {
	cat, err := catalog.Default()
	if err != nil {
		return nil
	}
	var rs []*catalog.Rule
	for _, f := range families {
		rs = append(rs, cat.Family(f)...)
	}
	return rs
}

// incompleteGateOf is the outcome of --fail-on-incomplete, for the formats
// that show gates.
func incompleteGateOf(rep *model.Report) model.Gate {
	gt := model.Gate{Name: "fail-on-incomplete", Description: "every file extracted whole and fully analysed (--fail-on-incomplete)"}
	if files, skipped := incomplete(rep); files+skipped > 0 {
		gt.Failure = fmt.Sprintf("not fully analysed: %s extracted incompletely, %d skipped by an analyzer", plural(files, "file"), skipped)
	}
	return gt
}
