// Package db is thingsec's offline vulnerability database: one SQLite file
// (pure Go, modernc.org/sqlite) holding NVD CVE records with their CPE
// applicability statements, OSV advisories, the CISA KEV catalog and FIRST
// EPSS scores, versioned by embedded migrations.
package db

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// EnvPath names the environment variable that moves the database.
const EnvPath = "THINGSEC_DB"

// ErrNoDatabase is returned by OpenDefault when the database file is absent.
var ErrNoDatabase = errors.New("no vulnerability database")

// DB is an open vulnerability database.
type DB struct {
	sql   *sql.DB
	path  string
	stmts map[string]*sql.Stmt
}

// DefaultPath resolves the database path: the explicit path (--db-path),
// else $THINGSEC_DB, else <user cache dir>/thingsec/vuln.db.
func DefaultPath(path string) (string, error) {
	if path != "" {
		return path, nil
	}
	if p := os.Getenv(EnvPath); p != "" {
		return p, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("vulnerability database: no user cache directory (%v); set --db-path or %s", err, EnvPath)
	}
	return filepath.Join(dir, "thingsec", "vuln.db"), nil
}

// OpenDefault opens an existing database at the resolved default path; it
// is an error (wrapping ErrNoDatabase) when there is none.
func OpenDefault(path string) (*DB, error) {
	p, err := DefaultPath(path)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w at %s: run 'thingsec db update' (online) or 'thingsec db import-bundle FILE' (offline)", ErrNoDatabase, p)
		}
		return nil, fmt.Errorf("vulnerability database %s: %w", p, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("vulnerability database %s: not a regular file", p)
	}
	return Open(p)
}

// Open opens or creates the database file at path and migrates it to the
// current schema. ":memory:" gives a private in-memory database.
func Open(path string) (*DB, error) {
	dsn := path
	if path != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("vulnerability database %s: %w", path, err)
		}
		dsn = "file:" + path
	}
	dsn += "?_pragma=page_size(16384)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-65536)&_pragma=mmap_size(1073741824)"
	s, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("vulnerability database %s: %w", path, err)
	}
	// One connection: an in-memory database lives in it, and SQLite has
	// one writer anyway.
	s.SetMaxOpenConns(1)
	d := &DB{sql: s, path: path}
	if err := d.migrate(context.Background()); err != nil {
		s.Close()
		return nil, fmt.Errorf("vulnerability database %s: %w", path, err)
	}
	return d, nil
}

// Path is the file the database lives in.
func (d *DB) Path() string { return d.path }

// Close closes the database.
func (d *DB) Close() error {
	for _, s := range d.stmts {
		s.Close()
	}
	return d.sql.Close()
}

// SchemaVersion is the newest migration this build knows.
func SchemaVersion() int {
	ms, _ := loadMigrations()
	return ms[len(ms)-1].version
}

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with NNNN_", e.Name())
		}
		b, err := migrations.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{v, e.Name(), string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migrate applies, in one transaction each, the migrations newer than the
// schema_version row. A database newer than this build is refused.
func (d *DB) migrate(ctx context.Context) error {
	if _, err := d.sql.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return err
	}
	var cur int
	err := d.sql.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&cur)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := d.sql.ExecContext(ctx, `INSERT INTO schema_version VALUES (0)`); err != nil {
			return err
		}
	} else if err != nil {
		return fmt.Errorf("not a thingsec vulnerability database: %w", err)
	}
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	if last := ms[len(ms)-1].version; cur > last {
		return fmt.Errorf("schema version %d is newer than this thingsec knows (%d): upgrade thingsec", cur, last)
	}
	for _, m := range ms {
		if m.version <= cur {
			continue
		}
		tx, err := d.sql.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, m.version); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// Version is the schema version of the open database.
func (d *DB) Version(ctx context.Context) (int, error) {
	var v int
	err := d.sql.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
	return v, err
}
