package update

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/thingsec/thingsec/internal/vuln/db"
	"github.com/thingsec/thingsec/internal/vuln/feed"
)

// WorkSuffix names the work copy an update fills beside the database.
const WorkSuffix = ".update"

// WorkPath is the work copy of the database at path.
func WorkPath(path string) string { return path + WorkSuffix }

// Outcome is what Install did.
type Outcome struct {
	Sources []SourceResult
	// Resumed is true when an interrupted update's work copy was
	// continued; Discarded says why one was not ("" when there was none
	// or it was continued).
	Resumed   bool
	Discarded string
	// Work is the work copy; after a failure it holds the progress a
	// rerun continues from (empty when none is kept).
	Work string
	// NVDPages counts the NVD pages in the work copy.
	NVDPages int
}

// Install updates the database at path without ever changing it in
// place: the sources are imported into the work copy WorkPath(path)
// (made from the database, or continued when an earlier run was
// interrupted), which replaces the database by a rename once every
// source is in and the copy passes an integrity check. On any failure or
// interruption the database is untouched and the work copy stays for the
// next run. Only the database whose copy it is is continued: when the
// database changed since (an import, another update), the copy is
// discarded and the update starts afresh.
func Install(ctx context.Context, path string, cfg Config) (Outcome, error) {
	cfg.defaults()
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real // replace the file, not the link to it
	}
	out := Outcome{Work: WorkPath(path)}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return out, fmt.Errorf("vulnerability database %s: %w", path, err)
	}
	unlock, err := lock(out.Work + ".lock")
	if err != nil {
		return out, err
	}
	defer unlock()
	w, p, err := openWork(ctx, path, out.Work, &cfg, &out)
	if err != nil {
		return out, err
	}
	res, err := update(ctx, w, &cfg, p)
	if p.NVD != nil {
		out.NVDPages = p.NVD.Pages
	}
	if err == nil {
		err = verify(ctx, w, &cfg)
		if err != nil {
			// complete but unusable: nothing to continue
			w.Close()
			removeDB(out.Work)
			out.Work = ""
			return out, err
		}
	}
	if cerr := w.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("vulnerability database %s: %w", out.Work, cerr)
	}
	if err != nil {
		return out, err
	}
	// another writer (an import, a bundle) changed the database meanwhile:
	// replacing it would lose that
	if now, err := fingerprint(path); err != nil || now != p.Base {
		removeDB(out.Work)
		out.Work = ""
		if err == nil {
			err = &ChangedError{Path: path}
		}
		return out, err
	}
	if err := replace(out.Work, path); err != nil {
		return out, fmt.Errorf("vulnerability database %s: installing the update: %w", path, err)
	}
	out.Sources, out.Work = res, ""
	return out, nil
}

// openWork opens the work copy to continue, or makes a new one from the
// database at path.
func openWork(ctx context.Context, path, work string, cfg *Config, out *Outcome) (*db.DB, *progress, error) {
	base, err := fingerprint(path)
	if err != nil {
		return nil, nil, err
	}
	if _, err := os.Stat(work); err == nil {
		w, p, why := resumable(ctx, work, base)
		if why == "" {
			out.Resumed = true
			return w, p, nil
		}
		out.Discarded = why
		cfg.Progress("starting afresh: " + why)
		removeDB(work)
	}
	fresh := work + ".new"
	removeDB(fresh)
	if base != "" {
		src, err := db.OpenDefault(path)
		if err != nil {
			return nil, nil, err
		}
		err = src.Snapshot(ctx, fresh)
		src.Close()
		if err != nil {
			removeDB(fresh)
			return nil, nil, err
		}
		// opening may have migrated it: the copy is of what is there now
		if base, err = fingerprint(path); err != nil {
			return nil, nil, err
		}
	}
	w, err := db.Open(fresh)
	if err != nil {
		removeDB(fresh)
		return nil, nil, err
	}
	p := newProgress(base, cfg.Now())
	if err := w.Import(ctx, p.put); err != nil {
		w.Close()
		removeDB(fresh)
		return nil, nil, err
	}
	if err := w.Close(); err != nil {
		removeDB(fresh)
		return nil, nil, err
	}
	// the work copy exists only with its progress in it
	if err := os.Rename(fresh, work); err != nil {
		removeDB(fresh)
		return nil, nil, err
	}
	w, err = db.Open(work)
	return w, p, err
}

// resumable opens an existing work copy when it can be continued; why
// says why not.
func resumable(ctx context.Context, work, base string) (*db.DB, *progress, string) {
	w, err := db.Open(work)
	if err != nil {
		return nil, nil, fmt.Sprintf("the interrupted update's copy %s is unreadable (%v)", work, err)
	}
	p, ok, err := loadProgress(ctx, w)
	switch {
	case err != nil:
		w.Close()
		return nil, nil, fmt.Sprintf("the interrupted update's copy %s is unreadable (%v)", work, err)
	case !ok:
		w.Close()
		return nil, nil, fmt.Sprintf("%s holds no update progress", work)
	case p.Base != base:
		w.Close()
		return nil, nil, "the database changed since the interrupted update began"
	}
	return w, p, ""
}

// verify checks a complete work copy before it replaces the database.
func verify(ctx context.Context, w *db.DB, cfg *Config) error {
	if err := w.Check(ctx); err != nil {
		return err
	}
	srcs, err := w.Sources(ctx)
	if err != nil {
		return err
	}
	for _, want := range cfg.Sources {
		if !slices.ContainsFunc(srcs, func(s db.Source) bool { return s.Kind == want }) {
			return fmt.Errorf("update incomplete: no %s source recorded", want)
		}
	}
	if slices.Contains(cfg.Sources, feed.KindNVD) || slices.Contains(cfg.Sources, feed.KindOSV) {
		c, err := w.Counts(ctx)
		if err != nil {
			return err
		}
		if c.NVD+c.OSV == 0 {
			return &SourceError{Source: "nvd/osv", URL: cfg.NVDURL + ", " + cfg.OSVURL, Err: errors.New("the sources delivered no vulnerability records: a wrong mirror URL?")}
		}
	}
	return nil
}

// fingerprint identifies the database file's content well enough to tell
// whether it changed since a work copy was made: size, modification time
// and SQLite's file change counter (header bytes 24-27, incremented by
// every commit in rollback-journal mode, so a change within the clock's
// resolution is seen too). "" when there is no database.
func fingerprint(path string) (string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("vulnerability database %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("vulnerability database %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("vulnerability database %s: not a regular file", path)
	}
	var hdr [28]byte
	n, _ := io.ReadFull(f, hdr[:])
	return fmt.Sprintf("%d:%d:%x", st.Size(), st.ModTime().UnixNano(), hdr[24:max(n, 24)]), nil
}

// replace renames the finished work copy over the database, durably.
func replace(work, path string) error {
	f, err := os.Open(work)
	if err != nil {
		return err
	}
	err = f.Sync()
	f.Close()
	if err != nil {
		return err
	}
	if err := os.Rename(work, path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync() //nolint:errcheck // best effort: the rename is done
		d.Close()
	}
	return nil
}

// removeDB removes a database file and its journal.
func removeDB(path string) {
	os.Remove(path)
	os.Remove(path + "-journal")
}

// BusyError is an update refused because another one holds the lock.
type BusyError struct{ Lock string }

func (e *BusyError) Error() string {
	return fmt.Sprintf("another 'thingsec db update' of this database is running (lock %s)", e.Lock)
}

// ChangedError is an update not installed because the database changed
// while it ran.
type ChangedError struct{ Path string }

func (e *ChangedError) Error() string {
	return fmt.Sprintf("%s changed while the update ran (an import?); not replaced: run 'thingsec db update' again", e.Path)
}
