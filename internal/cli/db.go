package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report"
	"github.com/thingsec/thingsec/internal/vuln/db"
	"github.com/thingsec/thingsec/internal/vuln/download"
	"github.com/thingsec/thingsec/internal/vuln/enrich"
	"github.com/thingsec/thingsec/internal/vuln/feed"
	"github.com/thingsec/thingsec/internal/vuln/update"
)

// newDB is "thingsec db": the offline vulnerability database.
func newDB(g *globals) *cobra.Command {
	var dbPath string
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Manage the offline vulnerability database (NVD, OSV, CISA KEV, EPSS)",
		Long: `db manages the local vulnerability database that scans match components
against: one SQLite file, by default in the user cache directory
(` + "`thingsec/vuln.db`" + `), moved with --db-path or $` + db.EnvPath + `.

  update          download from the public sources (NVD API 2.0, OSV exports,
                  CISA KEV, FIRST EPSS), incrementally and conditionally,
                  retried, resumable, never changing the database in place
  import          import local files: NVD CVE API 2.0 JSON (records, feeds,
                  API pages; .json or .json.gz), OSV JSON (files, directories,
                  all.zip), the CISA KEV catalog, EPSS CSV
  status          sources, record counts and age (or the embedded sample's)
  export-bundle   write the database as one file for an air-gapped network
  import-bundle   install such a file

Imports are transactions: a corrupt or truncated file is reported with its
name and position, and the database keeps its previous state.

This product uses data from the NVD API but is not endorsed or certified by the NVD.

` + exitHelp,
		Example: `  thingsec db update
  thingsec db import nvdcve-2.0-2024.json.gz osv/Go/all.zip known_exploited_vulnerabilities.json
  thingsec db status
  thingsec db export-bundle vulndb.gz && thingsec db import-bundle vulndb.gz`,
	}
	cmd.PersistentFlags().StringVar(&dbPath, "db-path", "", "vulnerability database file (default $"+db.EnvPath+" or <user cache dir>/thingsec/vuln.db)")
	cmd.AddCommand(newDBImport(g, &dbPath), newDBUpdate(g, &dbPath), newDBStatus(g, &dbPath), newDBExportBundle(g, &dbPath), newDBImportBundle(g, &dbPath))
	return cmd
}

// openDBForWrite opens (creating if needed) the database at the resolved path.
func openDBForWrite(path string) (*db.DB, error) {
	p, err := db.DefaultPath(path)
	if err != nil {
		return nil, usageError{err}
	}
	d, err := db.Open(p)
	if err != nil {
		return nil, usageError{err}
	}
	return d, nil
}

func (g *globals) progressf(format string, args ...any) {
	if g.progressOn() {
		g.stderr.status(fmt.Sprintf(format, args...))
	}
}

func newDBImport(g *globals, dbPath *string) *cobra.Command {
	return &cobra.Command{
		Use:   "import PATH...",
		Short: "Import local vulnerability data files or directories",
		Example: `  thingsec db import CVE-2022-0934.json nvd-records/
  thingsec db import nvdcve-2.0-2024.json.gz Go-all.zip epss_scores-2025-08-25.csv.gz`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{fmt.Errorf("%s needs at least one PATH", cmd.CommandPath())}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := db.DefaultPath(*dbPath)
			if err != nil {
				return usageError{err}
			}
			_, statErr := os.Stat(p)
			d, err := openDBForWrite(p)
			if err != nil {
				return err
			}
			defer d.Close()
			start := time.Now()
			st, err := feed.ImportPaths(cmd.Context(), d, args, time.Now())
			if err != nil && errors.Is(statErr, fs.ErrNotExist) {
				// a failed first import leaves no empty database behind
				d.Close()
				os.Remove(p)
				os.Remove(p + "-journal")
			}
			if err != nil {
				var fe *feed.Error
				if errors.As(err, &fe) {
					return usageError{fmt.Errorf("import failed, database unchanged: %w", err)}
				}
				return err
			}
			fmt.Fprintf(g.stdout, "imported %s into %s in %s\n", st, d.Path(), time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
}

func newDBUpdate(g *globals, dbPath *string) *cobra.Command {
	var cfg update.Config
	var sources string
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Download vulnerability data from the public sources",
		Long: `update downloads the NVD CVE API 2.0 (all records the first time, then what
changed since the last update), the OSV exports of --osv-ecosystems, the CISA
KEV catalog and the FIRST EPSS scores, with conditional requests. An NVD API
key ($` + update.EnvNVDAPIKey + `) raises the NVD rate limit from 5 to 50
requests per 30 seconds.

The database is never changed in place. The data goes into a work copy
beside it (<db>` + update.WorkSuffix + `), which replaces the database (a rename) only when
every source is in and the copy passes an integrity check. If a source fails
or the update is interrupted (Ctrl-C, SIGTERM, a crash), the database stays
exactly as it was, and so does the work copy: each NVD page is committed to it
with the paging state, so running 'thingsec db update' again continues the
download where it stopped (the first full NVD download is about 160 pages);
continued more than an hour later, it also fetches what changed meanwhile.
The work copy is discarded when the database changed in between.
One update runs at a time (lock file <db>` + update.WorkSuffix + `.lock).

Each request is retried with exponential back-off and jitter on connection
failures, cut-off transfers, and HTTP 429, 500, 502, 503, 504 (and 403, the
NVD API's rate-limit answer), honouring Retry-After, up to --retries
attempts. A source that still fails is exit code 2, with its URL.`,
		Example: `  thingsec db update
  thingsec db update --sources kev,epss
  thingsec db update --nvd-url http://mirror.example/nvd/cves/2.0 --osv-url http://mirror.example/osv`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg.Sources = nil
			for _, s := range strings.Split(sources, ",") {
				if s = strings.TrimSpace(s); s != "" {
					cfg.Sources = append(cfg.Sources, s)
				}
			}
			for _, s := range cfg.Sources {
				switch s {
				case feed.KindNVD, feed.KindOSV, feed.KindKEV, feed.KindEPSS:
				default:
					return usageError{fmt.Errorf("--sources: unknown source %q: want nvd, osv, kev, epss", s)}
				}
			}
			if cfg.Retry.Attempts < 1 || cfg.NVDPageSize < 1 || cfg.NVDDelay < 0 || cfg.Retry.BaseDelay <= 0 {
				return usageError{fmt.Errorf("--retries and --nvd-page-size must be at least 1, --retry-wait positive, --nvd-delay not negative")}
			}
			if cfg.NVDAPIKey == "" {
				cfg.NVDAPIKey = os.Getenv(update.EnvNVDAPIKey)
			}
			cfg.Progress = func(msg string) { g.progressf("%s", msg) }
			cfg.Retried = func(r download.Retry) {
				g.log.Info("retrying", "url", r.URL, "attempt", r.Attempt, "wait", r.Wait.Round(time.Millisecond), "reason", r.Reason, "retry_after", r.RetryAfter)
			}
			p, err := db.DefaultPath(*dbPath)
			if err != nil {
				return usageError{err}
			}
			out, err := update.Install(cmd.Context(), p, cfg)
			g.progressf("")
			if out.Discarded != "" {
				fmt.Fprintf(g.stderr, "thingsec: note: not continuing the earlier update: %s\n", out.Discarded)
			}
			if err != nil {
				return updateError(g, p, out, err)
			}
			if out.Resumed {
				fmt.Fprintf(g.stdout, "continued an interrupted update\n")
			}
			for _, r := range out.Sources {
				switch {
				case r.Unchanged:
					fmt.Fprintf(g.stdout, "%-12s unchanged\n", r.Name)
				case r.Resumed > 0:
					fmt.Fprintf(g.stdout, "%-12s %d records (%d of them before the interruption)\n", r.Name, r.Records, r.Resumed)
				default:
					fmt.Fprintf(g.stdout, "%-12s %d records\n", r.Name, r.Records)
				}
			}
			fmt.Fprintf(g.stdout, "installed %s\n", p)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&sources, "sources", "nvd,osv,kev,epss", "sources to update")
	f.StringVar(&cfg.NVDURL, "nvd-url", update.DefaultNVDURL, "NVD CVE API 2.0 endpoint")
	f.StringVar(&cfg.NVDAPIKey, "nvd-api-key", "", "NVD API key (default $"+update.EnvNVDAPIKey+")")
	f.StringVar(&cfg.OSVURL, "osv-url", update.DefaultOSVURL, "OSV export base URL (<url>/<ecosystem>/all.zip)")
	f.StringSliceVar(&cfg.OSVEcosystems, "osv-ecosystems", update.DefaultOSVEcosystems, "OSV ecosystems to download")
	f.StringVar(&cfg.KEVURL, "kev-url", update.DefaultKEVURL, "CISA KEV catalog URL")
	f.StringVar(&cfg.EPSSURL, "epss-url", update.DefaultEPSSURL, "FIRST EPSS scores URL (CSV, gzip or not)")
	f.IntVar(&cfg.NVDPageSize, "nvd-page-size", 2000, "NVD records per request (the API's maximum is 2000)")
	f.DurationVar(&cfg.NVDDelay, "nvd-delay", 0, "wait between NVD requests (default 6s, 600ms with an API key: the API's published rate limits)")
	f.IntVar(&cfg.Retry.Attempts, "retries", 6, "attempts per request (the first included) before a source fails")
	f.DurationVar(&cfg.Retry.BaseDelay, "retry-wait", 2*time.Second, "wait before the first retry, doubled for each next one (at most 2m, with jitter)")
	return cmd
}

// updateError turns a failed update into the exit code it deserves: an
// interruption keeps its own (cmd/thingsec makes it 130 or 143), a source,
// lock or file problem is the user's (2), anything else a bug (3).
func updateError(g *globals, path string, out update.Outcome, err error) error {
	if errors.Is(err, context.Canceled) {
		if out.Work != "" {
			state := path + " is unchanged"
			if _, serr := os.Stat(path); errors.Is(serr, fs.ErrNotExist) {
				state = "no database created at " + path
			}
			fmt.Fprintf(g.stderr, "thingsec: db update interrupted: %s; %s keeps the progress (%d NVD pages): run 'thingsec db update' again to continue\n", state, out.Work, out.NVDPages)
		}
		return err
	}
	kept := ""
	if out.Work != "" {
		kept = fmt.Sprintf("; %s keeps the progress for the next run", out.Work)
	}
	state := path + " unchanged"
	if _, serr := os.Stat(path); errors.Is(serr, fs.ErrNotExist) {
		state = "no database created at " + path
	}
	wrapped := fmt.Errorf("update failed, %s%s: %w", state, kept, err)
	var se *update.SourceError
	var be *update.BusyError
	var ce *update.ChangedError
	var pe *fs.PathError
	if errors.As(err, &se) || errors.As(err, &be) || errors.As(err, &ce) || errors.As(err, &pe) {
		return usageError{wrapped}
	}
	return wrapped
}

func newDBStatus(g *globals, dbPath *string) *cobra.Command {
	var maxAge time.Duration
	var require bool
	var ff *formatFlag
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the database's sources, record counts and age",
		Long: `status shows the vulnerability database: its sources, record counts and age.
Without a database it shows the small embedded sample that scans then match
against, and says so. --require-db fails (exit 2) after the status when scans
would use the sample, or a database that is older than --max-age, never
updated, or without NVD or OSV records: a check for CI before scanning.`,
		Example: "  thingsec db status\n  thingsec db status --format json --max-age 72h\n  thingsec db status --require-db",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			enc, err := ff.encoder(g)
			if err != nil {
				return err
			}
			now := time.Now()
			d, info, problem, err := enrich.Open(cmd.Context(), enrich.Policy{Path: *dbPath, MaxAge: maxAge}, now)
			if err != nil {
				return usageError{err}
			}
			defer d.Close()
			st, err := d.Status(cmd.Context(), maxAge, now)
			if err != nil {
				return err
			}
			if info.Kind == model.DatabaseSample {
				st.Kind, st.Path, st.Stale = model.DatabaseSample, "", ""
				if p, err := db.DefaultPath(*dbPath); err == nil {
					st.Note = "no database at " + p + ": scans match against this sample, which misses most vulnerabilities; run 'thingsec db update'"
				}
			} else if st.Stale == "" && problem != "" {
				st.Stale = problem
			}
			if p, err := db.DefaultPath(*dbPath); err == nil {
				if _, err := os.Stat(update.WorkPath(p)); err == nil {
					st.Note = strings.TrimPrefix(st.Note+"; ", "; ") + "an unfinished update is kept in " + update.WorkPath(p) + ": 'thingsec db update' continues it"
				}
			}
			if err := g.emit(enc, &report.Doc{Kind: report.DBStatus, DB: &st, Now: now}); err != nil {
				return err
			}
			if require && problem != "" {
				return exitError{code: ExitUsage, msg: (&enrich.NoDataError{Reason: problem}).Error()}
			}
			return nil
		},
	}
	ff = addFormat(cmd, report.DBStatus, "table")
	cmd.Flags().DurationVar(&maxAge, "max-age", enrich.DefaultMaxAge, "warn when the newest import is older than this")
	cmd.Flags().StringVarP(&g.output, "output", "o", "", "write the status to FILE instead of standard output")
	cmd.Flags().BoolVar(&require, "require-db", false, "exit 2 when scans would use the embedded sample, or a stale, never updated or empty database")
	return cmd
}

func newDBExportBundle(g *globals, dbPath *string) *cobra.Command {
	return &cobra.Command{
		Use:   "export-bundle FILE",
		Short: "Write the database as one gzip'd file for an air-gapped network",
		Example: `  thingsec db export-bundle vulndb-$(date +%F).gz
  # on the air-gapped CI runner:
  thingsec db import-bundle vulndb-2026-11-24.gz`,
		Args: exactArgs(1, "exactly one FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := db.OpenDefault(*dbPath)
			if err != nil {
				return usageError{err}
			}
			defer d.Close()
			out := args[0]
			if err := report.WriteFile(out, func(w io.Writer) error { return d.ExportBundle(cmd.Context(), w) }); err != nil {
				return asUsage(err)
			}
			if out != "-" && out != "/dev/stdout" {
				// the bundle itself went to standard output otherwise
				fmt.Fprintf(g.stdout, "wrote %s\n", out)
			}
			return nil
		},
	}
}

func newDBImportBundle(g *globals, dbPath *string) *cobra.Command {
	return &cobra.Command{
		Use:     "import-bundle FILE",
		Short:   "Install a database bundle made by export-bundle",
		Example: "  thingsec db import-bundle vulndb-2026-11-24.gz",
		Args:    exactArgs(1, "exactly one FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := db.DefaultPath(*dbPath)
			if err != nil {
				return usageError{err}
			}
			f, err := os.Open(args[0])
			if err != nil {
				return usageError{fmt.Errorf("bundle %s: %v", args[0], err)}
			}
			defer f.Close()
			if err := db.ImportBundle(cmd.Context(), f, args[0], p); err != nil {
				return usageError{fmt.Errorf("%w (the installed database is unchanged)", err)}
			}
			fmt.Fprintf(g.stdout, "installed %s as %s\n", args[0], p)
			return nil
		},
	}
}
