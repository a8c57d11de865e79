package db

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/gzip"
)

// ExportBundle writes the whole database as one gzip'd SQLite file (a
// consistent snapshot made with VACUUM INTO) to w, to carry into an
// air-gapped network.
func (d *DB) ExportBundle(ctx context.Context, w io.Writer) error {
	dir, err := os.MkdirTemp("", "thingsec-bundle-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	snap := filepath.Join(dir, "vuln.db")
	if _, err := d.sql.ExecContext(ctx, `VACUUM INTO ?`, snap); err != nil {
		return fmt.Errorf("snapshot of %s: %w", d.path, err)
	}
	f, err := os.Open(snap)
	if err != nil {
		return err
	}
	defer f.Close()
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return err
	}
	zw.Name = "vuln.db"
	if _, err := io.Copy(zw, f); err != nil {
		return err
	}
	return zw.Close()
}

// ImportBundle replaces the database file at path with the bundle read
// from r. The bundle is unpacked next to path and checked (it must open as
// a thingsec database of a schema this build knows) before it atomically
// replaces the old file, so a bad bundle leaves the old database intact.
func ImportBundle(ctx context.Context, r io.Reader, name, path string) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("bundle %s: not a gzip'd database: %w", name, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".vuln-bundle-*.db")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, zr)
	if err == nil {
		err = zr.Close()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("bundle %s: truncated or corrupt at byte %d of the database: %w", name, n, err)
	}
	chk, err := Open(tmp.Name())
	if err != nil {
		return fmt.Errorf("bundle %s: %w", name, err)
	}
	var ok string
	err = chk.sql.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ok)
	chk.Close()
	if err != nil || ok != "ok" {
		return fmt.Errorf("bundle %s: database integrity check failed: %v %s", name, err, ok)
	}
	return os.Rename(tmp.Name(), path)
}
