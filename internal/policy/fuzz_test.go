package policy

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzParse feeds policy sections (YAML and CEL) to Parse and evaluates
// whatever compiles.
func FuzzParse(f *testing.F) {
	f.Add("rules:\n- name: r\n  when: 'f.category == \"credential\"'\n")
	f.Add("rules:\n- name: r\n  severity: high\n  when: 'v.kev && v.epss > 0.1 && size(v.fixed) > 0'\n")
	f.Add("rules:\n- name: r\n  when: 'rank(f.severity) >= rank(\"high\") && f.path.matches(\"^/etc\")'\n")
	f.Fuzz(func(t *testing.T, src string) {
		var doc yaml.Node
		if yaml.Unmarshal([]byte(src), &doc) != nil || len(doc.Content) == 0 {
			return
		}
		p, err := Parse(doc.Content[0], "p.yaml")
		if err != nil {
			return
		}
		_, _ = Evaluate(sample(), p, Options{})
	})
}
