package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// An update builds a work copy of the database and keeps its progress in
// the copy's update_progress table, written in the same transaction as
// the data it describes, so that an interrupted update resumes exactly
// where its last commit left it. The table is dropped before the copy
// replaces the database; it is not part of the schema.

// WorkState reads the progress an update stored in this database; ok is
// false when there is none.
func (d *DB) WorkState(ctx context.Context) (state string, ok bool, err error) {
	var n int
	if err := d.sql.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'update_progress'`).Scan(&n); err != nil {
		return "", false, err
	}
	if n == 0 {
		return "", false, nil
	}
	err = d.sql.QueryRowContext(ctx, `SELECT state FROM update_progress WHERE id = 1`).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return state, err == nil, err
}

// PutWorkState stores an update's progress with the rest of the
// transaction.
func (t *Tx) PutWorkState(state string) error {
	if _, err := t.exec(`CREATE TABLE IF NOT EXISTS update_progress (id INTEGER PRIMARY KEY, state TEXT NOT NULL)`); err != nil {
		return err
	}
	_, err := t.exec(`INSERT INTO update_progress (id, state) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET state = excluded.state`, state)
	return err
}

// DropWorkState removes an update's progress: the work copy is complete.
func (d *DB) DropWorkState(ctx context.Context) error {
	_, err := d.sql.ExecContext(ctx, `DROP TABLE IF EXISTS update_progress`)
	return err
}

// Snapshot writes a consistent, compacted copy of the database to the new
// file path (VACUUM INTO).
func (d *DB) Snapshot(ctx context.Context, path string) error {
	if _, err := d.sql.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("copy of %s: %w", d.path, err)
	}
	return nil
}

// Check runs SQLite's quick integrity check (structure, not index
// contents) and checks the schema version.
func (d *DB) Check(ctx context.Context) error {
	var res string
	if err := d.sql.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&res); err != nil {
		return fmt.Errorf("vulnerability database %s: integrity check: %w", d.path, err)
	}
	if res != "ok" {
		return fmt.Errorf("vulnerability database %s: integrity check failed: %s", d.path, res)
	}
	v, err := d.Version(ctx)
	if err != nil {
		return err
	}
	if v != SchemaVersion() {
		return fmt.Errorf("vulnerability database %s: schema version %d, want %d", d.path, v, SchemaVersion())
	}
	return nil
}
