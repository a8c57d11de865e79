// Package enrich is the scan stage that matches a report's components
// against the offline vulnerability database.
package enrich

import (
	"context"
	"time"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/vuln/match"
)

// Vulns is the engine.Enricher for vulnerabilities. It records which data
// was used in the report's database block, and warns (and notes in the
// report) when that data is the embedded sample or stale.
type Vulns struct {
	// Path of the database ("" = $THINGSEC_DB or the user cache default).
	// When there is none, the embedded sample is used and the report says
	// so.
	Path string
	// MaxAge after which a database is reported as stale (0: DefaultMaxAge).
	MaxAge time.Duration
	// RequireDB makes the sample or stale data an error (*NoDataError).
	RequireDB bool
	// Warn receives one-line warnings for the user (stderr in the CLI).
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
	d, info, problem, err := Open(ctx, Policy{Path: v.Path, MaxAge: v.MaxAge, RequireDB: v.RequireDB}, now())
	if err != nil {
		return err
	}
	defer d.Close()
	rep.Database = &info
	if problem != "" {
		rep.Notes = append(rep.Notes, problem)
		warn(problem)
	}
	vulns, unknown, err := match.New(d).Match(ctx, rep.Components)
	if err != nil {
		return err
	}
	rep.Vulnerabilities = append(rep.Vulnerabilities, vulns...)
	rep.VersionUnknown = append(rep.VersionUnknown, unknown...)
	return nil
}
