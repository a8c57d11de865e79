package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/thingsec/thingsec/internal/config"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/policy"
	"github.com/thingsec/thingsec/internal/report"
	"github.com/thingsec/thingsec/internal/suppress"
	"github.com/thingsec/thingsec/internal/termsafe"
	"github.com/thingsec/thingsec/internal/vex"
)

// gateFlags are the gate settings of scan, secrets and gate: severity
// floors, accepted risks and VEX documents. The policy's rules come from
// the configuration file's policy: section.
type gateFlags struct {
	failOn     string
	failOnKEV  bool
	ignoreFile string
	vex        []string
}

// register adds the flags; vulns is false for commands whose reports
// have no vulnerabilities (secrets), failOn the default floor.
func (gf *gateFlags) register(fs *pflag.FlagSet, vulns bool, failOn string) {
	fs.StringVar(&gf.failOn, "fail-on", failOn, "exit 1 when a finding or vulnerability at this severity or above counts: critical, high, medium, low, unknown, info, or none")
	fs.StringVar(&gf.ignoreFile, "ignore-file", "", "accepted risks (default ./"+suppress.DefaultFile+" when present): matched items are marked suppressed and do not count; see thingsec help policy")
	if vulns {
		fs.BoolVar(&gf.failOnKEV, "fail-on-kev", false, "exit 1 when a counted vulnerability is in CISA's Known Exploited Vulnerabilities catalog")
		fs.StringArrayVar(&gf.vex, "vex", nil, "an OpenVEX 0.2.0 or CycloneDX VEX (JSON) document whose statements are recorded on the vulnerabilities; not_affected and fixed do not count (repeatable)")
	}
}

// gatePlan is everything the gate of a run needs, loaded before the scan
// so that a bad policy, suppression file or VEX document fails at once.
type gatePlan struct {
	opt      policy.Options
	policy   *policy.Policy
	ignore   *suppress.File // nil when there is no suppression file
	vex      []*vex.Doc
	now      time.Time
	explicit bool // a gate was asked for (a floor, a rule)
}

// prepare loads the policy, the suppressions and the VEX documents.
func (gf *gateFlags) prepare(g *globals) (*gatePlan, error) {
	p := &gatePlan{now: time.Now()}
	switch s := strings.ToLower(strings.TrimSpace(gf.failOn)); s {
	case "", "none":
	default:
		sev, ok := model.ParseSeverity(s)
		if !ok {
			return nil, usageError{fmt.Errorf("--fail-on %q: want critical, high, medium, low, unknown, info or none", gf.failOn)}
		}
		p.opt.FailOn = sev
	}
	p.opt.FailOnKEV = gf.failOnKEV
	node, path := config.Section(g.docs, "policy")
	pol, err := policy.Parse(node, path)
	if err != nil {
		return nil, usageError{err}
	}
	p.policy = pol
	p.explicit = p.opt.FailOn != "" || p.opt.FailOnKEV || len(pol.Rules) > 0
	name, optional := gf.ignoreFile, false
	if name == "" {
		name, optional = suppress.DefaultFile, true
	}
	ign, err := suppress.Load(name, optional)
	if err != nil {
		return nil, usageError{err}
	}
	if len(ign.Entries) > 0 || !optional {
		p.ignore = ign
	}
	for _, path := range gf.vex {
		d, err := vex.Load(path)
		if err != nil {
			return nil, usageError{err}
		}
		p.vex = append(p.vex, d)
	}
	return p, nil
}

// mark records the suppressions and VEX statements on rep, with a note
// of each in the report, and says on stderr which suppressions match
// nothing (a fixed finding, a typo).
func (p *gatePlan) mark(g *globals, rep *model.Report) {
	if p.ignore != nil {
		for i := range rep.Findings {
			rep.Findings[i].Suppressed = nil
		}
		for i := range rep.Vulnerabilities {
			rep.Vulnerabilities[i].Suppressed = nil
		}
		var unused []string
		p.opt.Expired, unused = p.ignore.Apply(rep, p.now)
		if len(unused) > 0 && !g.quiet {
			fmt.Fprintf(g.stderr, "thingsec: note: suppressions that match nothing: %s\n", strings.Join(unused, ", "))
		}
		n := 0
		for _, f := range rep.Findings {
			if f.Suppressed != nil {
				n++
			}
		}
		for _, v := range rep.Vulnerabilities {
			if v.Suppressed != nil {
				n++
			}
		}
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d findings and vulnerabilities suppressed by %s", n, p.ignore.Path))
	}
	if len(p.vex) > 0 {
		n := vex.Apply(rep, p.vex)
		var paths []string
		for _, d := range p.vex {
			paths = append(paths, d.Path)
		}
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d vulnerabilities have a VEX statement from %s", n, strings.Join(paths, ", ")))
	}
}

// evaluate runs every gate over rep.
func (p *gatePlan) evaluate(rep *model.Report) (*policy.Result, error) {
	return policy.Evaluate(rep, p.policy, p.opt)
}

// result runs the gates of scan and secrets over rep, before the report
// is written so that its encoders can show each gate's outcome; nil when
// no gate was asked for (an expired suppression is then only a note).
func (p *gatePlan) result(g *globals, rep *model.Report) (*policy.Result, error) {
	if !p.explicit {
		if len(p.opt.Expired) > 0 && !g.quiet {
			fmt.Fprintf(g.stderr, "thingsec: note: expired suppression: %s\n", strings.Join(p.opt.Expired, ", "))
		}
		return nil, nil
	}
	res, err := p.evaluate(rep)
	if err != nil {
		return nil, usageError{err}
	}
	return res, nil
}

// fail is ExitGate with the reason when res failed.
func fail(res *policy.Result) error {
	if res != nil && res.Failed() {
		return exitError{code: ExitGate, msg: res.Reason()}
	}
	return nil
}

func newGate(g *globals) *cobra.Command {
	var gf gateFlags
	var format string
	cmd := &cobra.Command{
		Use:   "gate REPORT.json",
		Short: "Apply the policy gate to a saved report",
		Long: `gate reads a JSON report saved by thingsec scan (or secrets) and applies the
same gate a scan would: --fail-on, --fail-on-kev, the rules of the
configuration file's policy: section, the accepted risks of the
suppression file and the statements of --vex documents. It writes the
outcome of each gate (--format table or json) and exits 1, with the reason
on stderr, when one fails. See thingsec help policy.

Exit codes:
  0  every gate passed
  1  a gate failed
  2  bad usage or unusable input (a report, a policy, a suppression file or
     a VEX document that cannot be read; no gate asked for)
  3  internal error`,
		Example: `  thingsec scan --format json -o report.json firmware.bin
  thingsec gate --fail-on high --fail-on-kev report.json
  thingsec gate --vex vendor.openvex.json --format json report.json`,
		Args: exactArgs(1, "exactly one REPORT.json"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "json" {
				return usageError{fmt.Errorf("--format %q: want table or json", format)}
			}
			plan, err := gf.prepare(g)
			if err != nil {
				return err
			}
			if !plan.explicit {
				return usageError{errors.New("nothing to gate on: give --fail-on, --fail-on-kev or rules in the configuration file's policy: section")}
			}
			rep, err := readReport(args[0])
			if err != nil {
				return err
			}
			plan.mark(g, rep)
			res, err := plan.evaluate(rep)
			if err != nil {
				return usageError{err}
			}
			write := func(w io.Writer) error { return writeGates(w, format, res) }
			if g.output == "" || g.output == "-" {
				err = write(g.stdout)
			} else {
				err = asUsage(report.WriteFile(g.output, write))
			}
			if err != nil {
				return err
			}
			if res.Failed() {
				return exitError{code: ExitGate, msg: res.Reason()}
			}
			return nil
		},
	}
	gf.register(cmd.Flags(), true, "")
	cmd.Flags().StringVar(&format, "format", "table", "output format of the gates' outcome: table, json")
	cmd.Flags().StringVarP(&g.output, "output", "o", "", "write the outcome to FILE instead of standard output")
	return cmd
}

func readReport(path string) (*model.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageError{err}
	}
	defer f.Close()
	rep, err := model.ReadReport(f)
	if err != nil {
		return nil, usageError{fmt.Errorf("%s: %w", path, err)}
	}
	return rep, nil
}

// writeGates writes the outcome of each gate.
func writeGates(w io.Writer, format string, res *policy.Result) error {
	if format == "json" {
		out := struct {
			Passed bool         `json:"passed"`
			Reason string       `json:"reason,omitempty"`
			Gates  []model.Gate `json:"gates"`
		}{!res.Failed(), res.Reason(), res.Gates}
		e := json.NewEncoder(w)
		e.SetIndent("", "  ")
		return e.Encode(out)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GATE\tRESULT\tDETAIL")
	for _, gt := range res.Gates {
		result, detail := "pass", gt.Description
		if gt.Failure != "" {
			result, detail = "FAIL", gt.Failure
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", termsafe.String(gt.Name), result, termsafe.String(detail))
	}
	return tw.Flush()
}

// newPolicyHelp is the help topic of the policy gate.
func newPolicyHelp() *cobra.Command {
	return &cobra.Command{
		Use:   "policy",
		Short: "The policy gate: --fail-on, policy rules, suppressions and VEX",
		Long: `The gate of scan, secrets and gate decides the exit code: 1 when it fails,
with the rules and counts on stderr, e.g.
  gate failed: 3 findings ≥ high (TS-CRED-001 ×2, TS-KEY-003), 1 KEV vulnerability (CVE-2023-0386)

--fail-on SEVERITY  fails on any finding or vulnerability at SEVERITY or above
--fail-on-kev       fails on any vulnerability CISA lists as exploited

Policy rules live in the configuration file (.thingsec.yaml, --config):

  policy:
    rules:
      - name: no-credentials
        description: no hard-coded credentials in a release image
        when: 'f.category == "credential"'
      - name: exploited
        when: 'v.kev && v.epss > 0.1'
      - name: no-critical
        severity: critical

` + policy.Variables + `

A condition that does not compile (a syntax error, an unknown field, a
wrong type) is exit 2 with the file, line and column.

Accepted risks (` + suppress.DefaultFile + ` in the working directory, or
--ignore-file) keep an item in the report, marked suppressed with its
reason, and out of the gate. Every entry needs a reason and an author;
an entry past its expiry suppresses nothing and fails the gate:

` + indent(suppress.Format) + `

--vex FILE (repeatable) reads OpenVEX 0.2.0 or CycloneDX VEX (JSON)
documents. A statement applies to a vulnerability with its id (or an
alias) and a product or subcomponent whose package URL matches the
component's (with or without version and qualifiers); the latest
statement wins. Its state, justification and impact statement go into the
report (vulnerabilities[].analysis); not_affected and fixed do not count.`,
	}
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}
