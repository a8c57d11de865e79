package cli

import "testing"

// TestColorOn: the flags win over the environment; auto colours only a
// terminal, and not when NO_COLOR has any value or TERM is dumb.
func TestColorOn(t *testing.T) {
	for _, c := range []struct {
		mode    string
		noColor bool
		env     map[string]string
		tty     bool
		want    bool
	}{
		{"auto", false, nil, true, true},
		{"auto", false, nil, false, false},
		{"auto", false, map[string]string{"NO_COLOR": "1"}, true, false},
		{"auto", false, map[string]string{"NO_COLOR": "false"}, true, false}, // any value
		{"auto", false, map[string]string{"NO_COLOR": ""}, true, true},       // empty is unset
		{"auto", false, map[string]string{"TERM": "dumb"}, true, false},
		{"auto", false, map[string]string{"TERM": "xterm-256color"}, true, true},
		{"auto", true, nil, true, false},
		{"never", false, nil, true, false},
		{"always", false, nil, false, true},
		{"always", false, map[string]string{"NO_COLOR": "1", "TERM": "dumb"}, false, true},
	} {
		got := colorOn(c.mode, c.noColor, func(k string) string { return c.env[k] }, c.tty)
		if got != c.want {
			t.Errorf("--color %s --no-color=%v env %v tty %v: %v, want %v", c.mode, c.noColor, c.env, c.tty, got, c.want)
		}
	}
}
