package download

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// script is a server that answers each request with the next step.
type script struct {
	mu    sync.Mutex
	steps []func(w http.ResponseWriter, r *http.Request)
	hits  int
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	i := min(s.hits, len(s.steps)-1)
	s.hits++
	step := s.steps[i]
	s.mu.Unlock()
	step(w, r)
}

func status(code int, header ...string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
	}
}

func body(s string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, s) }
}

// drop promises a long body, sends part of it and closes the connection.
func drop(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Length", "1000")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "partial")
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

// hangup closes the connection without any answer.
func hangup(w http.ResponseWriter, r *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

var fixedNow = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

// client records its waits instead of sleeping.
func client(waits *[]time.Duration) *Client {
	return &Client{
		Policy: Policy{Attempts: 4, BaseDelay: time.Second, MaxDelay: 10 * time.Second, MaxRetryAfter: time.Minute},
		Sleep: func(ctx context.Context, d time.Duration) error {
			*waits = append(*waits, d)
			return ctx.Err()
		},
		Rand: func() float64 { return 0.5 },
		Now:  func() time.Time { return fixedNow },
	}
}

func TestGet(t *testing.T) {
	date := fixedNow.Add(30 * time.Second).Format(http.TimeFormat)
	cases := []struct {
		name     string
		steps    []func(http.ResponseWriter, *http.Request)
		verify   func(string) error
		wantErr  string // "" = success
		wantBody string
		wantHits int
		waits    []time.Duration
	}{
		{name: "ok at once", steps: steps(body("data")), wantBody: "data", wantHits: 1},
		{name: "503 then ok: exponential back-off with jitter",
			steps:    steps(status(503), status(502), body("data")),
			wantBody: "data", wantHits: 3, waits: []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond}},
		{name: "429 Retry-After seconds",
			steps:    steps(status(429, "Retry-After", "7"), body("data")),
			wantBody: "data", wantHits: 2, waits: []time.Duration{7 * time.Second}},
		{name: "503 Retry-After HTTP date",
			steps:    steps(status(503, "Retry-After", date), body("data")),
			wantBody: "data", wantHits: 2, waits: []time.Duration{30 * time.Second}},
		{name: "Retry-After date in the past: no wait",
			steps:    steps(status(503, "Retry-After", fixedNow.Add(-time.Hour).Format(http.TimeFormat)), body("data")),
			wantBody: "data", wantHits: 2, waits: []time.Duration{0}},
		{name: "unreadable Retry-After: back-off",
			steps:    steps(status(503, "Retry-After", "soon"), body("data")),
			wantBody: "data", wantHits: 2, waits: []time.Duration{750 * time.Millisecond}},
		{name: "Retry-After longer than the client waits",
			steps:   steps(status(503, "Retry-After", "3600")),
			wantErr: "HTTP 503 Service Unavailable; the server asks to retry after 1h0m0s", wantHits: 1},
		{name: "body cut off, then ok",
			steps:    steps(drop, body("data")),
			wantBody: "data", wantHits: 2, waits: []time.Duration{750 * time.Millisecond}},
		{name: "connection closed without an answer, then ok",
			steps:    steps(hangup, body("data")),
			wantBody: "data", wantHits: 2, waits: []time.Duration{750 * time.Millisecond}},
		{name: "body fails its check, then ok",
			steps:    steps(body("bad"), body("good")),
			verify:   func(p string) error { return want(p, "good") },
			wantBody: "good", wantHits: 2, waits: []time.Duration{750 * time.Millisecond}},
		{name: "404 is not retried",
			steps:   steps(status(404)),
			wantErr: "HTTP 404 Not Found", wantHits: 1},
		{name: "attempts are bounded, waits capped",
			steps:    steps(status(503)),
			wantErr:  "HTTP 503 Service Unavailable (4 attempts)",
			wantHits: 4, waits: []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond, 3 * time.Second}},
		{name: "the NVD message header is kept",
			steps:   steps(status(400, "message", "Invalid apiKey")),
			wantErr: "HTTP 400 Bad Request: Invalid apiKey", wantHits: 1},
		{name: "304 writes nothing", steps: steps(status(304)), wantHits: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &script{steps: c.steps}
			srv := httptest.NewServer(s)
			defer srv.Close()
			var waits []time.Duration
			cl := client(&waits)
			path := filepath.Join(t.TempDir(), "out")
			u := srv.URL + "/feed.json"
			res, err := cl.Get(context.Background(), Request{URL: u, Path: path, Verify: c.verify})
			if c.wantErr != "" {
				var de *Error
				if !errors.As(err, &de) || !strings.Contains(err.Error(), c.wantErr) || !strings.Contains(err.Error(), u) {
					t.Fatalf("error %v, want *Error naming %s with %q", err, u, c.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if c.wantBody != "" {
				if err := want(path, c.wantBody); err != nil {
					t.Error(err)
				}
				if res.Status != 200 || res.Attempts != c.wantHits {
					t.Errorf("result %+v", res)
				}
			}
			if s.hits != c.wantHits {
				t.Errorf("%d requests, want %d", s.hits, c.wantHits)
			}
			if fmt.Sprint(waits) != fmt.Sprint(c.waits) {
				t.Errorf("waits %v, want %v", waits, c.waits)
			}
		})
	}
}

func steps(s ...func(http.ResponseWriter, *http.Request)) []func(http.ResponseWriter, *http.Request) {
	return s
}

func want(path, content string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if string(b) != content {
		return fmt.Errorf("%s holds %q, want %q", path, b, content)
	}
	return nil
}

// TestBackoffJitter checks the bounds of every wait: half to all of the
// doubled base, never more than MaxDelay.
func TestBackoffJitter(t *testing.T) {
	pol := Policy{BaseDelay: time.Second, MaxDelay: 20 * time.Second}.withDefaults()
	for _, r := range []float64{0, 0.999999} {
		c := &Client{Rand: func() float64 { return r }}
		for n := 1; n <= 40; n++ {
			full := min(time.Second<<min(n-1, 30), 20*time.Second)
			d := c.backoff(pol, n)
			if d < full/2 || d > full {
				t.Errorf("rand %v attempt %d: wait %v outside [%v, %v]", r, n, d, full/2, full)
			}
		}
	}
}

// TestUnreachable names the URL of a server that is gone.
func TestUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL + "/x"
	srv.Close()
	var waits []time.Duration
	_, err := client(&waits).Get(context.Background(), Request{URL: u, Path: filepath.Join(t.TempDir(), "out")})
	if err == nil || !strings.Contains(err.Error(), "GET "+u+": cannot be reached") || len(waits) != 3 {
		t.Fatalf("error %v, waits %v", err, waits)
	}
}

// TestCancelStopsWaiting returns the context's error, not a network one,
// when the context ends during a wait.
func TestCancelStopsWaiting(t *testing.T) {
	srv := httptest.NewServer(&script{steps: steps(status(503))})
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{Policy: Policy{BaseDelay: time.Hour, MaxDelay: time.Hour}, OnRetry: func(Retry) { cancel() }}
	_, err := c.Get(ctx, Request{URL: srv.URL, Path: filepath.Join(t.TempDir(), "out")})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	var de *Error
	if errors.As(err, &de) {
		t.Errorf("an interruption reported as a download error: %v", err)
	}
}

// FuzzRetryAfter: any header value gives no wait (-1) or a wait, never a
// negative one or a panic; delay-seconds are capped at a year.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"0", "120", "-5", "99999999999999999999", "Wed, 21 Oct 2015 07:28:00 GMT", "Sun Nov  6 08:49:37 1994", "soon", ""} {
		f.Add(s)
	}
	c := &Client{Now: func() time.Time { return fixedNow }}
	f.Fuzz(func(t *testing.T, v string) {
		d := c.retryAfter(v)
		_, numErr := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if d < -1 || numErr == nil && d > 365*24*time.Hour {
			t.Errorf("retryAfter(%q) = %v", v, d)
		}
	})
}
