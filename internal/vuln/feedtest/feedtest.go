// Package feedtest is a stand-in for the public vulnerability sources in
// tests: the NVD CVE API 2.0 (paged by startIndex, filtered by lastMod
// dates) serving a directory of CVE records, and plain files (the CISA
// KEV catalog, ...), with faults injected per request: error statuses
// with or without Retry-After, connections dropped mid-body, pages cut
// short, and requests that hang until the client gives up.
package feedtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server serves the sources. Set its fields before the first request.
type Server struct {
	// Files maps a URL path ("/kev.json") to the file served there.
	Files map[string]string
	// Log, when set, receives one line per request: "GET <path?query> <status>".
	Log io.Writer

	mu       sync.Mutex
	nvd      []json.RawMessage
	modified []time.Time
	faults   []*Fault
	requests []string
	seen     chan struct{}
	held     chan struct{}
}

func (s *Server) holdChan() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held == nil {
		s.held = make(chan struct{})
	}
	return s.held
}

// Release lets the requests a "hold" fault holds (and will hold) go on.
func (s *Server) Release() { close(s.holdChan()) }

// Fault makes matching requests fail.
type Fault struct {
	// Path is the URL path; StartIndex (NVD pages only, -1 any) narrows it.
	Path       string
	StartIndex int
	// Times is how many matching requests fail (0: all).
	Times int
	// Kind: an HTTP status ("503"), "drop" (a body cut off with the
	// connection), "truncate" (a complete response whose JSON stops
	// halfway), "hang" (no answer until the client goes away) or "hold"
	// (the answer waits for Release).
	Kind string
	// RetryAfter is sent with a status ("5", or an HTTP date).
	RetryAfter string
	hits       int
}

// ParseFault reads "PATH[@START]=KIND[xTIMES][,retry-after=VALUE]", e.g.
// "/nvd@20=503x2,retry-after=1" or "/kev.json=drop".
func ParseFault(s string) (*Fault, error) {
	f := &Fault{StartIndex: -1}
	spec, opt, _ := strings.Cut(s, ",")
	if v, ok := strings.CutPrefix(opt, "retry-after="); ok {
		f.RetryAfter = v
	} else if opt != "" {
		return nil, fmt.Errorf("fault %q: unknown option %q", s, opt)
	}
	where, what, ok := strings.Cut(spec, "=")
	if !ok {
		return nil, fmt.Errorf("fault %q: want PATH[@START]=KIND[xTIMES]", s)
	}
	if p, start, ok := strings.Cut(where, "@"); ok {
		n, err := strconv.Atoi(start)
		if err != nil {
			return nil, fmt.Errorf("fault %q: %v", s, err)
		}
		where, f.StartIndex = p, n
	}
	f.Path = where
	if k, times, ok := strings.Cut(what, "x"); ok {
		n, err := strconv.Atoi(times)
		if err != nil {
			return nil, fmt.Errorf("fault %q: %v", s, err)
		}
		what, f.Times = k, n
	}
	f.Kind = what
	return f, nil
}

// LoadNVD reads the CVE records (one "cve" object per .json file) that
// /nvd serves, in file-name order.
func (s *Server) LoadNVD(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var c struct {
			LastModified string `json:"lastModified"`
		}
		if err := json.Unmarshal(b, &c); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		m, err := time.Parse("2006-01-02T15:04:05.000", c.LastModified)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		s.nvd = append(s.nvd, bytes.TrimSpace(b))
		s.modified = append(s.modified, m)
	}
	return nil
}

// NVDRecords is the number of records /nvd serves.
func (s *Server) NVDRecords() int { return len(s.nvd) }

// AddFault adds a fault; the first matching fault with hits left applies.
func (s *Server) AddFault(f *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Requests lists the requests so far ("/nvd?resultsPerPage=...").
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// WaitFor blocks until a request whose path and query contain sub arrives
// (or has arrived), at most timeout.
func (s *Server) WaitFor(sub string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		s.mu.Lock()
		for _, r := range s.requests {
			if strings.Contains(r, sub) {
				s.mu.Unlock()
				return true
			}
		}
		if s.seen == nil {
			s.seen = make(chan struct{})
		}
		seen := s.seen
		s.mu.Unlock()
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		select {
		case <-seen:
		case <-time.After(left):
		}
	}
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	start, _ := strconv.Atoi(q.Get("startIndex"))
	s.mu.Lock()
	req := r.URL.Path
	if r.URL.RawQuery != "" {
		req += "?" + r.URL.RawQuery
	}
	s.requests = append(s.requests, req)
	if s.seen != nil {
		close(s.seen)
		s.seen = nil
	}
	var fault *Fault
	for _, f := range s.faults {
		if f.Path == r.URL.Path && (f.StartIndex < 0 || f.StartIndex == start) && (f.Times == 0 || f.hits < f.Times) {
			f.hits++
			fault = f
			break
		}
	}
	s.mu.Unlock()
	status := 200
	defer func() {
		if s.Log != nil {
			fmt.Fprintf(s.Log, "GET %s %d\n", req, status)
		}
	}()
	var body []byte
	switch {
	case r.URL.Path == "/nvd":
		body = s.page(q, start)
	case s.Files[r.URL.Path] != "":
		b, err := os.ReadFile(s.Files[r.URL.Path])
		if err != nil {
			status = 500
			http.Error(w, err.Error(), status)
			return
		}
		body = b
	default:
		status = 404
		http.NotFound(w, r)
		return
	}
	if fault != nil {
		switch fault.Kind {
		case "drop":
			status = -1
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(200)
			w.Write(body[:len(body)/2])
			if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
				c.Close()
			}
			return
		case "truncate":
			body = body[:len(body)/2]
		case "hang":
			status = -2
			<-r.Context().Done()
			return
		case "hold":
			select {
			case <-s.holdChan():
			case <-r.Context().Done():
				status = -2
				return
			}
		default:
			code, err := strconv.Atoi(fault.Kind)
			if err != nil {
				code = 500
			}
			status = code
			if fault.RetryAfter != "" {
				w.Header().Set("Retry-After", fault.RetryAfter)
			}
			w.WriteHeader(code)
			return
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

const nvdTime = "2006-01-02T15:04:05.000Z"

// page is one NVD API result page.
func (s *Server) page(q map[string][]string, start int) []byte {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	per, _ := strconv.Atoi(get("resultsPerPage"))
	if per <= 0 {
		per = 2000
	}
	var from, to time.Time
	if v := get("lastModStartDate"); v != "" {
		from, _ = time.Parse(nvdTime, v)
		to, _ = time.Parse(nvdTime, get("lastModEndDate"))
	}
	var sel []json.RawMessage
	for i, rec := range s.nvd {
		if from.IsZero() || !s.modified[i].Before(from) && !s.modified[i].After(to) {
			sel = append(sel, rec)
		}
	}
	part := sel[min(start, len(sel)):min(start+per, len(sel))]
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"resultsPerPage":%d,"startIndex":%d,"totalResults":%d,"format":"NVD_CVE","version":"2.0","timestamp":"2026-11-24T00:00:00.000","vulnerabilities":[`, len(part), start, len(sel))
	for i, rec := range part {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"cve":`)
		b.Write(rec)
		b.WriteString(`}`)
	}
	b.WriteString("]}")
	return b.Bytes()
}
