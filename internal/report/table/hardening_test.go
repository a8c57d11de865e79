package table

import (
	"bytes"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
)

func TestHardeningTable(t *testing.T) {
	bins := []model.Binary{
		{Path: "/usr/sbin/good", Kind: "executable", NX: true, PIE: "yes", RELRO: "full", Canary: true, Fortify: true, Fortified: 2, Fortifiable: 3},
		{Path: "/usr/sbin/bad", Kind: "executable", PIE: "no", RELRO: "none", Fortifiable: 5, Missing: []string{"nx", "canary", "pie", "relro", "fortify"}, Listens: true, RunsCommands: true},
		{Path: "/usr/bin/lazy", Kind: "executable", NX: true, PIE: "yes", RELRO: "partial", Canary: true, Missing: []string{"full-relro"}},
		{Path: "/lib/libc.so.6", Kind: "shared-library", NX: true, PIE: "dso", RELRO: "partial", Canary: true},
		{Path: "/part0", Kind: "kernel", Kernel: &model.Kernel{Version: "5.10.120", Config: true, Options: map[string]string{"RANDOMIZE_BASE": "n", "STACKPROTECTOR": "y"}}, Missing: []string{"CONFIG_RANDOMIZE_BASE"}},
	}
	rep := &model.Report{Binaries: bins, Summary: model.Summary{Hardening: model.SummarizeHardening(bins)}}
	var b bytes.Buffer
	if err := Hardening(&b, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"BINARY HARDENING (3 executables, 1 shared libraries)",
		"nx 75% (3/4)", "pie 67% (2/3)", "full-relro 25% (1/4)", "canary 75% (3/4)",
		"1 binaries accept network input and import system/popen",
		"kernel /part0: version 5.10.120, config: RANDOMIZE_BASE=n STACKPROTECTOR=y",
		"least hardened (2 lack a mitigation)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	// the worst first
	if strings.Index(out, "/usr/sbin/bad") > strings.Index(out, "/usr/bin/lazy") {
		t.Errorf("worst offender not first:\n%s", out)
	}
	if strings.Contains(out, "/usr/sbin/good") {
		t.Errorf("a fully hardened binary is listed:\n%s", out)
	}
	b.Reset()
	if err := Hardening(&b, &model.Report{}, Options{}); err != nil || b.Len() != 0 {
		t.Errorf("no binaries: %q, %v", b.String(), err)
	}
}
