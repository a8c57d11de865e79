// Command crasher is a supervised program for the supervise tests,
// supervised as cmd/thingsec is (internal/supervise/boot): it makes a work
// file in its temporary directory, which must be its work root, then
// exits, crashes or hangs as its first argument says.
package main

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/thingsec/thingsec/internal/supervise"
	_ "github.com/thingsec/thingsec/internal/supervise/boot"
)

func deep(n int) int {
	var pad [256]byte
	pad[n%256] = byte(n)
	return deep(n+1) + int(pad[0])
}

func main() {
	if root := supervise.WorkRoot(); root != "" && root == os.TempDir() {
		_ = os.WriteFile(filepath.Join(root, "work-file"), []byte("x"), 0o600)
		_ = os.WriteFile(os.Args[2], []byte(root), 0o600) // tell the test where
	}
	switch os.Args[1] {
	case "usage":
		supervise.Exit(2)
	case "ok":
		supervise.Exit(0)
	case "fatal":
		debug.SetMaxStack(64 << 10)
		deep(0) // fatal error: stack overflow (the runtime exits 2)
	case "hang":
		time.Sleep(time.Minute)
		supervise.Exit(0)
	}
}
