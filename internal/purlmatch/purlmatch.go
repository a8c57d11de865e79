// Package purlmatch compares package URLs the way a statement about a
// package means them: a pattern without a version matches every version,
// and the qualifiers a pattern gives must be on the package URL too.
package purlmatch

import (
	"strings"

	"github.com/package-url/packageurl-go"
)

// Match reports whether the package URL p matches pattern: the same
// type, namespace and name; the same version when pattern has one; and
// every qualifier and the subpath of pattern, when it has them.
func Match(pattern, p string) bool {
	if pattern == p {
		return true
	}
	a, err := packageurl.FromString(pattern)
	if err != nil {
		return false
	}
	b, err := packageurl.FromString(p)
	if err != nil {
		return false
	}
	if a.Type != b.Type || !strings.EqualFold(a.Namespace, b.Namespace) || !strings.EqualFold(a.Name, b.Name) {
		return false
	}
	if a.Version != "" && a.Version != b.Version {
		return false
	}
	if a.Subpath != "" && a.Subpath != b.Subpath {
		return false
	}
	have := b.Qualifiers.Map()
	for k, v := range a.Qualifiers.Map() {
		if have[k] != v {
			return false
		}
	}
	return true
}
