package config

import (
	"testing"
)

// FuzzParse: any file content gives a Doc or an error, never a panic, and
// a Doc validates and applies without one either.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "# c\n", "workers: 2\n", "scan:\n  max-depth: 4\n  rules: [a, b]\n",
		"policy:\n  x: {y: [1]}\n", "db:\n  status:\n    max-age: 1h\n",
		"- a\n", "workers: [1\n", "a: &x 1\nb: *x\n", "? [a]\n: 1\n", "workers: !!binary aGk=\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse("f.yaml", data)
		if err != nil {
			return
		}
		root, scan, _ := tree()
		if d.Validate(root) != nil {
			return
		}
		_ = scan.ParseFlags(nil)
		_, _ = Apply(scan, func(string) (string, bool) { return "", false }, []*Doc{d})
		_, _ = Section([]*Doc{d}, "policy")
	})
}
