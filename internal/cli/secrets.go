package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/thingsec/thingsec/internal/analyze/accounts"
	"github.com/thingsec/thingsec/internal/analyze/crypto"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/analyze/secrets"
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
	var sf secretsFlags
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
  1  at least one finding above info severity (for pre-commit hooks and CI)
  2  bad usage or unusable input (a rule pack that does not load, a missing target)
  3  internal error`,
		Example: `  thingsec secrets .
  thingsec secrets --format json -o secrets.json rootfs/
  thingsec secrets --rules ./my-rules --gitleaks-config .gitleaks.toml src/
  thingsec secrets --show-secrets firmware.bin
  thingsec secrets --git --since v1.2.0 .`,
		Args: exactArgs(1, "exactly one TARGET (a file or a directory)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := g.resolveFormat("table", "json")
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
				prog := newProgress(g)
				cfg.Progress = prog
				rep, err = engine.Scan(cmd.Context(), cfg)
				prog.done()
			}
			if err != nil {
				return err
			}
			if err := g.write(format, func(w io.Writer) error {
				if format == "json" {
					return report.JSON(w, rep)
				}
				return report.Table(w, rep)
			}); err != nil {
				return err
			}
			n := 0
			for _, f := range rep.Findings {
				if f.Severity.Rank() > model.Info.Rank() {
					n++
				}
			}
			if n > 0 {
				return exitError{code: ExitGate, msg: fmt.Sprintf("%d secret findings", n)}
			}
			return nil
		},
	}
	f := cmd.Flags()
	sf.registerRuleFlags(f)
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
	cfg, err := secretsConfig(g, repo, secretsFlags{rules: sf.rules, gitleaks: sf.gitleaks, show: sf.show, unpack: "false"})
	if err != nil {
		return nil, err
	}
	sa := cfg.Files[0].(*secrets.Analyzer)
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
// the common scan settings with only the secret analyzers.
func secretsConfig(g *globals, target string, sf secretsFlags) (engine.Config, error) {
	cfg := scanConfig(g, target)
	files, trees, err := secretAnalyzers(sf)
	if err != nil {
		return cfg, err
	}
	cfg.Files, cfg.Trees = files, trees
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

// secretAnalyzers builds the secret, account and key analyzers with the
// user's extra rule packs (--rules, --gitleaks-config) and --show-secrets.
func secretAnalyzers(sf secretsFlags) ([]plugin.FileAnalyzer, []plugin.TreeAnalyzer, error) {
	var extra []*secrets.Rule
	for _, dir := range sf.rules {
		rs, err := secrets.LoadDir(os.DirFS(dir), ".")
		if err != nil {
			return nil, nil, usageError{fmt.Errorf("--rules %s: %v", dir, err)}
		}
		extra = append(extra, rs...)
	}
	for _, file := range sf.gitleaks {
		rs, err := secrets.LoadGitleaks(file)
		if err != nil {
			return nil, nil, usageError{fmt.Errorf("--gitleaks-config %s: %v", file, err)}
		}
		extra = append(extra, rs...)
	}
	sa, err := secrets.New(secrets.Options{ShowSecrets: sf.show, Extra: extra})
	if err != nil {
		return nil, nil, usageError{err}
	}
	aa, err := accounts.New(accounts.Options{ShowSecrets: sf.show})
	if err != nil {
		return nil, nil, err
	}
	ca := crypto.New(crypto.Options{})
	return []plugin.FileAnalyzer{sa, aa, ca}, []plugin.TreeAnalyzer{ca}, nil
}

// registerRuleFlags adds the rule-pack flags shared by scan and secrets.
func (sf *secretsFlags) registerRuleFlags(f *pflag.FlagSet) {
	f.StringArrayVar(&sf.rules, "rules", nil, "load extra secret rules from the YAML files of DIR (repeatable)")
	f.StringArrayVar(&sf.gitleaks, "gitleaks-config", nil, "load a gitleaks TOML configuration as an extra rule pack (repeatable)")
	f.BoolVar(&sf.show, "show-secrets", false, "show secrets and cracked passwords in the evidence (default: redacted)")
}
