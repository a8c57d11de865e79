package db

import (
	"context"
	"time"
)

// Status is what "thingsec db status" shows: where the database is, what
// it holds and how old it is.
type Status struct {
	// Kind is "full" for a database file, "sample" for the embedded
	// sample that scans use when there is none (set by the caller).
	Kind          string   `json:"kind"`
	Path          string   `json:"path"`
	SchemaVersion int      `json:"schema_version"`
	Counts        Counts   `json:"counts"`
	UpdatedAt     string   `json:"updated_at,omitempty"`
	Stale         string   `json:"stale,omitempty"`
	Sources       []Source `json:"sources"`
	// Note says what the caller wants said besides (e.g. where the
	// missing database would be).
	Note string `json:"note,omitempty"`
}

// Status reads the database's status; Stale is set when the newest import
// is older than maxAge at now.
func (d *DB) Status(ctx context.Context, maxAge time.Duration, now time.Time) (Status, error) {
	st := Status{Kind: "full", Path: d.Path()}
	var err error
	if st.SchemaVersion, err = d.Version(ctx); err != nil {
		return st, err
	}
	if st.Counts, err = d.Counts(ctx); err != nil {
		return st, err
	}
	if st.Sources, err = d.Sources(ctx); err != nil {
		return st, err
	}
	if t, err := d.UpdatedAt(ctx); err == nil && !t.IsZero() {
		st.UpdatedAt = t.Format(time.RFC3339)
	}
	if st.Stale, err = d.StaleWarning(ctx, maxAge, now); err != nil {
		return st, err
	}
	return st, nil
}
