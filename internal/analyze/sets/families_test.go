package sets

import (
	"slices"
	"testing"

	"github.com/thingsec/thingsec/internal/catalog"
)

// TestFamilies: every set is listed, every family named exists in the
// catalog, and the default set runs every family of the embedded catalog.
func TestFamilies(t *testing.T) {
	cat := catalog.MustDefault()
	all := map[string]bool{}
	for _, r := range cat.All() {
		all[r.Family] = true
	}
	for _, n := range Names() {
		if _, ok := families[n]; !ok {
			t.Errorf("set %s has no family list", n)
		}
		for _, f := range Families(n) {
			if !all[f] {
				t.Errorf("set %s: family %s has no rule", n, f)
			}
		}
	}
	for f := range all {
		if !slices.Contains(Families(Default), f) {
			t.Errorf("the default set does not list family %s", f)
		}
	}
}
