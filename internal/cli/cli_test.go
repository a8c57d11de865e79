package cli

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/spf13/pflag"
	"github.com/thingsec/thingsec/internal/config"
	"github.com/thingsec/thingsec/internal/supervise"
	"github.com/thingsec/thingsec/internal/vuln/feedtest"
)

func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) != "thingsec" {
		hermetic()
	}
	testscript.Main(m, map[string]func(){
		// the program as cmd/thingsec runs it: supervised, with signals
		"thingsec": func() { supervise.Exit(Run(os.Args)) },
	})
}

// TestScripts runs the CLI scripts in testdata/script: help, exit codes
// and every bad-input case.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			e.Setenv("SHARED", sharedDir())
			// one process per command; signals.txtar runs supervised
			e.Setenv(supervise.EnvOff, "1")
			sample, err := filepath.Abs(filepath.Join("..", "vuln", "sample"))
			e.Setenv("VULNSAMPLE", sample)
			if err != nil {
				return err
			}
			demo, err := filepath.Abs(filepath.Join("..", "..", "testdata", "demo", "acme-cam.bin"))
			e.Setenv("DEMO", demo)
			if err != nil {
				return err
			}
			vexdata, err := filepath.Abs(filepath.Join("..", "vex", "testdata"))
			e.Setenv("VEXDATA", vexdata)
			if err != nil {
				return err
			}
			reports, err := filepath.Abs(filepath.Join("..", "model", "testdata"))
			e.Setenv("REPORTS", reports)
			e.Values[feedKey{}] = new(*feedtest.Server)
			return err
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "root":
				return os.Geteuid() == 0, nil
			case "shared":
				_, err := os.Stat(filepath.Join(sharedDir(), "corpus"))
				return err == nil, nil
			}
			if p, ok := strings.CutPrefix(cond, "file:"); ok {
				_, err := os.Stat(p)
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

// hermetic keeps the user's settings out of the tests that run Main in
// this process: no user configuration file, no THINGSEC_<FLAG> variable.
func hermetic() {
	os.Setenv("XDG_CONFIG_HOME", "/nonexistent/thingsec-test-config")
	for _, path := range commandPaths() {
		c, _, _ := newRoot(&globals{stdout: io.Discard, stderr: newErrLine(io.Discard)}).Find(path)
		_ = c.ParseFlags(nil)
		c.Flags().VisitAll(func(f *pflag.Flag) { os.Unsetenv(config.EnvName(f.Name)) })
	}
}
