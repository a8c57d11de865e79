// Package ahead starts reading the directory target of scan and secrets
// while the program is still initialising. The initialisers of its
// dependencies (protocol buffers and the expression language of the
// policy rules, SQLite, the SPDX licence list) take a good part of a
// short run and keep one processor busy; a listing started here reads
// the directory on another one meanwhile, and the command takes it
// (Take) instead of starting its own.
//
// The target is guessed from the command line before it is parsed: the
// last argument not starting with "-" after "scan" or "secrets", when it
// names a directory. A wrong guess costs a listing nobody takes; the
// command only takes a listing of exactly its target, made with exactly
// its skipped names.
//
// The package needs only light packages, so that its initialiser runs
// early (packages are initialised in the order of their import paths
// among those whose imports are ready); it does nothing in the
// supervising parent, which does no work.
package ahead

import (
	"context"
	"maps"
	"os"
	"sync"

	"github.com/thingsec/thingsec/internal/supervise"
	"github.com/thingsec/thingsec/internal/unpack/dirlist"
)

var pending struct {
	sync.Mutex
	ls *dirlist.Listing
}

func init() {
	if !supervise.Child() && os.Getenv(supervise.EnvOff) == "" {
		return // the supervising parent (or a test binary)
	}
	if dir, ok := target(os.Args); ok {
		pending.ls = dirlist.Start(context.Background(), dir, dirlist.SourceSkips)
	}
}

// target guesses the directory target of a scan or secrets command line.
func target(args []string) (string, bool) {
	cmd := -1
	for i, a := range args {
		if i == 0 {
			continue
		}
		switch a {
		case "scan", "secrets":
			if cmd < 0 {
				cmd = i
			}
		case "--git", "--staged", "-h", "--help", "--":
			return "", false // not a directory target, or not a run
		}
	}
	if cmd < 0 {
		return "", false
	}
	for i := len(args) - 1; i > cmd; i-- {
		if a := args[i]; a != "" && a[0] != '-' {
			st, err := os.Stat(a)
			return a, err == nil && st.IsDir()
		}
	}
	return "", false
}

// Take returns the listing started for dir with skip, once; nil when
// there is none.
func Take(dir string, skip map[string]string) *dirlist.Listing {
	pending.Lock()
	defer pending.Unlock()
	ls := pending.ls
	if ls == nil || ls.Dir() != dir || !maps.Equal(ls.Skip(), skip) {
		return nil
	}
	pending.ls = nil
	return ls
}
