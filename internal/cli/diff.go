package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/thingsec/thingsec/internal/analyze/sets"
	"github.com/thingsec/thingsec/internal/diff"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report"
)

func newDiff(g *globals) *cobra.Command {
	var uf unpackFlags
	var vf vulnFlags
	var sf secretsFlags
	var failOn string
	var ff *outputsFlag
	cmd := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "What changed for security between two releases",
		Long: `diff compares two releases of a product. OLD and NEW are each a firmware
image, a directory or a saved JSON report (thingsec scan --format json),
told apart by content; images and directories are scanned first, with the
flags of thingsec scan.

It lists components added, removed, upgraded and downgraded; findings new,
fixed, changed and unchanged (matched by fingerprint, which does not move
with offsets, line numbers or the rest of a file's content); vulnerabilities
introduced and fixed; hardening regressions and improvements per binary;
files added, removed and changed (by layer and path, compared by SHA-256);
services and layers added, removed and changed.

--format json writes the diff document (kind "thingsec-diff", its own
schema_version); markdown fits a merge-request comment; sarif marks each
result new, updated, unchanged or absent (baselineState); junit fails a
test case per rule with new findings, per component with introduced
vulnerabilities and per binary with hardening regressions; html is one
self-contained page. Several at once: --format sarif=d.sarif,html=d.html.

Exit codes:
  0  success (and, with --fail-on-new, nothing new at or above the severity)
  1  --fail-on-new: a finding or vulnerability at or above the severity is new
  2  bad usage or unusable input
  3  internal error`,
		Example: `  thingsec diff fw-1.0.bin fw-1.1.bin
  thingsec diff --format markdown last-release.json fw-1.1.bin >> "$GITHUB_STEP_SUMMARY"
  thingsec diff --format json -o delta.json old.json new.json
  thingsec diff --format sarif=delta.sarif,junit=delta.xml,html=delta.html,markdown=- old.json new.json
  thingsec diff --fail-on-new high last-release.json build/fw.bin`,
		Args: exactArgs(2, "OLD and NEW (each an image, a directory or a saved JSON report)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			outs, err := ff.resolve(g)
			if err != nil {
				return err
			}
			min, err := parseFailOnNew(failOn)
			if err != nil {
				return err
			}
			var reps [2]*model.Report
			for i, arg := range args {
				rep, err := reportOrScan(cmd.Context(), g, arg, &uf, &vf, &sf)
				if err != nil {
					return err
				}
				reps[i] = rep
			}
			d := diff.Compare(reps[0], reps[1])
			d.Tool = model.Tool{Name: "thingsec", Version: Version()}
			if err := ff.emit(g, outs, &report.Doc{Kind: report.Diff, Delta: d, Report: reps[1], Baseline: reps[0]}); err != nil {
				return err
			}
			return failOnNew(min, d, "relative to "+args[0])
		},
	}
	ff = addOutputs(cmd, report.Diff, "table")
	uf.register(cmd.Flags(), false)
	vf.register(cmd.Flags())
	sf.registerRuleFlags(cmd.Flags())
	registerFailOnNew(cmd.Flags(), &failOn)
	cmd.Flags().StringVarP(&g.output, "output", "o", "", "write the diff to FILE instead of standard output")
	return cmd
}

// reportOrScan reads path when it is a saved report, and scans it (an
// image, a directory, any other file) otherwise.
func reportOrScan(ctx context.Context, g *globals, path string, uf *unpackFlags, vf *vulnFlags, sf *secretsFlags) (*model.Report, error) {
	rep, ok, err := loadReport(path)
	if err != nil {
		return nil, err
	}
	if ok {
		return rep, nil
	}
	set, err := buildSet(sets.Default, sf.options())
	if err != nil {
		return nil, err
	}
	cfg := scanConfig(g, path, set)
	cfg.Enrichers = vf.enrichers(g)
	return uf.scan(ctx, g, cfg)
}

// loadReport is the one place the command line reads a saved report; a
// report that cannot be used is a usage error naming the file.
func loadReport(path string) (*model.Report, bool, error) {
	rep, ok, err := diff.LoadReport(path)
	var re *diff.ReportError
	if errors.As(err, &re) {
		return nil, ok, usageError{err}
	}
	return rep, ok, err
}

func registerFailOnNew(fs *pflag.FlagSet, failOn *string) {
	fs.StringVar(failOn, "fail-on-new", "", "exit 1 when a finding or vulnerability at or above this severity (critical, high, medium, low, info) is new")
}

func parseFailOnNew(s string) (model.Severity, error) {
	if s == "" {
		return "", nil
	}
	sev, ok := model.ParseSeverity(s)
	if !ok {
		return "", usageError{fmt.Errorf("--fail-on-new %q: want critical, high, medium, low or info", s)}
	}
	return sev, nil
}

// failOnNew is the gate of --fail-on-new: exit 1, with the rules and
// counts on stderr, when something new reaches min.
func failOnNew(min model.Severity, d *diff.Diff, against string) error {
	if min == "" {
		return nil
	}
	gate := diff.NewAtOrAbove(d, min)
	if !gate.Failed() {
		return nil
	}
	return exitError{code: ExitGate, msg: fmt.Sprintf("new since the baseline (--fail-on-new %s, %s): %s", min, against, gate.Reason())}
}

// failOnNewGate is the outcome of --fail-on-new for the formats that show gates
// (the table's verdict, JUnit); nil when the flag is not given.
func failOnNewGate(min model.Severity, d *diff.Diff) *model.Gate {
	if min == "" || d == nil {
		return nil
	}
	gt := &model.Gate{Name: "fail-on-new " + string(min), Description: fmt.Sprintf("nothing new since the baseline at %s severity or above", min)}
	if g := diff.NewAtOrAbove(d, min); g.Failed() {
		gt.Failure = g.Reason()
	}
	return gt
}

// baselineFlags are scan's --baseline and --fail-on-new.
type baselineFlags struct {
	path   string
	failOn string
	min    model.Severity
	base   *model.Report
}

func (b *baselineFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&b.path, "baseline", "", "a saved JSON report of an earlier release; with --fail-on-new, only what is new relative to it fails the scan")
	registerFailOnNew(fs, &b.failOn)
}

// load checks the flags and reads the baseline before any scanning, so a
// wrong baseline fails at once.
func (b *baselineFlags) load() error {
	min, err := parseFailOnNew(b.failOn)
	if err != nil {
		return err
	}
	b.min = min
	if b.path == "" {
		if min != "" {
			return usageError{fmt.Errorf("--fail-on-new needs --baseline REPORT (a saved JSON report to compare with)")}
		}
		return nil
	}
	rep, ok, err := loadReport(b.path)
	if err != nil {
		return err
	}
	if !ok {
		return usageError{fmt.Errorf("--baseline %s: not a thingsec JSON report (make one with thingsec scan --format json -o FILE)", b.path)}
	}
	b.base = rep
	return nil
}

// compare is rep's diff against the baseline; nil without a baseline.
func (b *baselineFlags) compare(rep *model.Report) *diff.Diff {
	if b.base == nil {
		return nil
	}
	return diff.Compare(b.base, rep)
}

// newness is what the policy gate's f.new and v.new say: a finding whose
// fingerprint, or a vulnerability whose id on its component, the
// baseline did not have. Without a baseline nothing is new.
func newness(d *diff.Diff) (func(*model.Finding) bool, func(*model.Vulnerability) bool) {
	if d == nil {
		return nil, nil
	}
	fps := map[string]bool{}
	for _, f := range d.Findings.New {
		fps[f.Fingerprint] = true
	}
	vulns := map[string]bool{}
	for _, v := range d.Vulnerabilities.Introduced {
		vulns[v.ID+" "+v.ComponentName] = true
	}
	return func(f *model.Finding) bool { return fps[f.Fingerprint] },
		func(v *model.Vulnerability) bool { return vulns[v.ID+" "+v.ComponentName] }
}

// gate reports d, the scan's diff against the baseline: a note of the counts on stderr,
// and the --fail-on-new verdict.
func (b *baselineFlags) gate(g *globals, d *diff.Diff) error {
	if d == nil {
		return nil
	}
	if !g.quiet {
		s := d.Summary
		fmt.Fprintf(g.stderr, "thingsec: relative to the baseline %s: %d new findings, %d fixed; %d vulnerabilities introduced, %d fixed\n",
			b.path, s.FindingsNew, s.FindingsFixed, s.VulnerabilitiesIntroduced, s.VulnerabilitiesFixed)
	}
	return failOnNew(b.min, d, b.path)
}
