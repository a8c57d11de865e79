package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/thingsec/thingsec/internal/analyze/secrets"
	"github.com/thingsec/thingsec/internal/analyze/sets"
	"github.com/thingsec/thingsec/internal/engine"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report"
)

// secretsFlags are the settings of the secrets command.
type secretsFlags struct {
	rules    []string
	gitleaks []string
	show     bool
	unpack   string
	git      bool
	since    string
}

func newSecrets(g *globals) *cobra.Command {
	var incompleteGate bool
	var sf secretsFlags
	var uf unpackFlags
	var gf gateFlags
	var ff *formatFlag
	cmd := &cobra.Command{
		Use:   "secrets TARGET",
		Short: "Find hard-coded secrets, credentials and keys (pre-commit friendly)",
		Long: `secrets scans TARGET (a directory or a file) with only the secret analyzers:
token and password rules (rules/secrets plus --rules and --gitleaks-config
packs), account files (default and weak password hashes) and private keys and
certificates. Evidence is redacted (a short prefix is kept) unless
--show-secrets is given.

Directories are read as they are; a file is unpacked like thingsec scan does
(--unpack=false to read it as is).

Exit codes:
  0  no secret found
  1  at least one finding at --fail-on (default low: above info) or a
     policy rule's finding, not suppressed, or an expired suppression
     (for pre-commit hooks and CI; see thingsec help policy)
  2  bad usage or unusable input (a rule pack that does not load, a missing target)
  3  internal error`,
		Example: `  thingsec secrets .
  thingsec secrets --format json -o secrets.json rootfs/
  thingsec secrets --rules ./my-rules --gitleaks-config .gitleaks.toml src/
  thingsec secrets --show-secrets firmware.bin
  thingsec secrets --git --since v1.2.0 .`,
		Args: exactArgs(1, "exactly one TARGET (a file or a directory)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			enc, err := ff.encoder(g)
			if err != nil {
				return err
			}
			plan, err := gf.prepare(g)
			if err != nil {
				return err
			}
			var rep *model.Report
			if sf.git {
				rep, err = scanGitHistory(cmd, g, args[0], sf)
			} else {
				var cfg engine.Config
				cfg, err = secretsConfig(g, args[0], sf)
				if err != nil {
					return err
				}
				if err := uf.apply(&cfg); err != nil {
					return err
				}
				prog := newProgress(g)
				cfg.Progress = prog
				rep, err = engine.Scan(cmd.Context(), cfg)
				prog.done()
			}
			if err != nil {
				return err
			}
			plan.mark(g, rep)
			gates, err := plan.result(g, rep)
			if err != nil {
				return err
			}
			if err := g.emit(enc, &report.Doc{Kind: report.Secrets, Report: rep}); err != nil {
				return err
			}
			if err := failOnIncomplete(incompleteGate, rep); err != nil {
				return err
			}
			return fail(gates)
		},
	}
	ff = addFormat(cmd, report.Secrets, "table")
	f := cmd.Flags()
	sf.registerRuleFlags(f)
	f.BoolVar(&incompleteGate, "fail-on-incomplete", false, "exit 1 when a file could not be extracted whole or an analyzer skipped one (the report says which and why)")
	uf.register(f, false)
	gf.register(f, false, "low")
	f.StringVar(&sf.unpack, "unpack", "auto", "unpack embedded formats: auto (files yes, directories no), true or false")
	f.BoolVar(&sf.git, "git", false, "TARGET is a git repository: scan the lines its commits added (git log -p), secret rules only")
	f.StringVar(&sf.since, "since", "", "with --git: only commits after REV (REV..HEAD)")
	f.StringVarP(&g.output, "output", "o", "", "write the report to FILE instead of standard output")
	return cmd
}

// scanGitHistory is secrets --git: the token and password rules over
// every line the repository's history added.
func scanGitHistory(cmd *cobra.Command, g *globals, repo string, sf secretsFlags) (*model.Report, error) {
	st, err := os.Stat(repo)
	if err != nil || !st.IsDir() {
		return nil, usageError{fmt.Errorf("--git %s: not a directory", repo)}
	}
	set, err := buildSet(sets.Secrets, sf.options())
	if err != nil {
		return nil, err
	}
	var sa *secrets.Analyzer
	for _, a := range set.Files {
		if s, ok := a.(*secrets.Analyzer); ok {
			sa = s
		}
	}
	if sa == nil {
		return nil, fmt.Errorf("the %s analyzer set has no secrets analyzer", sets.Secrets)
	}
	fs, err := sa.ScanGitHistory(cmd.Context(), repo, sf.since)
	if err != nil {
		return nil, usageError{err}
	}
	rep := &model.Report{
		SchemaVersion: model.SchemaVersion,
		Tool:          model.Tool{Name: "thingsec", Version: Version()},
		StartedAt:     time.Now().UTC().Truncate(time.Second),
		Target:        model.Target{Name: filepath.Base(filepath.Clean(repo)), Kind: "directory"},
		Findings:      fs,
	}
	engine.Finish(rep)
	return rep, nil
}

// secretsConfig builds the engine configuration of the secrets command:
// the common scan settings with the secrets analyzer set.
func secretsConfig(g *globals, target string, sf secretsFlags) (engine.Config, error) {
	set, err := buildSet(sets.Secrets, sf.options())
	if err != nil {
		return engine.Config{}, err
	}
	cfg := scanConfig(g, target, set)
	switch sf.unpack {
	case "auto":
		st, err := os.Stat(target)
		cfg.Unpack = err == nil && !st.IsDir()
	case "true":
		cfg.Unpack = true
	case "false":
		cfg.Unpack = false
	default:
		return cfg, usageError{fmt.Errorf("--unpack %q: want auto, true or false", sf.unpack)}
	}
	return cfg, nil
}

// options are the analyzer options of the rule-pack flags.
func (sf *secretsFlags) options() sets.Options {
	return sets.Options{RuleDirs: sf.rules, GitleaksConfigs: sf.gitleaks, ShowSecrets: sf.show}
}

// registerRuleFlags adds the rule-pack flags shared by scan and secrets.
func (sf *secretsFlags) registerRuleFlags(f *pflag.FlagSet) {
	f.StringArrayVar(&sf.rules, "rules", nil, "load extra secret rules from the YAML files of DIR (repeatable)")
	f.StringArrayVar(&sf.gitleaks, "gitleaks-config", nil, "load a gitleaks TOML configuration as an extra rule pack (repeatable)")
	f.BoolVar(&sf.show, "show-secrets", false, "show secrets and cracked passwords in the evidence (default: redacted)")
}
