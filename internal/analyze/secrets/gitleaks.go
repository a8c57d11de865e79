package secrets

import (
	"fmt"
	"os"
	"strings"

	"github.com/BurntSushi/toml"
)

// gitleaksConfig is the part of a gitleaks TOML configuration that maps
// onto our rules.
type gitleaksConfig struct {
	Title     string `toml:"title"`
	Allowlist struct {
		Regexes   []string `toml:"regexes"`
		Stopwords []string `toml:"stopwords"`
		Paths     []string `toml:"paths"`
	} `toml:"allowlist"`
	Rules []struct {
		ID          string   `toml:"id"`
		Description string   `toml:"description"`
		Regex       string   `toml:"regex"`
		SecretGroup int      `toml:"secretGroup"`
		Entropy     float64  `toml:"entropy"`
		Keywords    []string `toml:"keywords"`
		Path        string   `toml:"path"`
		Tags        []string `toml:"tags"`
		Allowlist   struct {
			Regexes   []string `toml:"regexes"`
			Stopwords []string `toml:"stopwords"`
			Paths     []string `toml:"paths"`
		} `toml:"allowlist"`
		Allowlists []struct {
			Regexes   []string `toml:"regexes"`
			Stopwords []string `toml:"stopwords"`
			Paths     []string `toml:"paths"`
		} `toml:"allowlists"`
	} `toml:"rules"`
}

// LoadGitleaks reads a gitleaks TOML config as a rule pack. Rule IDs are
// prefixed with "gitleaks:" so they never collide with ours. Regexes
// using constructs RE2 lacks (look-around, back-references) are errors.
func LoadGitleaks(file string) ([]*Rule, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return ParseGitleaks(file, b)
}

// ParseGitleaks parses gitleaks TOML text.
func ParseGitleaks(name string, data []byte) ([]*Rule, error) {
	var c gitleaksConfig
	if _, err := toml.Decode(string(data), &c); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var out []*Rule
	for _, gr := range c.Rules {
		if gr.Regex == "" {
			continue // path-only rules have no counterpart here
		}
		r := &Rule{
			ID:          "gitleaks:" + gr.ID,
			Title:       strings.TrimSpace(gr.Description),
			Severity:    "high",
			Category:    "secret-token",
			Keywords:    gr.Keywords,
			Regex:       gr.Regex,
			SecretGroup: gr.SecretGroup,
			Entropy:     gr.Entropy,
			Paths:       gr.Path,
			Source:      name,
		}
		al := &r.Allowlist
		al.Regexes = append(append(al.Regexes, c.Allowlist.Regexes...), gr.Allowlist.Regexes...)
		al.Stopwords = append(append(al.Stopwords, c.Allowlist.Stopwords...), gr.Allowlist.Stopwords...)
		al.Paths = append(append(al.Paths, c.Allowlist.Paths...), gr.Allowlist.Paths...)
		for _, x := range gr.Allowlists {
			al.Regexes = append(al.Regexes, x.Regexes...)
			al.Stopwords = append(al.Stopwords, x.Stopwords...)
			al.Paths = append(al.Paths, x.Paths...)
		}
		if err := r.compile(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, r)
	}
	return out, nil
}
