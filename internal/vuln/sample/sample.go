// Package sample is a small real vulnerability dataset embedded in the
// binary (NVD records of the demo device's components and their CISA KEV
// entries), loaded into an in-memory database when no database exists.
package sample

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"path"
	"time"

	"github.com/thingsec/thingsec/internal/vuln/db"
	"github.com/thingsec/thingsec/internal/vuln/feed"
)

//go:embed nvd/*.json kev.json
var data embed.FS

// Collected is when the sample was taken from its sources.
var Collected = time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)

// Notice is the attribution NVD asks for.
const Notice = "This product uses data from the NVD API but is not endorsed or certified by the NVD."

// Open builds an in-memory database from the embedded sample.
func Open(ctx context.Context) (*db.DB, error) {
	d, err := db.Open(":memory:")
	if err != nil {
		return nil, err
	}
	err = d.Import(ctx, func(tx *db.Tx) error {
		st := feed.Stats{}
		err := fs.WalkDir(data, ".", func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() || path.Ext(p) != ".json" {
				return err
			}
			f, err := data.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			return feed.ImportReader(ctx, tx, "sample/"+p, f, st)
		})
		if err != nil {
			return err
		}
		for kind, n := range st {
			if err := tx.PutSource(db.Source{Name: kind + " (embedded sample)", Kind: kind, Location: "embedded sample", UpdatedAt: Collected.Format(time.RFC3339), Records: n}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// OpenDefaultOrSample opens the database at the resolved default path
// (db.OpenDefault) or, when there is none, the embedded sample, so a fresh
// machine still sees real vulnerabilities offline. usingSample tells the
// caller to say so in the report.
func OpenDefaultOrSample(ctx context.Context, path string) (d *db.DB, usingSample bool, err error) {
	d, err = db.OpenDefault(path)
	if err == nil {
		return d, false, nil
	}
	if !errors.Is(err, db.ErrNoDatabase) {
		return nil, false, err
	}
	d, err = Open(ctx)
	return d, err == nil, err
}
