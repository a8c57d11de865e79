// Command thingsec finds security problems in connected-device firmware,
// source trees and SBOMs. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/thingsec/thingsec/internal/cli"
	"github.com/thingsec/thingsec/internal/supervise"
)

func main() {
	// The work runs in a supervised child: whatever happens to it (a
	// runtime fatal error, a kill), its work directory is removed and
	// the exit code keeps its meaning.
	if code, ok := supervise.Run(os.Args, os.Stderr); ok {
		os.Exit(code)
	}
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	var got atomic.Int32
	go func() {
		s := <-sigs
		got.Store(int32(s.(syscall.Signal)))
		cancel() // workers stop, deferred clean-up runs
		signal.Stop(sigs)
	}()
	code := cli.Main(ctx, os.Args, os.Stdout, os.Stderr)
	if s := got.Load(); s != 0 {
		code = 128 + int(s) // 130 for SIGINT, 143 for SIGTERM
	}
	supervise.Exit(code)
}
