package accounts

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Defaults is the default-credential list (rules/credentials/*.yaml).
type Defaults struct {
	Pairs     [][2]string // user, password
	Passwords []string    // common passwords tried for every account
}

type defaultsFile struct {
	Pairs     [][]string `yaml:"pairs"`
	Passwords []string   `yaml:"passwords"`
}

//go:generate go test -run TestEmbeddedDefaults -update

// EmbeddedDefaults returns rules/credentials/defaults.yaml. It is kept
// parsed in embedded_defaults.go, made from the YAML by
// TestEmbeddedDefaults (go generate), which fails while the two differ:
// a run finds the list in the binary instead of parsing the YAML. The
// list is shared and read only.
func EmbeddedDefaults() (*Defaults, error) { return embeddedDefaults, nil }

// ParseDefaults reads a default-credential list.
func ParseDefaults(b []byte) (*Defaults, error) {
	var f defaultsFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("default credentials: %w", err)
	}
	d := &Defaults{Passwords: f.Passwords}
	for _, p := range f.Pairs {
		if len(p) != 2 {
			return nil, fmt.Errorf("default credentials: pair %v is not [user, password]", p)
		}
		d.Pairs = append(d.Pairs, [2]string{p[0], p[1]})
	}
	return d, nil
}

// Candidates lists the passwords to try for user, most likely first: the
// list's pairs for that user, the user name itself and simple variants,
// the common passwords, then every other password of the list. limit
// bounds the list for slow schemes.
func (d *Defaults) Candidates(user string, limit int) []string {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if !seen[p] && len(out) < limit {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, p := range d.Pairs {
		if p[0] == user {
			add(p[1])
		}
	}
	if user != "" {
		add(user)
		add(user + "123")
		add(user + "1234")
		add(user + "@123")
		r := []rune(user)
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		add(string(r))
	}
	for _, p := range d.Passwords {
		add(p)
	}
	for _, p := range d.Pairs {
		add(p[1])
	}
	return out
}
