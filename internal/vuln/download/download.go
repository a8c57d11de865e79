// Package download fetches one URL into a file, retrying what is worth
// retrying: connection failures, a body cut off mid-transfer, a body that
// fails its check, and the statuses a busy server answers (429, 500, 502,
// 503, 504). Waits grow exponentially with jitter; a server's Retry-After
// (seconds or an HTTP date) is honoured up to a bound; the attempts per URL
// are bounded. Every error names the URL.
package download

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Policy bounds the retries of one download.
type Policy struct {
	Attempts      int           // tries per URL, the first included; default 6
	BaseDelay     time.Duration // wait before the second try; default 2s, doubled per try
	MaxDelay      time.Duration // longest wait between tries; default 2m
	MaxRetryAfter time.Duration // longest Retry-After honoured (longer: give up); default 15m
	// RetryStatus lists statuses retried besides 429, 500, 502, 503, 504
	// (the NVD API answers 403 when its rate limit is exceeded).
	RetryStatus []int
}

func (p Policy) withDefaults() Policy {
	if p.Attempts <= 0 {
		p.Attempts = 6
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 2 * time.Second
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 2 * time.Minute
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = 15 * time.Minute
	}
	return p
}

// Client downloads with retries. The zero value is usable.
type Client struct {
	HTTP   *http.Client // default http.DefaultClient
	Policy Policy
	// OnRetry is told about every retry before its wait (progress, logs).
	OnRetry func(Retry)
	// Tests replace these.
	Sleep func(ctx context.Context, d time.Duration) error
	Rand  func() float64 // in [0, 1)
	Now   func() time.Time
}

// Retry describes one retry: which attempt failed, why, and the wait.
type Retry struct {
	URL     string
	Attempt int // the attempt that failed, from 1
	Wait    time.Duration
	Reason  string
	// RetryAfter is true when the wait is the server's Retry-After.
	RetryAfter bool
}

// Request is one GET.
type Request struct {
	URL    string
	Header http.Header
	// Path receives a 200 body; it is truncated before every attempt.
	Path string
	// Verify checks a complete 200 body in Path; an error is retried
	// like a cut-off transfer (optional).
	Verify func(path string) error
}

// Result is a finished download.
type Result struct {
	Status   int // 200, or 304 Not Modified (nothing written)
	Header   http.Header
	Attempts int
}

// Error is a download that failed for good.
type Error struct {
	URL      string
	Attempts int
	Status   int // the last HTTP status, 0 when none was received
	Err      error
}

func (e *Error) Error() string {
	tries := ""
	if e.Attempts > 1 {
		tries = fmt.Sprintf(" (%d attempts)", e.Attempts)
	}
	return fmt.Sprintf("GET %s: %v%s", e.URL, e.Err, tries)
}

func (e *Error) Unwrap() error { return e.Err }

// Get downloads req, retrying under the client's policy. A context that
// ends stops the waits and the transfer; its error is returned unwrapped
// by Error so that callers see an interruption, not a network failure.
func (c *Client) Get(ctx context.Context, req Request) (Result, error) {
	pol := c.Policy.withDefaults()
	var last *Error
	for attempt := 1; ; attempt++ {
		res, wait, fail := c.try(ctx, req, pol)
		if fail == nil {
			res.Attempts = attempt
			return res, nil
		}
		if ctx.Err() != nil {
			return Result{}, ctx.Err()
		}
		last = &Error{URL: req.URL, Attempts: attempt, Status: fail.status, Err: fail.err}
		if !fail.retry || attempt >= pol.Attempts {
			return Result{}, last
		}
		fromServer := wait >= 0
		if !fromServer {
			wait = c.backoff(pol, attempt)
		} else if wait > pol.MaxRetryAfter {
			last.Err = fmt.Errorf("%w; the server asks to retry after %s, longer than the %s this client waits", fail.err, wait.Round(time.Second), pol.MaxRetryAfter)
			return Result{}, last
		}
		if c.OnRetry != nil {
			c.OnRetry(Retry{URL: req.URL, Attempt: attempt, Wait: wait, Reason: fail.err.Error(), RetryAfter: fromServer})
		}
		if err := c.sleep(ctx, wait); err != nil {
			return Result{}, err
		}
	}
}

// backoff is the wait after the failed attempt n (from 1): BaseDelay
// doubled per attempt, at most MaxDelay, of which a random half is
// dropped ("equal jitter") so that many clients do not retry in step.
func (c *Client) backoff(pol Policy, n int) time.Duration {
	d := pol.MaxDelay
	if n-1 < 30 {
		d = min(pol.BaseDelay<<(n-1), pol.MaxDelay)
	}
	r := rand.Float64
	if c.Rand != nil {
		r = c.Rand
	}
	return d/2 + time.Duration(r()*float64(d/2))
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// failure is one failed attempt. try returns it with the server's
// Retry-After, or -1 when there is none.
type failure struct {
	err    error
	status int
	retry  bool
}

func (c *Client) try(ctx context.Context, req Request, pol Policy) (Result, time.Duration, *failure) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, req.URL, nil)
	if err != nil {
		return Result{}, -1, &failure{err: err}
	}
	for k, vs := range req.Header {
		hreq.Header[k] = slices.Clone(vs)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(hreq)
	if err != nil {
		return Result{}, -1, &failure{err: fmt.Errorf("cannot be reached: %w", unwrapURL(err)), retry: true}
	}
	defer resp.Body.Close()
	res := Result{Status: resp.StatusCode, Header: resp.Header}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return res, -1, nil
	case resp.StatusCode != http.StatusOK:
		f := &failure{status: resp.StatusCode, err: fmt.Errorf("HTTP %s%s", resp.Status, message(resp))}
		f.retry = retryable(resp.StatusCode, pol)
		wait := time.Duration(-1)
		if f.retry {
			wait = c.retryAfter(resp.Header.Get("Retry-After"))
		}
		return res, wait, f
	}
	if readErr, err := save(resp.Body, req.Path); readErr != nil {
		return res, -1, &failure{status: resp.StatusCode, err: fmt.Errorf("transfer cut off: %w", readErr), retry: true}
	} else if err != nil {
		return res, -1, &failure{status: resp.StatusCode, err: err} // local: retrying does not help
	}
	if req.Verify != nil {
		if err := req.Verify(req.Path); err != nil {
			return res, -1, &failure{status: resp.StatusCode, err: fmt.Errorf("incomplete or corrupt response: %w", err), retry: true}
		}
	}
	return res, -1, nil
}

func retryable(status int, pol Policy) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return slices.Contains(pol.RetryStatus, status)
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date
// (RFC 9110, 10.2.3); -1 when absent or unreadable. A date in the past is
// no wait.
func (c *Client) retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return -1
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return -1
		}
		return time.Duration(min(n, int64(365*24*3600))) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return -1
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	return max(t.Sub(now()), 0)
}

// message is the explanation a server gives beside an error status: the
// NVD API's "message" header, else the start of a short text body.
func message(resp *http.Response) string {
	if m := resp.Header.Get("message"); m != "" {
		return ": " + oneLine(m, 200)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	if s := oneLine(string(b), 200); s != "" {
		return ": " + s
	}
	return ""
}

func oneLine(s string, n int) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if len(s) > n {
		s = s[:n]
	}
	return s
}

// unwrapURL drops the *url.Error layer, which repeats the method and URL
// that Error names anyway.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// save writes r to path; readErr is the network's failure, err a local one.
func save(r io.Reader, path string) (readErr, err error) {
	out, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	src := &errReader{r: r}
	_, err = io.Copy(out, src)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if src.err != nil {
		return src.err, nil
	}
	return nil, err
}

// errReader remembers the error of the reader it wraps.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}
