// Package enrich is the scan stage that matches a report's components
// against the offline vulnerability database.
package enrich

import (
	"context"
	"fmt"
	"time"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/vuln/match"
	"github.com/thingsec/thingsec/internal/vuln/sample"
)

// Vulns is the engine.Enricher for vulnerabilities.
type Vulns struct {
	// Path of the database ("" = $THINGSEC_DB or the user cache default).
	// When there is none, the embedded sample is used and the report says
	// so.
	Path string
	// MaxAge after which a database is reported as stale.
	MaxAge time.Duration
	// Warn receives one-line notices for the user (stderr in the CLI).
	Warn func(string)
	Now  func() time.Time
}

func (v *Vulns) Name() string { return "vulnerabilities" }

func (v *Vulns) Enrich(ctx context.Context, rep *model.Report) error {
	warn := v.Warn
	if warn == nil {
		warn = func(string) {}
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	d, usingSample, err := sample.OpenDefaultOrSample(ctx, v.Path)
	if err != nil {
		return fmt.Errorf("no vulnerability matching: %w", err)
	}
	defer d.Close()
	if usingSample {
		note := "no vulnerability database found: vulnerabilities were matched against the small embedded sample (NVD records and CISA KEV entries for common device components); run `thingsec db update` or `thingsec db import-bundle FILE` for full data"
		rep.Notes = append(rep.Notes, note)
		warn(note)
	} else if v.MaxAge > 0 {
		if w, err := d.StaleWarning(ctx, v.MaxAge, now()); err == nil && w != "" {
			rep.Notes = append(rep.Notes, w)
			warn(w)
		}
	}
	vulns, unknown, err := match.New(d).Match(ctx, rep.Components)
	if err != nil {
		return err
	}
	rep.Vulnerabilities = append(rep.Vulnerabilities, vulns...)
	rep.VersionUnknown = append(rep.VersionUnknown, unknown...)
	return nil
}
