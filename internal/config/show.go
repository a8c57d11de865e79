package config

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"
)

// Effective is what `thingsec config` shows: the files looked at and the
// settings of each command, with their sources.
type Effective struct {
	Precedence []Source         `json:"precedence"`
	Files      []FileUse        `json:"files"`
	Commands   []CommandSetting `json:"commands"`
}

// FileUse is one configuration file looked at, and whether it was read.
type FileUse struct {
	Path string `json:"path"`
	Read bool   `json:"read"`
}

// CommandSetting is the settings of one command.
type CommandSetting struct {
	Command  string    `json:"command"`
	Settings []Setting `json:"settings"`
}

// Order is the precedence, from the strongest source.
var Order = []Source{Flag, Env, File, Default}

// WriteJSON writes e as indented JSON.
func (e *Effective) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(e)
}

// WriteTable writes e as one aligned table per command.
func (e *Effective) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Precedence: flag > env (THINGSEC_<FLAG>) > file > default\n")
	for _, f := range e.Files {
		state := "read"
		if !f.Read {
			state = "absent"
		}
		fmt.Fprintf(tw, "File: %s (%s)\n", f.Path, state)
	}
	for _, c := range e.Commands {
		fmt.Fprintf(tw, "\n%s\n", c.Command)
		fmt.Fprintf(tw, "  FLAG\tVALUE\tSOURCE\n")
		for _, s := range c.Settings {
			src := string(s.Source)
			if s.Where != "" {
				src += " " + s.Where
			}
			fmt.Fprintf(tw, "  --%s\t%s\t%s\n", s.Flag, printable(s.Value), src)
		}
	}
	return tw.Flush()
}

// printable quotes an empty value, so that columns stay readable, and a
// value with control characters, so that it cannot rewrite the terminal.
func printable(v string) string {
	if v == "" || strings.IndexFunc(v, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(v)
	}
	return v
}
