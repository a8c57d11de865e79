package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/vuln/feedtest"
)

// The binary is built once for all tests.
var (
	buildOnce sync.Once
	binDir    string
	binErr    error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary builds cmd/thingsec (once) and returns its path.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "thingsec-bin-"); binErr != nil {
			return
		}
		if out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, "thingsec"), ".").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return filepath.Join(binDir, "thingsec")
}

// TestDBUpdateSignals stops the real, supervised binary with SIGTERM and
// SIGINT while it downloads NVD pages into an existing database: exit
// 143 or 130, the database byte for byte unchanged, the work copy kept,
// and a final run that continues it.
func TestDBUpdateSignals(t *testing.T) {
	bin := binary(t)
	sample := filepath.Join("..", "..", "internal", "vuln", "sample")
	fs := &feedtest.Server{Files: map[string]string{"/kev.json": filepath.Join(sample, "kev.json")}}
	if err := fs.LoadNVD(filepath.Join(sample, "nvd")); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "vuln.db")
	env := append(os.Environ(), "THINGSEC_DB="+dbPath, "TMPDIR="+t.TempDir())
	run := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		return cmd
	}
	if out, err := run("db", "import", filepath.Join(sample, "kev.json")).CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	sum := func() [32]byte {
		b, err := os.ReadFile(dbPath)
		if err != nil {
			t.Fatal(err)
		}
		return sha256.Sum256(b)
	}
	before := sum()
	update := []string{"db", "update", "-q", "--sources", "nvd", "--nvd-url", srv.URL + "/nvd", "--nvd-page-size", "10", "--nvd-delay", "1ms"}
	for _, c := range []struct {
		sig   syscall.Signal
		want  int
		start string
	}{{syscall.SIGTERM, 143, "20"}, {syscall.SIGINT, 130, "40"}} {
		fault, _ := feedtest.ParseFault("/nvd@" + c.start + "=hang")
		fs.AddFault(fault)
		cmd := run(update...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if !fs.WaitFor("startIndex="+c.start, time.Minute) {
			cmd.Process.Kill()
			t.Fatalf("%v: the update never asked for page %s", c.sig, c.start)
		}
		_ = cmd.Process.Signal(c.sig)
		err := cmd.Wait()
		fs.ClearFaults()
		var xe *exec.ExitError
		if !errors.As(err, &xe) || xe.ExitCode() != c.want {
			t.Fatalf("%v: %v, want exit %d; stderr: %s", c.sig, err, c.want, stderr.String())
		}
		if !strings.Contains(stderr.String(), "keeps the progress") {
			t.Errorf("%v: stderr %s", c.sig, stderr.String())
		}
		if sum() != before {
			t.Errorf("%v: the database changed", c.sig)
		}
		if _, err := os.Stat(dbPath + ".update"); err != nil {
			t.Errorf("%v: no work copy: %v", c.sig, err)
		}
	}
	n := len(fs.Requests())
	out, err := run(update...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "77 records (40 of them before the interruption)") {
		t.Fatalf("final run: %v\n%s", err, out)
	}
	var pages []string
	for _, r := range fs.Requests()[n:] {
		pages = append(pages, r[strings.Index(r, "startIndex="):])
	}
	if got := strings.Join(pages, " "); got != "startIndex=40 startIndex=50 startIndex=60 startIndex=70" {
		t.Errorf("final run asked for %s", got)
	}
}
