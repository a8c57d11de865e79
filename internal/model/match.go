package model

import "strings"

// String is the match in one line for formats that only take text, e.g.
// "cpe cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:* <= 1.36.1".
func (m Match) String() string {
	parts := make([]string, 0, 3)
	for _, p := range []string{m.Method, m.Criterion, m.Constraint} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " ")
}
