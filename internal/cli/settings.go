package cli

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/thingsec/thingsec/internal/config"
)

// applySettings gives every flag of cmd that the command line did not set
// its value from THINGSEC_<FLAG> or from the configuration files
// (internal/config: flag > env > file > default).
func (g *globals) applySettings(cmd *cobra.Command) error {
	if !takesSettings(cmd) {
		return nil
	}
	explicit := g.configPath
	if !cmd.Flags().Changed("config") {
		if v, ok := lookupEnv(config.EnvName("config")); ok {
			explicit = v
		}
	}
	docs, looked, err := config.Discover(explicit)
	if err != nil {
		return usageError{err}
	}
	for _, d := range docs {
		if err := d.Validate(cmd.Root()); err != nil {
			return usageError{err}
		}
	}
	g.docs, g.looked = docs, looked
	g.settings, err = config.Apply(cmd, lookupEnv, docs)
	if err != nil {
		return usageError{err}
	}
	return nil
}

// takesSettings is false for help and shell completion, which must work
// even with a broken configuration file.
func takesSettings(cmd *cobra.Command) bool {
	for c := cmd; c != nil; c = c.Parent() {
		switch c.Name() {
		case "help", "completion", cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd:
			return false
		}
	}
	return true
}

// lookupEnv is os.LookupEnv where an empty variable counts as unset (so
// that THINGSEC_FORMAT= cmd runs with the default).
func lookupEnv(k string) (string, bool) {
	v, ok := os.LookupEnv(k)
	return v, ok && v != ""
}

// setLogger makes the log of --log-level (or --debug) on stderr.
func (g *globals) setLogger() error {
	lvl := slog.LevelWarn
	if err := lvl.UnmarshalText([]byte(g.logLevel)); err != nil {
		return usageError{fmt.Errorf("--log-level %q: want debug, info, warn or error", g.logLevel)}
	}
	// -v also tells more on the log: -v info, -vv (or --debug) debug
	switch {
	case g.debug || g.term.verbose >= 2:
		lvl = min(lvl, slog.LevelDebug)
	case g.term.verbose == 1:
		lvl = min(lvl, slog.LevelInfo)
	}
	g.log = slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: lvl}))
	return nil
}

// logSettings logs, at debug level, the files read and every setting
// that did not come from its default.
func (g *globals) logSettings(cmd *cobra.Command) {
	g.log.Debug("command", "path", cmd.CommandPath(), "config_files", strings.Join(docPaths(g.docs), ","))
	flags := map[string]bool{}
	for _, s := range g.settings {
		flags[config.EnvName(s.Flag)] = true
		if s.Source != config.Default {
			g.log.Debug("setting", "flag", s.Flag, "value", s.Value, "source", s.Source, "where", s.Where)
		}
	}
	// a misspelt variable does nothing: say so where someone looks
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, config.EnvPrefix) && !flags[k] {
			g.log.Debug("environment variable names no flag of this command", "name", k)
		}
	}
}

func docPaths(docs []*config.Doc) []string {
	var p []string
	for _, d := range docs {
		p = append(p, d.Path)
	}
	return p
}
