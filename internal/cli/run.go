package cli

import (
	"context"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/thingsec/thingsec/internal/supervise"
)

// Run is the whole program behind cmd/thingsec, for it and for the tests
// that must see what a user sees: the work runs in a supervised child
// (internal/supervise), whatever happens to it, its work directory is
// removed and the exit code keeps its meaning; in the child, SIGINT,
// SIGTERM and SIGHUP stop the workers and make the exit code 128+signal.
// The caller exits with supervise.Exit(code).
func Run(args []string) int {
	if code, ok := supervise.Run(args, os.Stderr); ok {
		return code
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	var got atomic.Int32
	go func() {
		s, ok := <-sigs
		if !ok {
			return
		}
		got.Store(int32(s.(syscall.Signal)))
		cancel() // workers stop, deferred clean-up runs
		signal.Stop(sigs)
	}()
	code := Main(ctx, args, os.Stdout, os.Stderr)
	if s := got.Load(); s != 0 {
		code = 128 + int(s) // 130 for SIGINT, 143 for SIGTERM
	}
	return code
}
