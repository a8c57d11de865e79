// Package update downloads vulnerability data from its public sources (the
// NVD CVE API 2.0, OSV ecosystem exports, the CISA KEV catalog, FIRST EPSS
// scores) and imports it. Every download is conditional (ETag,
// If-Modified-Since), retried with back-off (package download), and NVD
// resumes from the last update (lastModStartDate).
//
// Install never changes the database in place: it fills a work copy beside
// it (<db>.update), committing each NVD page and each other source together
// with the progress made, and renames the copy over the database only when
// every source is in and the copy passes its checks. A failure or an
// interruption leaves the database as it was, and the next run continues
// the work copy from its last commit.
package update

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/thingsec/thingsec/internal/vuln/db"
	"github.com/thingsec/thingsec/internal/vuln/download"
	"github.com/thingsec/thingsec/internal/vuln/feed"
	"github.com/thingsec/thingsec/internal/vuln/nvd"
)

// Default source locations.
const (
	DefaultNVDURL  = "https://services.nvd.nist.gov/rest/json/cves/2.0"
	DefaultOSVURL  = "https://osv-vulnerabilities.storage.googleapis.com"
	DefaultKEVURL  = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
	DefaultEPSSURL = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"
	// EnvNVDAPIKey holds an NVD API key (higher rate limit).
	EnvNVDAPIKey = "THINGSEC_NVD_API_KEY"
)

// DefaultOSVEcosystems are the OSV exports fetched by default: what
// firmware and its tools are made of.
var DefaultOSVEcosystems = []string{"Go", "Debian", "Alpine"}

// Config says what to fetch from where.
type Config struct {
	Sources       []string // of nvd, osv, kev, epss; empty: all
	NVDURL        string
	NVDAPIKey     string
	NVDPageSize   int           // default 2000, the API's maximum
	NVDDelay      time.Duration // between NVD requests; default 6s, 0.6s with a key (the API's published limits)
	OSVURL        string        // base; <base>/<ecosystem>/all.zip
	OSVEcosystems []string
	KEVURL        string
	EPSSURL       string
	Client        *http.Client
	// Retry bounds the retries of each request (download.Policy defaults).
	Retry download.Policy
	// Sleep replaces the waits between requests and retries (tests).
	Sleep    func(ctx context.Context, d time.Duration) error
	Now      func() time.Time
	Progress func(msg string) // optional
	// Retried is told about every retry (optional; Progress is too).
	Retried func(download.Retry)
}

func (c *Config) defaults() {
	if len(c.Sources) == 0 {
		c.Sources = []string{feed.KindNVD, feed.KindOSV, feed.KindKEV, feed.KindEPSS}
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.NVDURL, DefaultNVDURL)
	def(&c.OSVURL, DefaultOSVURL)
	def(&c.KEVURL, DefaultKEVURL)
	def(&c.EPSSURL, DefaultEPSSURL)
	if c.NVDPageSize == 0 {
		c.NVDPageSize = 2000
	}
	if c.NVDDelay == 0 {
		c.NVDDelay = 6 * time.Second
		if c.NVDAPIKey != "" {
			c.NVDDelay = 600 * time.Millisecond
		}
	}
	if len(c.OSVEcosystems) == 0 {
		c.OSVEcosystems = DefaultOSVEcosystems
	}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: 10 * time.Minute}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Progress == nil {
		c.Progress = func(string) {}
	}
}

func (c *Config) downloader(extraRetry ...int) *download.Client {
	pol := c.Retry
	pol.RetryStatus = append(slices.Clone(pol.RetryStatus), extraRetry...)
	return &download.Client{
		HTTP: c.Client, Policy: pol, Sleep: c.Sleep, Now: c.Now,
		OnRetry: func(r download.Retry) {
			c.Progress(fmt.Sprintf("retrying %s in %s (attempt %d failed: %s)", r.URL, r.Wait.Round(time.Second), r.Attempt, r.Reason))
			if c.Retried != nil {
				c.Retried(r)
			}
		},
	}
}

func (c *Config) sleep(ctx context.Context, d time.Duration) error {
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

// SourceError is a source that could not be downloaded or read: a network,
// mirror or proxy problem for the user to fix, never a bug. It names the
// URL.
type SourceError struct {
	Source string
	URL    string
	Err    error
}

func (e *SourceError) Error() string {
	var de *download.Error
	if errors.As(e.Err, &de) {
		return fmt.Sprintf("source %s: %v", e.Source, e.Err)
	}
	return fmt.Sprintf("source %s (%s): %v", e.Source, e.URL, e.Err)
}

func (e *SourceError) Unwrap() error { return e.Err }

// SourceResult is what one source brought.
type SourceResult struct {
	Name      string
	Unchanged bool // 304 Not Modified
	Records   int
	// Resumed counts the records an interrupted run had already imported
	// (included in Records).
	Resumed int
}

// progress is the state of an update, stored in the database it fills.
type progress struct {
	// Base identifies the database the work copy was made from (see
	// fingerprint); a work copy of another base is not resumed.
	Base string `json:"base"`
	// Started is when the update began.
	Started time.Time `json:"started"`
	// Done lists the sources fully imported, Records what each brought.
	Done      map[string]bool `json:"done"`
	Unchanged map[string]bool `json:"unchanged"`
	Records   map[string]int  `json:"records"`
	NVD       *nvdProgress    `json:"nvd,omitempty"`
	// resumed is Records as loaded (not stored).
	resumed map[string]int
}

// nvdProgress is how far the NVD API paging got.
type nvdProgress struct {
	URL     string   `json:"url"`
	Windows []window `json:"windows"` // lastMod ranges; one empty window: everything
	Window  int      `json:"window"`  // the window being paged
	Next    int      `json:"next"`    // its next startIndex
	Total   int      `json:"total"`   // its totalResults, as last seen
	Pages   int      `json:"pages"`   // pages imported so far
	// Until is the end of the lastMod range the windows cover: when the
	// paging began, so that nothing modified while pages were fetched is
	// missed. It becomes the cursor of the next update.
	Until time.Time `json:"until"`
}

// staleAfter is how old the data of an interrupted run may be and still
// be installed as it is: older, a resumed run fetches the other sources
// again (conditionally) and adds an NVD window up to now.
const staleAfter = time.Hour

type window struct {
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

func newProgress(base string, now time.Time) *progress {
	return &progress{Base: base, Started: now.UTC(), Done: map[string]bool{}, Unchanged: map[string]bool{}, Records: map[string]int{}, resumed: map[string]int{}}
}

func loadProgress(ctx context.Context, d *db.DB) (*progress, bool, error) {
	s, ok, err := d.WorkState(ctx)
	if err != nil || !ok {
		return nil, false, err
	}
	var p progress
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return nil, false, fmt.Errorf("update progress in %s: %w", d.Path(), err)
	}
	for _, m := range []*map[string]bool{&p.Done, &p.Unchanged} {
		if *m == nil {
			*m = map[string]bool{}
		}
	}
	if p.Records == nil {
		p.Records = map[string]int{}
	}
	p.resumed = map[string]int{}
	for k, v := range p.Records {
		p.resumed[k] = v
	}
	return &p, true, nil
}

func (p *progress) put(tx *db.Tx) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return tx.PutWorkState(string(b))
}

// Update fetches every configured source and imports it into d, one
// transaction per NVD page and per other source, each with the progress
// made. Run again on the same d after a failure, it continues where the
// last commit left off. On success the progress is removed. Install wraps
// it so that the database in use never sees a partial update.
func Update(ctx context.Context, d *db.DB, cfg Config) ([]SourceResult, error) {
	cfg.defaults()
	p, ok, err := loadProgress(ctx, d)
	if err != nil {
		return nil, err
	}
	if !ok {
		p = newProgress("", cfg.Now())
	}
	return update(ctx, d, &cfg, p)
}

func update(ctx context.Context, d *db.DB, cfg *Config, p *progress) ([]SourceResult, error) {
	for _, s := range cfg.Sources {
		switch s {
		case feed.KindNVD, feed.KindOSV, feed.KindKEV, feed.KindEPSS:
		default:
			return nil, fmt.Errorf("unknown source %q: want nvd, osv, kev or epss", s)
		}
	}
	tmp, err := os.MkdirTemp("", "thingsec-update-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	var names []string
	for _, s := range cfg.Sources {
		var err error
		switch s {
		case feed.KindNVD:
			names = append(names, "nvd")
			err = fetchNVD(ctx, d, cfg, tmp, p)
		case feed.KindOSV:
			for _, eco := range cfg.OSVEcosystems {
				u := strings.TrimSuffix(cfg.OSVURL, "/") + "/" + url.PathEscape(eco) + "/all.zip"
				names = append(names, "osv "+eco)
				if err = fetchFile(ctx, d, cfg, tmp, p, "osv "+eco, feed.KindOSV, u); err != nil {
					break
				}
			}
		case feed.KindKEV:
			names = append(names, "kev")
			err = fetchFile(ctx, d, cfg, tmp, p, "kev", feed.KindKEV, cfg.KEVURL)
		case feed.KindEPSS:
			names = append(names, "epss")
			err = fetchFile(ctx, d, cfg, tmp, p, "epss", feed.KindEPSS, cfg.EPSSURL)
		}
		if err != nil {
			return nil, err
		}
	}
	var results []SourceResult
	for _, n := range names {
		results = append(results, SourceResult{Name: n, Unchanged: p.Unchanged[n], Records: p.Records[n], Resumed: p.resumed[n]})
	}
	if err := d.DropWorkState(ctx); err != nil {
		return nil, err
	}
	return results, nil
}

// fetchFile downloads one file conditionally and imports it, with its
// source state and the progress, in one transaction.
func fetchFile(ctx context.Context, d *db.DB, cfg *Config, tmp string, p *progress, name, kind, u string) error {
	old, _, err := d.SourceByName(ctx, name)
	if err != nil {
		return err
	}
	if p.Done[name] {
		// done by an interrupted run: keep it unless it is old by now
		t, err := time.Parse(time.RFC3339, old.UpdatedAt)
		if err == nil && cfg.Now().Sub(t) <= staleAfter {
			return nil
		}
	}
	state := db.Source{Name: name, Kind: kind, Location: u, ETag: old.ETag, LastModified: old.LastModified, Cursor: old.Cursor, Records: old.Records}
	h := http.Header{}
	if old.ETag != "" {
		h.Set("If-None-Match", old.ETag)
	}
	if old.LastModified != "" {
		h.Set("If-Modified-Since", old.LastModified)
	}
	cfg.Progress("downloading " + name + " from " + u)
	base := filepath.Base(u)
	if pu, err := url.Parse(u); err == nil {
		base = filepath.Base(pu.Path) // keeps .gz and .zip, which the import goes by
	}
	path := filepath.Join(tmp, strings.ReplaceAll(name, " ", "-")+"-"+base)
	res, err := cfg.downloader().Get(ctx, download.Request{URL: u, Header: h, Path: path, Verify: checkComplete})
	if err != nil {
		return sourceErr(name, u, err)
	}
	unchanged := res.Status == http.StatusNotModified
	if !unchanged {
		state.ETag = res.Header.Get("ETag")
		state.LastModified = res.Header.Get("Last-Modified")
	}
	return d.Import(ctx, func(tx *db.Tx) error {
		if !unchanged {
			cfg.Progress("importing " + name)
			st := feed.Stats{}
			if err := feed.ImportPath(ctx, tx, path, st); err != nil {
				return sourceErr(name, u, err)
			}
			state.Records = st.Total()
		}
		state.UpdatedAt = cfg.Now().UTC().Format(time.RFC3339)
		if err := tx.PutSource(state); err != nil {
			return err
		}
		if !(p.Done[name] && unchanged) { // a 304 to a rerun keeps what the first run brought
			p.Unchanged[name] = unchanged
		}
		p.Done[name] = true
		if !unchanged {
			p.Records[name] = state.Records
		}
		return p.put(tx)
	})
}

// sourceErr wraps a download or import failure; an interruption stays one.
func sourceErr(name, u string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &SourceError{Source: name, URL: u, Err: err}
}

// nvdTime is the date format of the NVD API's lastMod parameters.
const nvdTime = "2006-01-02T15:04:05.000Z"

// maxNVDWindow is the longest lastMod range the NVD API accepts.
const maxNVDWindow = 120 * 24 * time.Hour

// fetchNVD pages through the NVD API: everything the first time, then only
// what changed since the cursor, in windows the API accepts. Each page is
// imported with the paging state, so an interrupted run resumes at the
// first page it had not imported.
func fetchNVD(ctx context.Context, d *db.DB, cfg *Config, tmp string, p *progress) error {
	const name = "nvd"
	if p.Done[name] {
		// done by an interrupted run: keep it unless it is old by now
		if p.NVD == nil || cfg.Now().Sub(p.NVD.Until) <= staleAfter {
			return nil
		}
		p.Done[name] = false
	}
	if p.NVD == nil || p.NVD.URL != cfg.NVDURL {
		old, _, err := d.SourceByName(ctx, name)
		if err != nil {
			return err
		}
		now := cfg.Now().UTC()
		windows, err := nvdWindows(old.Cursor, now)
		if err != nil {
			return err
		}
		p.NVD = &nvdProgress{URL: cfg.NVDURL, Windows: windows, Until: now}
		p.Records[name] = 0
	} else {
		if p.NVD.Pages > 0 {
			cfg.Progress(fmt.Sprintf("nvd: resuming an interrupted download after %d pages", p.NVD.Pages))
		}
		// an old interruption: also fetch what changed since it began
		if now := cfg.Now().UTC(); now.Sub(p.NVD.Until) > staleAfter {
			more, err := nvdWindows(p.NVD.Until.Format(nvdTime), now)
			if err != nil {
				return err
			}
			p.NVD.Windows = append(p.NVD.Windows, more...)
			p.NVD.Until = now
		}
	}
	n := p.NVD
	// the NVD API answers 403 when its rate limit is exceeded
	dl := cfg.downloader(http.StatusForbidden)
	requests := 0
	for n.Window < len(n.Windows) {
		w := n.Windows[n.Window]
		q := url.Values{}
		q.Set("startIndex", strconv.Itoa(n.Next))
		q.Set("resultsPerPage", strconv.Itoa(cfg.NVDPageSize))
		if w.From != "" {
			q.Set("lastModStartDate", w.From)
			q.Set("lastModEndDate", w.To)
		}
		u := cfg.NVDURL + "?" + q.Encode()
		if requests > 0 {
			if err := cfg.sleep(ctx, cfg.NVDDelay); err != nil {
				return err
			}
		}
		requests++
		path := filepath.Join(tmp, fmt.Sprintf("nvd-%d.json", n.Pages))
		var page nvd.Page
		h := http.Header{}
		if cfg.NVDAPIKey != "" {
			h.Set("apiKey", cfg.NVDAPIKey)
		}
		start := n.Next
		_, err := dl.Get(ctx, download.Request{URL: u, Header: h, Path: path, Verify: func(path string) error {
			var err error
			page, err = checkPage(path, start)
			return err
		}})
		if err != nil {
			return sourceErr(name, cfg.NVDURL, err)
		}
		err = d.Import(ctx, func(tx *db.Tx) error {
			st := feed.Stats{}
			if err := feed.ImportPath(ctx, tx, path, st); err != nil {
				return sourceErr(name, u, err)
			}
			p.Records[name] += st.Total()
			n.Pages++
			n.Next += page.ResultsPerPage
			n.Total = page.TotalResults
			if page.ResultsPerPage <= 0 || n.Next >= n.Total {
				n.Window, n.Next, n.Total = n.Window+1, 0, 0
			}
			return p.put(tx)
		})
		if err != nil {
			return err
		}
		os.Remove(path)
		cfg.Progress(fmt.Sprintf("nvd: %d of %d records", min(start+page.ResultsPerPage, page.TotalResults), page.TotalResults))
	}
	c, err := d.Counts(ctx)
	if err != nil {
		return err
	}
	return d.Import(ctx, func(tx *db.Tx) error {
		at := n.Until.Format(time.RFC3339)
		st := db.Source{Name: name, Kind: feed.KindNVD, Location: cfg.NVDURL, UpdatedAt: at, Records: c.NVD, Cursor: n.Until.Format(nvdTime)}
		if err := tx.PutSource(st); err != nil {
			return err
		}
		p.Done[name] = true
		return p.put(tx)
	})
}

// nvdWindows are the lastMod ranges from cursor to now; one empty window
// (everything) without a cursor.
func nvdWindows(cursor string, now time.Time) ([]window, error) {
	if cursor == "" {
		return []window{{}}, nil
	}
	start, err := time.Parse(nvdTime, cursor)
	if err != nil {
		return nil, fmt.Errorf("source nvd: bad stored cursor %q: %w", cursor, err)
	}
	var ws []window
	for s := start; s.Before(now); s = s.Add(maxNVDWindow) {
		e := s.Add(maxNVDWindow)
		if e.After(now) {
			e = now
		}
		ws = append(ws, window{s.Format(nvdTime), e.Format(nvdTime)})
	}
	return ws, nil // none when the cursor is now: the cursor still moves on
}

// checkPage reads a whole API page: it must be complete JSON, start where
// it was asked to and hold as many records as it says.
func checkPage(path string, start int) (nvd.Page, error) {
	f, err := os.Open(path)
	if err != nil {
		return nvd.Page{}, err
	}
	defer f.Close()
	page, n, err := nvd.Decode(f, func(nvd.Record) error { return nil })
	if err != nil {
		return page, err
	}
	if page.StartIndex != start {
		return page, fmt.Errorf("page starts at %d, asked for %d", page.StartIndex, start)
	}
	if n != page.ResultsPerPage {
		return page, fmt.Errorf("page holds %d records, says %d", n, page.ResultsPerPage)
	}
	return page, nil
}

// checkComplete catches a download cut short that HTTP did not (a server
// that closes without a length): a zip must have its central directory, a
// gzip stream its trailer, a JSON document its end. Other files (CSV) are
// left to the import.
func checkComplete(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	head, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		st, err := f.Stat()
		if err != nil {
			return err
		}
		_, err = zip.NewReader(f, st.Size())
		return err
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, zr)
		return err
	case len(head) > 0 && (head[0] == '{' || head[0] == '['):
		dec := json.NewDecoder(br)
		depth := 0
		for {
			tok, err := dec.Token()
			if err != nil {
				return fmt.Errorf("JSON ends early: %w", err)
			}
			if d, ok := tok.(json.Delim); ok {
				if d == '{' || d == '[' {
					depth++
				} else {
					depth--
				}
			}
			if depth == 0 {
				return nil
			}
		}
	}
	return nil
}
