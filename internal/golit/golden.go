package golit

import (
	"bytes"
	"os"
	"testing"
)

// Check is the test of a generated file: with update it writes src to
// file, and then file must hold src byte for byte, so a stale generated
// file fails the test that would regenerate it. regen tells the reader
// how to regenerate it ("go generate ./internal/catalog").
func Check(t testing.TB, file string, src []byte, update bool, regen string) {
	t.Helper()
	if update {
		if err := os.WriteFile(file, src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	have, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(have, src) {
		t.Fatalf("%s is not what its sources generate: run %s", file, regen)
	}
}
