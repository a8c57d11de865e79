// Package update downloads vulnerability data from its public sources (the
// NVD CVE API 2.0, OSV ecosystem exports, the CISA KEV catalog, FIRST EPSS
// scores) and imports it. Every download is conditional (ETag,
// If-Modified-Since) and NVD resumes from the last update
// (lastModStartDate). All sources are fetched before anything is written,
// and the import is one transaction: a source that cannot be reached is an
// error naming it, and the database keeps its previous state.
package update

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/thingsec/thingsec/internal/vuln/db"
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
	Now           func() time.Time
	Progress      func(msg string) // optional
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

// SourceResult is what one source brought.
type SourceResult struct {
	Name      string
	Unchanged bool // 304 Not Modified
	Records   int
}

// fetched is one downloaded source waiting to be imported.
type fetched struct {
	state db.Source
	files []string
}

// Update fetches every configured source, then imports them all in one
// transaction.
func Update(ctx context.Context, d *db.DB, cfg Config) ([]SourceResult, error) {
	cfg.defaults()
	tmp, err := os.MkdirTemp("", "thingsec-update-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	now := cfg.Now().UTC()
	var all []fetched
	for _, s := range cfg.Sources {
		var fs []fetched
		var err error
		switch s {
		case feed.KindNVD:
			var f fetched
			f, err = fetchNVD(ctx, d, &cfg, tmp, now)
			fs = []fetched{f}
		case feed.KindOSV:
			for _, eco := range cfg.OSVEcosystems {
				u := strings.TrimSuffix(cfg.OSVURL, "/") + "/" + url.PathEscape(eco) + "/all.zip"
				var f fetched
				if f, err = fetchFile(ctx, d, &cfg, tmp, "osv "+eco, feed.KindOSV, u); err != nil {
					break
				}
				fs = append(fs, f)
			}
		case feed.KindKEV:
			var f fetched
			f, err = fetchFile(ctx, d, &cfg, tmp, "kev", feed.KindKEV, cfg.KEVURL)
			fs = []fetched{f}
		case feed.KindEPSS:
			var f fetched
			f, err = fetchFile(ctx, d, &cfg, tmp, "epss", feed.KindEPSS, cfg.EPSSURL)
			fs = []fetched{f}
		default:
			return nil, fmt.Errorf("unknown source %q: want nvd, osv, kev or epss", s)
		}
		if err != nil {
			return nil, err
		}
		all = append(all, fs...)
	}
	var results []SourceResult
	err = d.Import(ctx, func(tx *db.Tx) error {
		for _, f := range all {
			r := SourceResult{Name: f.state.Name, Unchanged: len(f.files) == 0}
			st := feed.Stats{}
			for _, file := range f.files {
				cfg.Progress("importing " + f.state.Name)
				if err := feed.ImportPath(ctx, tx, file, st); err != nil {
					return fmt.Errorf("source %s: %w", f.state.Name, err)
				}
			}
			r.Records = st.Total()
			state := f.state
			if !r.Unchanged {
				state.Records = r.Records
			}
			state.UpdatedAt = now.Format(time.RFC3339)
			if err := tx.PutSource(state); err != nil {
				return err
			}
			results = append(results, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// fetchFile downloads one file conditionally; no files means unchanged.
func fetchFile(ctx context.Context, d *db.DB, cfg *Config, tmp, name, kind, u string) (fetched, error) {
	old, _, err := d.SourceByName(ctx, name)
	if err != nil {
		return fetched{}, err
	}
	f := fetched{state: db.Source{Name: name, Kind: kind, Location: u, ETag: old.ETag, LastModified: old.LastModified, Cursor: old.Cursor, Records: old.Records}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return f, fmt.Errorf("source %s: %w", name, err)
	}
	if old.ETag != "" {
		req.Header.Set("If-None-Match", old.ETag)
	}
	if old.LastModified != "" {
		req.Header.Set("If-Modified-Since", old.LastModified)
	}
	cfg.Progress("downloading " + name + " from " + u)
	resp, err := cfg.Client.Do(req)
	if err != nil {
		return f, fmt.Errorf("source %s (%s) cannot be reached: %w", name, u, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNotModified:
		return f, nil
	case http.StatusOK:
	default:
		return f, fmt.Errorf("source %s (%s): HTTP %s", name, u, resp.Status)
	}
	path := filepath.Join(tmp, fmt.Sprintf("%d-%s", time.Now().UnixNano(), filepath.Base(req.URL.Path)))
	if err := save(resp.Body, path); err != nil {
		return f, fmt.Errorf("source %s (%s): download failed: %w", name, u, err)
	}
	f.files = []string{path}
	f.state.ETag = resp.Header.Get("ETag")
	f.state.LastModified = resp.Header.Get("Last-Modified")
	return f, nil
}

func save(r io.Reader, path string) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// nvdTime is the date format of the NVD API's lastMod parameters.
const nvdTime = "2006-01-02T15:04:05.000Z"

// maxNVDWindow is the longest lastMod range the NVD API accepts.
const maxNVDWindow = 120 * 24 * time.Hour

// fetchNVD pages through the NVD API: everything the first time, then only
// what changed since the cursor, in windows the API accepts.
func fetchNVD(ctx context.Context, d *db.DB, cfg *Config, tmp string, now time.Time) (fetched, error) {
	name := "nvd"
	old, _, err := d.SourceByName(ctx, name)
	if err != nil {
		return fetched{}, err
	}
	f := fetched{state: db.Source{Name: name, Kind: feed.KindNVD, Location: cfg.NVDURL, Cursor: now.Format(nvdTime), Records: old.Records}}
	type window struct{ from, to string }
	windows := []window{{}}
	if old.Cursor != "" {
		start, err := time.Parse(nvdTime, old.Cursor)
		if err != nil {
			return f, fmt.Errorf("source nvd: bad stored cursor %q: %w", old.Cursor, err)
		}
		windows = nil
		for s := start; s.Before(now); s = s.Add(maxNVDWindow) {
			e := s.Add(maxNVDWindow)
			if e.After(now) {
				e = now
			}
			windows = append(windows, window{s.Format(nvdTime), e.Format(nvdTime)})
		}
	}
	requests := 0
	for _, w := range windows {
		for start, total := 0, 1; start < total; {
			q := url.Values{}
			q.Set("startIndex", strconv.Itoa(start))
			q.Set("resultsPerPage", strconv.Itoa(cfg.NVDPageSize))
			if w.from != "" {
				q.Set("lastModStartDate", w.from)
				q.Set("lastModEndDate", w.to)
			}
			u := cfg.NVDURL + "?" + q.Encode()
			if requests > 0 {
				select {
				case <-time.After(cfg.NVDDelay):
				case <-ctx.Done():
					return f, ctx.Err()
				}
			}
			requests++
			path := filepath.Join(tmp, fmt.Sprintf("nvd-%d.json", requests))
			page, err := getNVDPage(ctx, cfg, u, path)
			if err != nil {
				return f, err
			}
			f.files = append(f.files, path)
			cfg.Progress(fmt.Sprintf("nvd: %d of %d records", min(start+page.ResultsPerPage, page.TotalResults), page.TotalResults))
			total = page.TotalResults
			if page.ResultsPerPage <= 0 {
				break
			}
			start += page.ResultsPerPage
		}
	}
	if f.files == nil {
		f.files = []string{} // nothing changed, but the cursor moves on
	}
	return f, nil
}

func getNVDPage(ctx context.Context, cfg *Config, u, path string) (nvd.Page, error) {
	var page nvd.Page
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return page, err
	}
	if cfg.NVDAPIKey != "" {
		req.Header.Set("apiKey", cfg.NVDAPIKey)
	}
	resp, err := cfg.Client.Do(req)
	if err != nil {
		return page, fmt.Errorf("source nvd (%s) cannot be reached: %w", cfg.NVDURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg := resp.Header.Get("message") // the NVD API explains errors here
		return page, fmt.Errorf("source nvd (%s): HTTP %s %s", u, resp.Status, msg)
	}
	if err := save(resp.Body, path); err != nil {
		return page, fmt.Errorf("source nvd (%s): download failed: %w", u, err)
	}
	fh, err := os.Open(path)
	if err != nil {
		return page, err
	}
	defer fh.Close()
	page, err = nvd.ReadPage(fh)
	if err != nil {
		return page, fmt.Errorf("source nvd (%s): %w", u, err)
	}
	return page, nil
}
