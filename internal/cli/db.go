package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/thingsec/thingsec/internal/report"
	"github.com/thingsec/thingsec/internal/vuln/db"
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
                  CISA KEV, FIRST EPSS), incrementally and conditionally
  import          import local files: NVD CVE API 2.0 JSON (records, feeds,
                  API pages; .json or .json.gz), OSV JSON (files, directories,
                  all.zip), the CISA KEV catalog, EPSS CSV
  status          sources, record counts and age
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
			d, err := openDBForWrite(*dbPath)
			if err != nil {
				return err
			}
			defer d.Close()
			start := time.Now()
			st, err := feed.ImportPaths(cmd.Context(), d, args, time.Now())
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
KEV catalog and the FIRST EPSS scores, with conditional requests, and imports
them in one transaction. An NVD API key ($` + update.EnvNVDAPIKey + `) raises the
NVD rate limit from 5 to 50 requests per 30 seconds. A source that cannot be
reached fails the update and leaves the database as it was.`,
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
			if cfg.NVDAPIKey == "" {
				cfg.NVDAPIKey = os.Getenv(update.EnvNVDAPIKey)
			}
			cfg.Progress = func(msg string) { g.progressf("%s", msg) }
			d, err := openDBForWrite(*dbPath)
			if err != nil {
				return err
			}
			defer d.Close()
			res, err := update.Update(cmd.Context(), d, cfg)
			g.progressf("")
			if err != nil {
				return fmt.Errorf("update failed, database unchanged: %w", err)
			}
			for _, r := range res {
				if r.Unchanged {
					fmt.Fprintf(g.stdout, "%-12s unchanged\n", r.Name)
				} else {
					fmt.Fprintf(g.stdout, "%-12s %d records\n", r.Name, r.Records)
				}
			}
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
	return cmd
}

func newDBStatus(g *globals, dbPath *string) *cobra.Command {
	var maxAge time.Duration
	var ff *formatFlag
	cmd := &cobra.Command{
		Use:     "status",
		Short:   "Show the database's sources, record counts and age",
		Example: "  thingsec db status\n  thingsec db status --format json --max-age 72h",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			enc, err := ff.encoder(g)
			if err != nil {
				return err
			}
			d, err := db.OpenDefault(*dbPath)
			if err != nil {
				return usageError{err}
			}
			defer d.Close()
			now := time.Now()
			st, err := d.Status(cmd.Context(), maxAge, now)
			if err != nil {
				return err
			}
			return g.emit(enc, &report.Doc{Kind: report.DBStatus, DB: &st, Now: now})
		},
	}
	ff = addFormat(cmd, report.DBStatus, "table")
	cmd.Flags().DurationVar(&maxAge, "max-age", 7*24*time.Hour, "warn when the newest import is older than this")
	cmd.Flags().StringVarP(&g.output, "output", "o", "", "write the status to FILE instead of standard output")
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
