package cli

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/thingsec/thingsec/internal/vuln/db"
	"github.com/thingsec/thingsec/internal/vuln/feedtest"
)

// Script commands for the vulnerability sources and database.

type feedKey struct{}

// cmdFeedServer is "feedserver [FAULT...]": serves the repository's sample
// records as the NVD API ($FEED/nvd) and the KEV catalog
// ($FEED/kev.json), with the faults of feedtest.ParseFault, and logs every
// request to $WORK/feed.log.
func cmdFeedServer(ts *testscript.TestScript, neg bool, args []string) {
	log, err := os.Create(ts.MkAbs("feed.log"))
	if err != nil {
		ts.Fatalf("%v", err)
	}
	sample, _ := filepath.Abs(filepath.Join("..", "vuln", "sample"))
	fs := &feedtest.Server{Files: map[string]string{"/kev.json": filepath.Join(sample, "kev.json")}, Log: log}
	if err := fs.LoadNVD(filepath.Join(sample, "nvd")); err != nil {
		ts.Fatalf("%v", err)
	}
	addFaults(ts, fs, args)
	srv := httptest.NewServer(fs)
	ts.Defer(func() {
		srv.CloseClientConnections()
		srv.Close()
		log.Close()
	})
	ts.Setenv("FEED", srv.URL)
	*ts.Value(feedKey{}).(**feedtest.Server) = fs
}

func addFaults(ts *testscript.TestScript, fs *feedtest.Server, args []string) {
	for _, a := range args {
		f, err := feedtest.ParseFault(a)
		if err != nil {
			ts.Fatalf("%v", err)
		}
		fs.AddFault(f)
	}
}

func feedServer(ts *testscript.TestScript) *feedtest.Server {
	fs := *ts.Value(feedKey{}).(**feedtest.Server)
	if fs == nil {
		ts.Fatalf("no feedserver running")
	}
	return fs
}

// cmdFeedFault is "feedfault clear | FAULT...": changes the faults.
func cmdFeedFault(ts *testscript.TestScript, neg bool, args []string) {
	fs := feedServer(ts)
	if len(args) == 1 && args[0] == "clear" {
		fs.ClearFaults()
		return
	}
	addFaults(ts, fs, args)
}

// cmdFeedWait is "feedwait TEXT": waits (at most a minute) until a
// request containing TEXT reached the server.
func cmdFeedWait(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: feedwait TEXT")
	}
	if !feedServer(ts).WaitFor(args[0], time.Minute) {
		ts.Fatalf("no request with %q within a minute", args[0])
	}
}

// cmdDBBackdate is "dbbackdate PATH DAYS": moves every source's last
// update DAYS days back, as if the database had not been updated since.
func cmdDBBackdate(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: dbbackdate PATH DAYS")
	}
	days, err := strconv.Atoi(args[1])
	if err != nil {
		ts.Fatalf("%v", err)
	}
	d, err := db.OpenDefault(ts.MkAbs(args[0]))
	if err != nil {
		ts.Fatalf("%v", err)
	}
	defer d.Close()
	ctx := context.Background()
	srcs, err := d.Sources(ctx)
	if err != nil {
		ts.Fatalf("%v", err)
	}
	err = d.Import(ctx, func(tx *db.Tx) error {
		for _, s := range srcs {
			t, err := time.Parse(time.RFC3339, s.UpdatedAt)
			if err != nil {
				return err
			}
			s.UpdatedAt = t.AddDate(0, 0, -days).Format(time.RFC3339)
			if err := tx.PutSource(s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		ts.Fatalf("%v", err)
	}
}

// cmdStatus is "status CODE COMMAND [ARGS...]": runs COMMAND and checks
// its exit code (exec and ! exec tell only success from failure).
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: status CODE COMMAND [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("%v", err)
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var xe *exec.ExitError
	if errors.As(err, &xe) {
		got = xe.ExitCode()
	} else if err != nil {
		ts.Fatalf("%v", err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}
