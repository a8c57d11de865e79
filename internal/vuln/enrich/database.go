package enrich

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/vuln/db"
	"github.com/thingsec/thingsec/internal/vuln/sample"
)

// DefaultMaxAge is the age past which vulnerability data counts as stale:
// the NVD publishes a few hundred CVEs a week.
const DefaultMaxAge = 7 * 24 * time.Hour

// Policy is what a command that matches vulnerabilities accepts as data.
// The command line binds its flags (--db-path, --db-max-age, --require-db)
// to these fields; a configuration file sets the same fields before the
// flags are parsed, so a flag given overrides it.
type Policy struct {
	Path      string        // "" = $THINGSEC_DB or the user cache default
	MaxAge    time.Duration // 0 = DefaultMaxAge
	RequireDB bool          // the sample, stale or unusable data is an error
}

func (p Policy) maxAge() time.Duration {
	if p.MaxAge > 0 {
		return p.MaxAge
	}
	return DefaultMaxAge
}

// NoDataError is returned under RequireDB when the data is the sample,
// stale, never updated or holds nothing to match against.
type NoDataError struct{ Reason string }

func (e *NoDataError) Error() string { return e.Reason + " (--require-db)" }

// Open opens the database the policy names, or the embedded sample when
// there is none, and describes it at now. problem is a one-line warning
// for the user ("" when the data is a fresh database); under RequireDB it
// is returned as a *NoDataError instead, with the database closed.
func Open(ctx context.Context, p Policy, now time.Time) (d *db.DB, info model.Database, problem string, err error) {
	d, usingSample, err := sample.OpenDefaultOrSample(ctx, p.Path)
	if err != nil {
		return nil, info, "", fmt.Errorf("no vulnerability matching: %w", err)
	}
	info, problem, err = Describe(ctx, d, usingSample, p.maxAge(), now)
	if err != nil {
		d.Close()
		return nil, info, "", err
	}
	if usingSample {
		path, _ := db.DefaultPath(p.Path)
		problem = fmt.Sprintf("no vulnerability database at %s: vulnerabilities were matched against the small embedded sample (NVD records and CISA KEV entries for common device components, collected %s), which misses most of them; run `thingsec db update` or `thingsec db import-bundle FILE` for full data",
			path, sample.Collected.Format("2006-01-02"))
	}
	if problem != "" && p.RequireDB {
		d.Close()
		return nil, info, problem, &NoDataError{Reason: problem}
	}
	return d, info, problem, nil
}

// Describe is the report's database block for d (the embedded sample
// when isSample) and, when the data is stale, never updated or holds no
// advisories, a one-line warning.
func Describe(ctx context.Context, d *db.DB, isSample bool, maxAge time.Duration, now time.Time) (model.Database, string, error) {
	info := model.Database{Kind: model.DatabaseFull, Path: d.Path(), MaxAgeSeconds: int64(maxAge / time.Second)}
	if isSample {
		info.Kind, info.Path = model.DatabaseSample, ""
	}
	st, err := d.Status(ctx, maxAge, now)
	if err != nil {
		return info, "", err
	}
	info.SchemaVersion = st.SchemaVersion
	info.Records = &model.DatabaseCounts{NVD: st.Counts.NVD, OSV: st.Counts.OSV, KEV: st.Counts.KEV, EPSS: st.Counts.EPSS}
	for _, s := range st.Sources {
		info.Sources = append(info.Sources, model.DatabaseSource{Name: s.Name, Kind: s.Kind, Location: s.Location, UpdatedAt: s.UpdatedAt, Records: s.Records})
	}
	problem := st.Stale
	if st.UpdatedAt != "" {
		info.UpdatedAt = st.UpdatedAt
		if t, err := time.Parse(time.RFC3339, st.UpdatedAt); err == nil {
			age := int64(now.Sub(t) / time.Second)
			info.AgeSeconds = &age
		}
	}
	info.Stale = problem != ""
	if problem == "" && st.Counts.NVD+st.Counts.OSV == 0 {
		problem = fmt.Sprintf("vulnerability database %s holds no NVD or OSV records: no component can be matched; run 'thingsec db update'", d.Path())
	}
	return info, problem, nil
}

// IsNoData reports whether err is a refusal of --require-db.
func IsNoData(err error) bool {
	var nd *NoDataError
	return errors.As(err, &nd)
}
