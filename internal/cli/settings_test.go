package cli

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/thingsec/thingsec/internal/config"
)

// sample is a valid value, unlike any default, for a flag of type typ.
func sample(typ string) (set, shown string) {
	switch typ {
	case "bool":
		return "true", "true"
	case "int", "int64", "count":
		return "7", "7"
	case "float64":
		return "3.5", "3.5"
	case "duration":
		return "7s", "7s"
	case "stringArray", "stringSlice":
		return "a", "[a]"
	}
	return "x7", "x7"
}

// TestEveryFlagFromEnvAndFile walks every flag of every command of the
// real command tree: each one takes its value from THINGSEC_<FLAG> and
// from a file section of its command, and says so. A new flag is covered
// without being listed.
func TestEveryFlagFromEnvAndFile(t *testing.T) {
	for _, path := range commandPaths() {
		t.Run(strings.Join(path, " "), func(t *testing.T) {
			for _, source := range []config.Source{config.Env, config.File} {
				c := commandAt(t, path)
				env := map[string]string{}
				var yaml strings.Builder
				for i, p := range path {
					fmt.Fprintf(&yaml, "%s%s:\n", strings.Repeat("  ", i), p)
				}
				indent := strings.Repeat("  ", len(path))
				want := map[string]string{}
				c.Flags().VisitAll(func(f *pflag.Flag) {
					if f.Name == "help" || f.Name == "config" || f.Hidden {
						return
					}
					set, shown := sample(f.Value.Type())
					want[f.Name] = shown
					env[config.EnvName(f.Name)] = set
					fmt.Fprintf(&yaml, "%s%s: %q\n", indent, f.Name, set)
				})
				var docs []*config.Doc
				getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
				if source == config.File {
					d, err := config.Parse("t.yaml", []byte(yaml.String()))
					if err != nil {
						t.Fatal(err)
					}
					if err := d.Validate(c.Root()); err != nil {
						t.Fatalf("%v\n%s", err, yaml.String())
					}
					docs = []*config.Doc{d}
					getenv = func(string) (string, bool) { return "", false }
				}
				got, err := config.Apply(c, getenv, docs)
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range got {
					w, ok := want[s.Flag]
					if !ok {
						continue
					}
					if s.Source != source || (s.Value != w && s.Value != "(set, not shown)") {
						t.Errorf("%s: %+v, want %s from %s", s.Flag, s, w, source)
					}
					delete(want, s.Flag)
				}
				if len(want) > 0 {
					t.Errorf("flags not reported from %s: %v", source, want)
				}
			}
		})
	}
}

// commandPaths lists the path of every command that takes settings.
func commandPaths() [][]string {
	root := newRoot(&globals{stdout: io.Discard, stderr: newErrLine(io.Discard)})
	var out [][]string
	for _, c := range runnable(root) {
		out = append(out, strings.Fields(strings.TrimPrefix(c.CommandPath(), "thingsec ")))
	}
	return out
}

func commandAt(t *testing.T, path []string) *cobra.Command {
	t.Helper()
	root := newRoot(&globals{stdout: io.Discard, stderr: newErrLine(io.Discard)})
	c, _, err := root.Find(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ParseFlags(nil); err != nil {
		t.Fatal(err)
	}
	return c
}
