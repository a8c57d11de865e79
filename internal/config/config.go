// Package config gives every command-line flag two more sources: a
// THINGSEC_<FLAG> environment variable and a YAML configuration file.
// One precedence order holds for every flag, present and future, because
// the flags are found by walking the command's flag set, never listed:
//
//	command-line flag > environment variable > configuration file > default
//
// A file's keys are flag names, at the top level (for every command that
// has the flag) or nested under a command (scan: {fail-on-incomplete:
// true}); the most specific wins. Unknown keys are errors with the file's
// name and line, so a typo never silently does nothing.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// Source says where a flag's value came from.
type Source string

// Sources, from the strongest.
const (
	Flag    Source = "flag"
	Env     Source = "env"
	File    Source = "file"
	Default Source = "default"
)

// EnvPrefix starts the environment variable of every flag.
const EnvPrefix = "THINGSEC_"

// EnvName is the environment variable of a flag: --max-depth is
// THINGSEC_MAX_DEPTH.
func EnvName(flag string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// Reserved top-level keys are sections other parts of thingsec read (the
// policy gate); they are checked to be mappings and otherwise left alone.
var Reserved = []string{"policy"}

// fixed flags cannot come from a file or the environment: --config names
// the file itself (THINGSEC_CONFIG is read before the files), help and
// version are actions, not settings.
var fixed = map[string]bool{"help": true, "version": true, "config": true}

// skipKey is the annotation of a flag that takes no value from the
// environment or a file (see Skip).
const skipKey = "thingsec-config-skip"

// Skip marks f as taking its value from the command line only: a
// deprecated alias, whose meaning differs from the flag of the same name
// in other commands.
func Skip(f *pflag.Flag) {
	if f.Annotations == nil {
		f.Annotations = map[string][]string{}
	}
	f.Annotations[skipKey] = []string{"true"}
}

func skipped(f *pflag.Flag) bool { return f.Deprecated != "" || f.Annotations[skipKey] != nil }

// ProjectFile is the configuration file looked for in the working directory.
const ProjectFile = ".thingsec.yaml"

// UserFile is the configuration file of the user (os.UserConfigDir()/
// thingsec/config.yaml), "" when the system has no such directory.
func UserFile() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "thingsec", "config.yaml")
}

// Error is a problem at a line of a configuration file.
type Error struct {
	Path string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return e.Path + ": " + e.Msg
}

// Doc is one parsed configuration file.
type Doc struct {
	Path string
	root *yaml.Node // a mapping, or nil for an empty file
}

// Load reads and parses the file at path.
func Load(path string) (*Doc, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Path: path, Msg: errors.Unwrap(err).Error()}
	}
	return Parse(path, b)
}

// Discover loads the configuration files in the order they are consulted:
// explicit (from --config or THINGSEC_CONFIG) alone when given, which must
// exist; else ./.thingsec.yaml, then the user's file, each when present.
// It also returns every path it looked at.
func Discover(explicit string) (docs []*Doc, looked []string, err error) {
	if explicit != "" {
		d, err := Load(explicit)
		if err != nil {
			return nil, []string{explicit}, err
		}
		return []*Doc{d}, []string{explicit}, nil
	}
	for _, p := range []string{ProjectFile, UserFile()} {
		if p == "" {
			continue
		}
		looked = append(looked, p)
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		d, err := Load(p)
		if err != nil {
			return nil, looked, err
		}
		docs = append(docs, d)
	}
	return docs, looked, nil
}

// Parse parses a configuration file's content; path names it in errors.
func Parse(path string, data []byte) (*Doc, error) {
	d := &Doc{Path: path}
	if len(bytes.TrimSpace(data)) == 0 {
		return d, nil
	}
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return nil, &Error{Path: path, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = *n.Content[0]
	}
	switch n.Kind {
	case 0, yaml.DocumentNode: // comments only
		return d, nil
	case yaml.MappingNode:
		d.root = &n
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return d, nil
		}
		fallthrough
	default:
		return nil, &Error{Path: path, Line: n.Line, Msg: "want a mapping of flag names to values"}
	}
	return d, nil
}

// Validate checks every key of the file against the command tree of root:
// a key is a flag of some command under its section, a command (whose
// section is a mapping), or a reserved section at the top level.
func (d *Doc) Validate(root *cobra.Command) error {
	if d.root == nil {
		return nil
	}
	return d.validate(d.root, root, true)
}

func (d *Doc) validate(m *yaml.Node, cmd *cobra.Command, top bool) error {
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], deref(m.Content[i+1])
		name := k.Value
		if seen[name] {
			return &Error{d.Path, k.Line, fmt.Sprintf("%q appears twice", name)}
		}
		seen[name] = true
		if top && slices.Contains(Reserved, name) {
			if v.Kind != yaml.MappingNode && v.Tag != "!!null" {
				return &Error{d.Path, v.Line, fmt.Sprintf("%s: want a mapping", name)}
			}
			continue
		}
		if sub := subcommand(cmd, name); sub != nil && v.Kind == yaml.MappingNode {
			if err := d.validate(v, sub, false); err != nil {
				return err
			}
			continue
		}
		if fixed[name] {
			return &Error{d.Path, k.Line, fmt.Sprintf("%q cannot be set in a configuration file", name)}
		}
		f := flagIn(cmd, name)
		if f == nil {
			msg := fmt.Sprintf("unknown key %q", name)
			if cmd.HasParent() {
				msg += " under " + strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
			}
			if subcommand(cmd, name) != nil {
				msg = fmt.Sprintf("%s: a command's settings are a mapping", name)
			}
			return &Error{d.Path, k.Line, msg}
		}
		if err := d.checkValue(f, k, v); err != nil {
			return err
		}
	}
	return nil
}

func (d *Doc) checkValue(f *pflag.Flag, k, v *yaml.Node) error {
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return &Error{d.Path, k.Line, fmt.Sprintf("%s: no value", k.Value)}
		}
		return nil
	case yaml.SequenceNode:
		if _, ok := f.Value.(pflag.SliceValue); !ok {
			return &Error{d.Path, v.Line, fmt.Sprintf("%s: takes one value, not a list", k.Value)}
		}
		for _, e := range v.Content {
			if e.Kind != yaml.ScalarNode {
				return &Error{d.Path, e.Line, fmt.Sprintf("%s: a list of plain values", k.Value)}
			}
		}
		return nil
	}
	return &Error{d.Path, v.Line, fmt.Sprintf("%s: want a value, not a mapping", k.Value)}
}

// subcommand is cmd's child called name.
func subcommand(cmd *cobra.Command, name string) *cobra.Command {
	for _, c := range cmd.Commands() {
		if c.Name() == name {
			return c
		}
	}
	return nil
}

// flagIn finds the flag called name on cmd or any command under it, with
// the flags it inherits.
func flagIn(cmd *cobra.Command, name string) *pflag.Flag {
	for _, fs := range []*pflag.FlagSet{cmd.LocalFlags(), cmd.InheritedFlags()} {
		if f := fs.Lookup(name); f != nil && !skipped(f) {
			return f
		}
	}
	for _, c := range cmd.Commands() {
		if f := flagIn(c, name); f != nil {
			return f
		}
	}
	return nil
}

// lookup finds the value of flag name for the command at path (["db",
// "status"]): the most specific section that sets it wins.
func (d *Doc) lookup(path []string, name string) (k, v *yaml.Node) {
	if d.root == nil {
		return nil, nil
	}
	sections := []*yaml.Node{d.root}
	for _, p := range path {
		_, sub := get(sections[len(sections)-1], p)
		if sub == nil || sub.Kind != yaml.MappingNode {
			break
		}
		sections = append(sections, sub)
	}
	for i := len(sections) - 1; i >= 0; i-- {
		if k, v := get(sections[i], name); v != nil && v.Kind != yaml.MappingNode {
			return k, v
		}
	}
	return nil, nil
}

func get(m *yaml.Node, key string) (k, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], deref(m.Content[i+1])
		}
	}
	return nil, nil
}

// deref follows a YAML alias (*name) to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 8; i++ {
		n = n.Alias
	}
	return n
}

// Section returns the reserved top-level section name of the first file
// that has it (for the policy gate), with that file's path.
func Section(docs []*Doc, name string) (*yaml.Node, string) {
	for _, d := range docs {
		if d.root == nil {
			continue
		}
		if _, v := get(d.root, name); v != nil {
			return v, d.Path
		}
	}
	return nil, ""
}
