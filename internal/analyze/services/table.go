package services

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/thingsec/thingsec/rules"
)

// entry is one daemon of rules/services/daemons.yaml.
type entry struct {
	Names  []string `yaml:"names"`
	Listen []string `yaml:"listen"`
	Auth   string   `yaml:"auth"`
	TLS    string   `yaml:"tls"`
	Role   string   `yaml:"role"`
	Drop   string   `yaml:"drop"`
}

type table struct {
	byName map[string]*entry
}

func (t *table) lookup(name string) *entry {
	if t == nil {
		return nil
	}
	return t.byName[name]
}

func loadTable(fsys fs.FS, file string) (*table, error) {
	raw, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Daemons []*entry `yaml:"daemons"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	t := &table{byName: map[string]*entry{}}
	for _, e := range doc.Daemons {
		for _, l := range e.Listen {
			if _, _, ok := parseProtoPort(l); !ok {
				return nil, fmt.Errorf("%s: %v: listener %q is not proto/port", file, e.Names, l)
			}
		}
		switch e.Auth {
		case "", "none", "password", "key", "password+key":
		default:
			return nil, fmt.Errorf("%s: %v: auth %q", file, e.Names, e.Auth)
		}
		for _, n := range e.Names {
			if t.byName[n] != nil {
				return nil, fmt.Errorf("%s: %s listed twice", file, n)
			}
			t.byName[n] = e
		}
	}
	return t, nil
}

func defaultTable() (*table, error) { return loadTable(rules.FS, "services/daemons.yaml") }

func parseProtoPort(s string) (string, int, bool) {
	p, n, ok := strings.Cut(s, "/")
	port, err := strconv.Atoi(n)
	if !ok || err != nil || port <= 0 || port > 65535 || (p != "tcp" && p != "udp") {
		return "", 0, false
	}
	return p, port, true
}
