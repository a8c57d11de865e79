// Package cli is thingsec's command line: flags become an engine.Config
// with a named analyzer set (internal/analyze/sets), and the engine's
// report goes to the encoder --format names in the encoder table
// (internal/report). No analysis and no rendering happen here.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"

	"github.com/spf13/cobra"
	"github.com/thingsec/thingsec/internal/analyze/sets"
	"github.com/thingsec/thingsec/internal/buildinfo"
	"github.com/thingsec/thingsec/internal/config"
	"github.com/thingsec/thingsec/internal/engine"
	"github.com/thingsec/thingsec/internal/report"
)

// Exit codes.
const (
	ExitOK       = 0
	ExitGate     = 1 // a policy gate failed
	ExitUsage    = 2 // bad usage or unusable input
	ExitInternal = 3 // a bug or an environment failure
)

const exitHelp = `Exit codes:
  0         success
  1         the gate failed (--fail-on, --fail-on-kev, a policy rule, an expired
            suppression, secrets found, --fail-on-incomplete, --fail-on-new)
  2         bad usage or unusable input (missing, unreadable, empty, not a file)
  3         internal error, a crash included
  130, 143  stopped by SIGINT or SIGTERM (nothing written, work directory removed)`

// Version returns the tool version (see internal/buildinfo: the -ldflags
// override of a release, else what the Go toolchain stamped).
func Version() string { return buildinfo.Version() }

// usageError marks errors that exit with ExitUsage.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// exitError carries an explicit exit code (a failed gate).
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

// globals are the flags every command shares.
type globals struct {
	output     string
	quiet      bool
	noProgress bool
	logLevel   string
	debug      bool
	workers    int
	configPath string
	stdout     io.Writer
	// stderr is the terminal's standard error shared by the progress
	// line, the log and every note (see errLine)
	stderr *errLine
	log    *slog.Logger
	// the configuration files read and where each flag's value came from
	docs     []*config.Doc
	looked   []string
	settings []config.Setting
	term     termFlags
}

// Main runs the command line and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	g := &globals{stdout: stdout, stderr: newErrLine(stderr)}
	g.log = slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	root := newRoot(g)
	root.SetArgs(args[1:])
	root.SetOut(stdout)
	root.SetErr(g.stderr)
	err := root.ExecuteContext(ctx)
	g.stderr.clear()
	if err == nil {
		return ExitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(stderr, "thingsec: %s\n", ee.msg)
		}
		return ee.code
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		// interrupted: the work directory is removed on the way out;
		// cmd/thingsec turns the code into 130 or 143
		fmt.Fprintln(stderr, "thingsec: interrupted; nothing was written")
		return ExitInternal
	}
	msg := oneLine(err.Error())
	if strings.HasPrefix(err.Error(), "unknown command") {
		// keep cobra's "Did you mean this?" suggestions
		msg = strings.TrimRight(err.Error(), "\n")
	}
	fmt.Fprintf(stderr, "thingsec: %s\n", msg)
	var ie *engine.InputError
	var ue usageError
	switch {
	case errors.As(err, &ie), errors.As(err, &ue):
		return ExitUsage
	case errors.Is(err, context.Canceled):
		return ExitInternal
	case strings.HasPrefix(err.Error(), "unknown command"), strings.HasPrefix(err.Error(), "unknown flag"):
		return ExitUsage
	}
	return ExitInternal
}

// asUsage marks the errors of other packages that are the user's to fix
// (a format the command does not write, an output that cannot be written,
// a rule pack that does not load) as usage errors.
func asUsage(err error) error {
	var fe *report.FormatError
	var oe *report.OutputError
	var se *sets.OptionError
	if errors.As(err, &fe) || errors.As(err, &oe) || errors.As(err, &se) {
		return usageError{err}
	}
	return err
}

// buildSet makes the analyzer set called name.
func buildSet(name string, opt sets.Options) (sets.Set, error) {
	s, err := sets.Build(name, opt)
	return s, asUsage(err)
}

func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "thingsec",
		Short: "Security checks for connected-device firmware",
		Long: `thingsec unpacks a firmware image (or reads a directory tree), inventories
every file, and reports what it finds, with evidence, in one pass.

` + exitHelp,
		Example: `  thingsec scan firmware.bin
  thingsec scan --format json -o report.json rootfs/
  thingsec ls firmware.bin
  thingsec unpack firmware.bin --dir extracted/
  thingsec config`,
		Version:       Version(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if err := g.applySettings(cmd); err != nil {
				return err
			}
			if err := g.setLogger(); err != nil {
				return err
			}
			g.logSettings(cmd)
			if err := g.term.check(); err != nil {
				return err
			}
			if g.workers < 1 {
				return usageError{fmt.Errorf("--workers must be at least 1, got %d", g.workers)}
			}
			if g.output != "" {
				// a wrong -o fails now, not after a long scan
				if err := report.CheckOutput(g.output); err != nil {
					return usageError{err}
				}
			}
			return nil
		},
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.BoolVarP(&g.quiet, "quiet", "q", false, "no progress line and no notes on stderr")
	pf.BoolVar(&g.noProgress, "no-progress", false, "no progress line (also off when stderr is not a terminal, TERM=dumb or CI is set)")
	pf.StringVar(&g.logLevel, "log-level", "warn", "log level on stderr: debug, info, warn, error")
	pf.BoolVar(&g.debug, "debug", false, "log everything on stderr (--log-level debug): layers, analyzer timings, limits hit")
	pf.IntVar(&g.workers, "workers", runtime.NumCPU(), "parallel workers")
	pf.StringVar(&g.configPath, "config", "", "configuration file (default ./"+config.ProjectFile+", then <user config dir>/thingsec/config.yaml)")
	root.SetVersionTemplate(versionLine())
	g.term.register(root)
	// --version without cobra's -v shorthand: -v is left to --verbose
	root.Flags().Bool("version", false, "print the version and exit (thingsec version --format json says more)")
	root.AddCommand(newScan(g), newUnpack(g), newLs(g), newSbom(g), newSecrets(g), newDB(g), newVersion(g))
	root.AddCommand(newRules(g), newConfig(g))
	root.AddCommand(newDiff(g))
	root.AddCommand(newGate(g), newPolicyHelp())
	return root
}

// exactArgs is cobra.ExactArgs with a usage exit code and a clearer text.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("%s needs %s (see %s --help)", cmd.CommandPath(), what, cmd.CommandPath())}
		}
		return nil
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
