package main

import (
	"testing"

	"github.com/thingsec/thingsec/internal/lazyre"
)

// TestLazyRegexps compiles every regular expression of the program that
// is compiled on first use (internal/lazyre): an invalid one fails here,
// as regexp.MustCompile at start-up would have.
func TestLazyRegexps(t *testing.T) {
	all := lazyre.All()
	if len(all) < 50 {
		t.Fatalf("only %d lazy regular expressions: is the program linked?", len(all))
	}
	for _, r := range all {
		if _, err := r.Compile(); err != nil {
			t.Errorf("%v", err)
		}
	}
	t.Logf("%d expressions", len(all))
}
