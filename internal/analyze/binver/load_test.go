package binver

import "testing"

func TestEmbeddedRulesLoad(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	products := map[string]bool{}
	for _, r := range c.Rules {
		products[r.Product] = true
	}
	if len(c.Rules) < 200 {
		t.Errorf("%d rules, want at least 200", len(c.Rules))
	}
	t.Logf("%d rules, %d products", len(c.Rules), len(products))
}
