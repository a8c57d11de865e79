package cli

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

// addProfile gives a long-running command --profile FILE: a CPU profile
// of the whole run in FILE and a heap profile at its end in FILE.heap,
// both for `go tool pprof`, so that anyone can attach them to a report
// of a slow scan.
func addProfile(cmd *cobra.Command) {
	var path string
	cmd.Flags().StringVar(&path, "profile", "", "write a CPU profile of the run to `FILE` and a heap profile at its end to FILE.heap (read them with go tool pprof)")
	run := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) (err error) {
		if path == "" {
			return run(c, args)
		}
		stop, err := startProfile(path)
		if err != nil {
			return usageError{err}
		}
		defer func() { err = errors.Join(err, stop()) }()
		return run(c, args)
	}
}

// startProfile starts the CPU profile; stop ends it and writes the heap
// profile.
func startProfile(path string) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		err := f.Close()
		h, herr := os.Create(path + ".heap")
		if herr != nil {
			return errors.Join(err, fmt.Errorf("--profile: %w", herr))
		}
		runtime.GC() // the heap profile shows what is live at the end
		return errors.Join(err, pprof.WriteHeapProfile(h), h.Close())
	}, nil
}
