// Package boot supervises cmd/thingsec from a package initialiser. Go
// initialises a program's packages in dependency order, among the ready
// ones the first by import path; this one needs only the runtime, os and
// os/signal (internal/supervise does without fmt, strings and os/exec,
// whose path/filepath comes late), so it runs before the initialisers of
// nearly all the rest of the program (the CEL and protobuf runtimes,
// SQLite, the analyzers' tables). The supervising parent starts its child here and
// exits with the child's code, so it never pays for them; the child
// (and any process where supervision is off) returns from init and runs
// the program as usual, where cli.Run's own supervise.Run finds nothing
// left to do.
//
// The process that does the work (the child, or any process where
// supervision is off) then backs its heap with huge pages (hugeheap).
//
// Only package main imports it, for this side effect.
package boot

import (
	"os"

	"github.com/thingsec/thingsec/internal/hugeheap"
	"github.com/thingsec/thingsec/internal/supervise"
)

// heapReserve is the heap the process that does the work backs with huge
// pages before the other initialisers run: a `secrets` run of a router's
// root filesystem grows its heap to about 12 MiB, a firmware scan to more.
const heapReserve = 32 << 20

func init() {
	if testBinary(os.Args) {
		// the tests of package main run in-process; a test that wants
		// the supervised program builds and runs the binary
		return
	}
	if code, ok := supervise.Run(os.Args, os.Stderr); ok {
		os.Exit(code)
	}
	hugeheap.Reserve(heapReserve)
}

// testBinary says whether args are those of a test binary made by go test:
// its name ends in .test and go test passes it -test.* flags (compared
// without the strings package, see above). Getting this wrong costs only
// time: cli.Run supervises a program that was not supervised here.
func testBinary(args []string) bool {
	if len(args) == 0 {
		return false
	}
	if len(args[0]) >= 5 && args[0][len(args[0])-5:] == ".test" {
		return true
	}
	for _, a := range args[1:] {
		if len(a) > 6 && a[:6] == "-test." {
			return true
		}
	}
	return false
}
