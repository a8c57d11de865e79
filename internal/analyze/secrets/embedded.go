package secrets

//go:generate go test -run TestEmbeddedRules -update

// Embedded returns the rules shipped in rules/secrets, as LoadDir reads
// them. They are kept parsed in embedded_rules.go, made from the YAML by
// TestEmbeddedRules (go generate), which fails while the two differ: a
// run finds them in the binary instead of parsing 270 kB of YAML. Each
// call returns new rules, whose regular expressions are compiled on
// first use; their slices are shared and read only.
func Embedded() ([]*Rule, error) {
	out := make([]*Rule, len(embeddedRules))
	for i, e := range embeddedRules {
		r := *e
		if err := r.defaults(); err != nil {
			return nil, err
		}
		r.compileLater()
		out[i] = &r
	}
	return out, nil
}
