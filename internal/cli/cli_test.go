package cli

import (
	"context"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/thingsec/thingsec/internal/vuln/feedtest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"thingsec": func() {
			// as cmd/thingsec: a signal cancels the work, and the exit
			// code says which
			sigs := make(chan os.Signal, 1)
			signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
			ctx, cancel := context.WithCancel(context.Background())
			var got atomic.Int32
			go func() {
				s := <-sigs
				got.Store(int32(s.(syscall.Signal)))
				cancel()
			}()
			code := Main(ctx, os.Args, os.Stdout, os.Stderr)
			if s := got.Load(); s != 0 {
				code = 128 + int(s)
			}
			os.Exit(code)
		},
	})
}

// TestScripts runs the CLI scripts in testdata/script: help, exit codes
// and every bad-input case.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			e.Setenv("SHARED", sharedDir())
			e.Values[feedKey{}] = new(*feedtest.Server)
			sample, _ := filepath.Abs(filepath.Join("..", "vuln", "sample"))
			e.Setenv("VULNSAMPLE", sample)
			return nil
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "root":
				return os.Geteuid() == 0, nil
			case "shared":
				_, err := os.Stat(filepath.Join(sharedDir(), "corpus"))
				return err == nil, nil
			}
			if len(cond) > 5 && cond[:5] == "tool:" {
				_, err := exec.LookPath(cond[5:])
				return err == nil, nil
			}
			return false, nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// mkfifo NAME makes a named pipe (bad-input case).
			"mkfifo": func(ts *testscript.TestScript, neg bool, args []string) {
				if err := syscall.Mkfifo(ts.MkAbs(args[0]), 0o600); err != nil {
					ts.Fatalf("mkfifo: %v", err)
				}
			},
			"feedserver": cmdFeedServer,
			"feedfault":  cmdFeedFault,
			"feedwait":   cmdFeedWait,
			"dbbackdate": cmdDBBackdate,
			"status":     cmdStatus,
			// chmod000 NAME removes all permissions.
			"chmod000": func(ts *testscript.TestScript, neg bool, args []string) {
				if err := os.Chmod(ts.MkAbs(args[0]), 0); err != nil {
					ts.Fatalf("chmod: %v", err)
				}
			},
		},
	})
}

// sharedDir is ../shared beside the checkout, or $THINGSEC_SHARED.
func sharedDir() string {
	if d := os.Getenv("THINGSEC_SHARED"); d != "" {
		return d
	}
	d, _ := filepath.Abs("../../../shared")
	return d
}
