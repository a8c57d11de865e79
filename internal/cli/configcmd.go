package cli

import (
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"
	"github.com/thingsec/thingsec/internal/config"
)

// newConfig is "thingsec config": the effective settings of each command
// and where each came from.
func newConfig(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "config [COMMAND...]",
		Short: "Show the effective settings of each command and where each comes from",
		Long: `config shows, for every command (or the one named), the value of each flag and
where it came from. The same precedence holds for every flag:

  flag      on the command line
  env       THINGSEC_<FLAG>: upper case, dashes as underscores
            (--max-depth is THINGSEC_MAX_DEPTH; list flags take commas)
  file      --config FILE (or THINGSEC_CONFIG); else ./` + config.ProjectFile + `,
            then <user config dir>/thingsec/config.yaml (the first that sets a flag wins)
  default

A configuration file's keys are flag names, at the top level (for every
command that has the flag) or under a command, which wins:

  workers: 4
  max-depth: 8
  scan:
    fail-on-incomplete: true
  db:
    status:
      max-age: 72h

An unknown key is an error that names the file and line (exit 2). The
top-level key "policy" is reserved for gate policies.`,
		Example: `  thingsec config
  thingsec config scan
  THINGSEC_WORKERS=2 thingsec config --format json scan`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "json" {
				return usageError{fmt.Errorf("--format %q: this command writes [table json]", format)}
			}
			eff, err := g.effective(cmd, args)
			if err != nil {
				return err
			}
			if format == "json" {
				return eff.WriteJSON(g.stdout)
			}
			return eff.WriteTable(g.stdout)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, json")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"table", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// effective resolves the settings of the commands named by args (every
// command when none) on a fresh command tree, with the flags given to
// config itself (--workers, --config, ...) as their command-line flags.
func (g *globals) effective(cmd *cobra.Command, args []string) (*config.Effective, error) {
	fresh := newRoot(&globals{stdout: io.Discard, stderr: newErrLine(io.Discard)})
	var targets []*cobra.Command
	if len(args) > 0 {
		c, rest, err := fresh.Find(args)
		if err != nil || len(rest) > 0 || c == fresh || !takesSettings(c) {
			return nil, usageError{fmt.Errorf("config: no command %q (see thingsec --help)", args)}
		}
		targets = []*cobra.Command{c}
	} else {
		targets = runnable(fresh)
	}
	eff := &config.Effective{Precedence: config.Order}
	for _, p := range g.looked {
		read := slices.ContainsFunc(g.docs, func(d *config.Doc) bool { return d.Path == p })
		eff.Files = append(eff.Files, config.FileUse{Path: p, Read: read})
	}
	for _, t := range targets {
		if err := t.ParseFlags(nil); err != nil {
			return nil, err
		}
		for _, s := range g.settings {
			if s.Source != config.Flag || cmd.LocalFlags().Lookup(s.Flag) != nil || t.Flags().Lookup(s.Flag) == nil {
				continue
			}
			if err := t.Flags().Set(s.Flag, cmd.Flags().Lookup(s.Flag).Value.String()); err != nil {
				return nil, usageError{err}
			}
		}
		set, err := config.Apply(t, lookupEnv, g.docs)
		if err != nil {
			return nil, usageError{err}
		}
		eff.Commands = append(eff.Commands, config.CommandSetting{Command: t.CommandPath(), Settings: set})
	}
	return eff, nil
}

// runnable lists the commands under c that run something, in help order.
func runnable(c *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	for _, s := range c.Commands() {
		if !takesSettings(s) || s.Hidden {
			continue
		}
		if s.Runnable() {
			out = append(out, s)
		}
		out = append(out, runnable(s)...)
	}
	return out
}
