package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/thingsec/thingsec/internal/ahead"
	"github.com/thingsec/thingsec/internal/analyze/accounts"
	"github.com/thingsec/thingsec/internal/analyze/sets"
	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/engine"
	"github.com/thingsec/thingsec/internal/gitsrc"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report"
	"github.com/thingsec/thingsec/internal/report/table"
	"github.com/thingsec/thingsec/internal/unpack/dirlist"
)

// secretsFlags are the settings of the secrets command.
type secretsFlags struct {
	rules    []string
	gitleaks []string
	show     bool
	verify   bool
	unpack   string
	git      bool
	staged   bool
	branches []string
	since    string
	// crackBudget bounds default-password cracking per hash.
	crackBudget time.Duration
}

func newSecrets(g *globals) *cobra.Command {
	var incompleteGate bool
	var sf secretsFlags
	var uf unpackFlags
	var ff *outputsFlag
	var gf gateFlags
	cmd := &cobra.Command{
		Use:   "secrets TARGET | --git [REPO] | --staged [REPO]",
		Short: "Find hard-coded secrets, credentials and keys (pre-commit friendly)",
		Long: `secrets scans TARGET (a directory or a file) with only the secret analyzers:
token and password rules (rules/secrets plus --rules and --gitleaks-config
packs), account files (default and weak password hashes) and private keys and
certificates. Evidence is redacted (a short prefix is kept) unless
--show-secrets is given.

Directories are read as they are, without their .git directories; a file is
unpacked like thingsec scan does (--unpack=false to read it as is). Findings
of a file say "shipped in the image", those of a directory "in the
repository" (a git work tree) or "in the source tree".

--git reads the history of REPO (default: the current directory) with the
git command instead: every line each commit of every ref added (--branch REF
to read only REF's history, --since REV to leave out REV and what came
before it; a merge's own conflict resolutions are not read). Each secret is reported once, at the commit that introduced it
(commit, author, date, file and line); one that no branch holds any more is
marked "only in the history": every clone still has it.

--staged reads only the lines staged for the next commit (git diff
--cached), at their lines in the staged files: the pre-commit hook
(.pre-commit-hooks.yaml, id thingsec-secrets).

Exit codes:
  0  no secret found
  1  at least one finding at --fail-on (default low: above info) or a
     policy rule's finding, not suppressed, or an expired suppression
     (for pre-commit hooks and CI; see thingsec help policy)
  2  bad usage or unusable input (a rule pack that does not load, a missing
     target, --git or --staged outside a repository or without git)
  3  internal error`,
		Example: `  thingsec secrets .
  thingsec secrets --format json -o secrets.json rootfs/
  thingsec secrets --rules ./my-rules --gitleaks-config .gitleaks.toml src/
  thingsec secrets --show-secrets firmware.bin
  thingsec secrets --git
  thingsec secrets --git --branch main --since v1.2.0 src/
  thingsec secrets --staged
  thingsec secrets --format sarif=secrets.sarif,gitlab-secret-detection=gl-secret-detection-report.json .`,
		Args: func(cmd *cobra.Command, args []string) error {
			if sf.git || sf.staged {
				if len(args) > 1 {
					return usageError{fmt.Errorf("%s --git and --staged take at most one REPO (default: the current directory)", cmd.CommandPath())}
				}
				return nil
			}
			return exactArgs(1, "exactly one TARGET (a file or a directory), or --git or --staged")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var listing *dirlist.Listing
			if !sf.git && !sf.staged {
				listing = startListing(cmd.Context(), args[0])
			}
			outs, err := ff.resolve(g)
			if err != nil {
				return err
			}
			plan, err := gf.prepare(g)
			if err != nil {
				return err
			}
			var rep *model.Report
			if sf.git || sf.staged {
				repo := "."
				if len(args) == 1 {
					repo = args[0]
				}
				rep, err = scanGit(cmd, repo, sf)
			} else {
				var cfg engine.Config
				cfg, err = secretsConfig(g, args[0], sf)
				if err != nil {
					return err
				}
				if err := uf.apply(&cfg); err != nil {
					return err
				}
				cfg.Listing = listing
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
			ran := sets.Families(sets.Secrets)
			if sf.git {
				ran = []string{"secrets"} // --git runs the token and password rules only
			}
			d := &report.Doc{Kind: report.Secrets, Report: rep, Rules: ranRules(ran), Table: table.Options{ShowSecrets: sf.show}}
			if incompleteGate {
				d.Gates = append(d.Gates, incompleteGateOf(rep))
			}
			if gates != nil {
				d.Gates = append(d.Gates, gates.Gates...)
			}
			if err := ff.emit(g, outs, d); err != nil {
				return err
			}
			if err := failOnIncomplete(incompleteGate, rep); err != nil {
				return err
			}
			return fail(gates)
		},
	}
	ff = addOutputs(cmd, report.Secrets, "table")
	f := cmd.Flags()
	sf.registerRuleFlags(f)
	f.BoolVar(&incompleteGate, "fail-on-incomplete", false, "exit 1 when a file could not be extracted whole or an analyzer skipped one (the report says which and why)")
	uf.register(f, false)
	gf.register(f, false, "low")
	f.StringVar(&sf.unpack, "unpack", "auto", "unpack embedded formats: auto (files yes, directories no), true or false")
	f.BoolVar(&sf.git, "git", false, "scan the history of the git repository REPO: the lines every commit added (git log -p --all)")
	f.StringArrayVar(&sf.branches, "branch", nil, "with --git: only the history of REF (repeatable; default: every ref)")
	f.StringVar(&sf.since, "since", "", "with --git: only the commits after REV (REV itself and its ancestors are left out)")
	f.BoolVar(&sf.staged, "staged", false, "scan only the changes staged for the next commit in REPO (git diff --cached): the pre-commit hook")
	f.StringVarP(&g.output, "output", "o", "", "write the report to FILE instead of standard output")
	addProfile(cmd)
	return cmd
}

// scanGit is secrets --git and --staged: the secret analyzers over the
// lines the repository's history, or its index, adds.
func scanGit(cmd *cobra.Command, repo string, sf secretsFlags) (*model.Report, error) {
	switch {
	case sf.git && sf.staged:
		return nil, usageError{fmt.Errorf("--git and --staged: choose one (the history, or the staged changes)")}
	case sf.staged && (len(sf.branches) > 0 || sf.since != ""):
		return nil, usageError{fmt.Errorf("--branch and --since select history: they go with --git, not --staged")}
	}
	what := "--git"
	if sf.staged {
		what = "--staged"
	}
	st, err := os.Stat(repo)
	if err != nil || !st.IsDir() {
		return nil, usageError{fmt.Errorf("%s %s: not a directory", what, repo)}
	}
	set, err := buildSet(sets.Secrets, sf.options())
	if err != nil {
		return nil, err
	}
	res, err := gitsrc.Scan(cmd.Context(), gitsrc.GitScan{Repo: repo, Refs: sf.branches, Since: sf.since, Staged: sf.staged}, set.Files)
	if err != nil {
		return nil, usageError{fmt.Errorf("%s %s: %w", what, repo, err)}
	}
	abs, _ := filepath.Abs(repo)
	rep := &model.Report{
		SchemaVersion: model.SchemaVersion,
		Tool:          model.Tool{Name: "thingsec", Version: Version()},
		StartedAt:     time.Now().UTC().Truncate(time.Second),
		Target:        model.Target{Name: filepath.Base(abs), Kind: "git"},
		Findings:      res.Findings,
		Skipped:       res.Skipped,
		Problems:      res.Problems,
	}
	engine.Reword(rep, catalog.Repository)
	engine.Finish(rep)
	return rep, nil
}

// startListing starts reading a directory target (nil for any other
// target) while the command builds its analyzers, with the names scan
// and secrets leave out (dirlist.SourceSkips), unless package ahead
// started it already.
func startListing(ctx context.Context, target string) *dirlist.Listing {
	if ls := ahead.Take(target, dirlist.SourceSkips); ls != nil {
		return ls
	}
	if st, err := os.Stat(target); err != nil || !st.IsDir() {
		return nil
	}
	return dirlist.Start(ctx, target, dirlist.SourceSkips)
}

// secretsConfig builds the engine configuration of the secrets command:
// the common scan settings with the secrets analyzer set.
func secretsConfig(g *globals, target string, sf secretsFlags) (engine.Config, error) {
	opt := sf.options()
	opt.GitleaksIgnore = gitleaksIgnores(target, sf.gitleaks)
	set, err := buildSet(sets.Secrets, opt)
	if err != nil {
		return engine.Config{}, err
	}
	cfg := scanConfig(g, target, set)
	cfg.SkipDirs = dirlist.SourceSkips
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

// gitleaksIgnores are the .gitleaksignore files gitleaks reads when it
// scans the directory target with a configuration: the current
// directory's and the target's.
func gitleaksIgnores(target string, configs []string) []string {
	if len(configs) == 0 {
		return nil
	}
	var out []string
	for _, p := range []string{".gitleaksignore", filepath.Join(target, ".gitleaksignore")} {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			if len(out) == 1 && sameFile(out[0], p) {
				continue
			}
			out = append(out, p)
		}
	}
	return out
}

func sameFile(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// options are the analyzer options of the rule-pack flags.
func (sf *secretsFlags) options() sets.Options {
	return sets.Options{RuleDirs: sf.rules, GitleaksConfigs: sf.gitleaks, ShowSecrets: sf.show, CrackBudget: sf.crackBudget, Verify: sf.verify}
}

// registerRuleFlags adds the rule-pack flags shared by scan and secrets.
func (sf *secretsFlags) registerRuleFlags(f *pflag.FlagSet) {
	f.StringArrayVar(&sf.rules, "rules", nil, "load extra secret rules from the YAML files of DIR (repeatable)")
	f.StringArrayVar(&sf.gitleaks, "gitleaks-config", nil, "load a gitleaks TOML configuration as an extra rule pack (repeatable)")
	f.BoolVar(&sf.show, "show-secrets", false, "show secrets and cracked passwords in the evidence (default: redacted)")
	f.DurationVar(&sf.crackBudget, "crack-budget", accounts.DefaultCrackBudget, "work spent trying default passwords on each password hash, counted at a fixed reference speed so reports do not depend on the machine's load (one SHA-512-crypt guess is 1.5ms); a hash not cracked within it is listed as skipped")
	f.BoolVar(&sf.verify, "verify", false, "ask GitHub, GitLab, Slack, Stripe, SendGrid and AWS STS whether found tokens are live (sends them there; marks findings verified: true|false)")
}
