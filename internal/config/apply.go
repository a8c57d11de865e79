package config

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// Setting is one flag's effective value and where it came from.
type Setting struct {
	Flag   string `json:"flag"`
	Value  string `json:"value"`
	Source Source `json:"source"`
	// Where is the variable's name (env) or file:line (file).
	Where string `json:"where,omitempty"`
}

// Apply gives every flag of cmd that the command line did not set its
// value from the environment (getenv) or, failing that, from the first
// file of docs that sets it, and says where each flag's value came from.
// cmd's flags must be parsed (cobra does it before the pre-run hooks),
// so that they include the flags cmd inherits.
func Apply(cmd *cobra.Command, getenv func(string) (string, bool), docs []*Doc) ([]Setting, error) {
	path := commandPath(cmd)
	var out []Setting
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Name == "help" {
			return
		}
		s := Setting{Flag: f.Name, Source: Default}
		switch {
		case f.Changed:
			s.Source = Flag
		case fixed[f.Name] || skipped(f):
		default:
			s.Source, s.Where, err = fill(cmd.Flags(), f, path, getenv, docs)
		}
		s.Value = f.Value.String()
		if sensitive(f.Name) && s.Value != "" {
			s.Value = "(set, not shown)"
		}
		if f.Hidden && s.Source == Default {
			return // an alias nobody used is no setting
		}
		out = append(out, s)
	})
	return out, err
}

// fill sets f from its environment variable, else from the files.
func fill(fs *pflag.FlagSet, f *pflag.Flag, path []string, getenv func(string) (string, bool), docs []*Doc) (Source, string, error) {
	env := EnvName(f.Name)
	if v, ok := getenv(env); ok {
		var vals []string
		if _, slice := f.Value.(pflag.SliceValue); slice {
			vals = strings.Split(v, ",")
		} else {
			vals = []string{v}
		}
		if err := set(fs, f, vals); err != nil {
			return Env, env, fmt.Errorf("%s=%q: %v", env, v, err)
		}
		return Env, env, nil
	}
	for _, d := range docs {
		k, v := d.lookup(path, f.Name)
		if v == nil {
			continue
		}
		where := fmt.Sprintf("%s:%d", d.Path, k.Line)
		if err := d.checkValue(f, k, v); err != nil {
			return File, where, err
		}
		vals := []string{v.Value}
		if v.Kind == yaml.SequenceNode {
			vals = vals[:0]
			for _, e := range v.Content {
				vals = append(vals, e.Value)
			}
		}
		if err := set(fs, f, vals); err != nil {
			return File, where, &Error{d.Path, v.Line, fmt.Sprintf("%s: %v", f.Name, err)}
		}
		return File, where, nil
	}
	return Default, "", nil
}

// set gives f the values, replacing its default, as the command line
// would (a list flag takes them all).
func set(fs *pflag.FlagSet, f *pflag.Flag, vals []string) error {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		if err := sv.Replace(vals); err != nil {
			return err
		}
		f.Changed = true
		return nil
	}
	if len(vals) != 1 {
		return fmt.Errorf("takes one value")
	}
	return fs.Set(f.Name, vals[0])
}

// commandPath is cmd's path under the root: ["db", "status"].
func commandPath(cmd *cobra.Command) []string {
	var p []string
	for c := cmd; c.HasParent(); c = c.Parent() {
		p = append([]string{c.Name()}, p...)
	}
	return p
}

// sensitive flags (an API key) are never shown or logged.
func sensitive(name string) bool {
	for _, w := range []string{"key", "token", "password", "secret"} {
		if strings.HasSuffix(name, w) {
			return true
		}
	}
	return false
}
