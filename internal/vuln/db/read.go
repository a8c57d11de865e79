package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/thingsec/thingsec/internal/model"
)

// EcosystemBase is the lookup key of an OSV ecosystem: lower case, without
// the release ("Debian:12" -> "debian").
func EcosystemBase(eco string) string {
	base, _, _ := strings.Cut(eco, ":")
	return strings.ToLower(strings.TrimSpace(base))
}

// ConfigRow is a stored NVD configuration.
type ConfigRow struct {
	ID     int64
	CVE    string
	Config Config
}

var (
	stmtMu sync.Mutex
)

func (d *DB) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	stmtMu.Lock()
	defer stmtMu.Unlock()
	if d.stmts == nil {
		d.stmts = map[string]*sql.Stmt{}
	}
	if s, ok := d.stmts[q]; ok {
		return s, nil
	}
	s, err := d.sql.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	d.stmts[q] = s
	return s, nil
}

// AffectedRow is a stored OSV affected entry.
type AffectedRow struct {
	VulnID   string
	Affected Affected
}

// AffectedBy lists the OSV entries for a package of an ecosystem base
// ("go", "debian", ...), all releases.
func (d *DB) AffectedBy(ctx context.Context, ecoBase, name string) ([]AffectedRow, error) {
	s, err := d.prepared(ctx, `SELECT vuln_id, affected FROM osv_affected WHERE eco_base = ? AND name = ?`)
	if err != nil {
		return nil, err
	}
	rows, err := s.QueryContext(ctx, ecoBase, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AffectedRow
	for rows.Next() {
		var r AffectedRow
		var js string
		if err := rows.Scan(&r.VulnID, &js); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(js), &r.Affected); err != nil {
			return nil, fmt.Errorf("affected entry of %s: %w", r.VulnID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Vuln reads an advisory; ok is false when it is not stored.
func (d *DB) Vuln(ctx context.Context, id, source string) (v Vuln, ok bool, err error) {
	s, err := d.prepared(ctx, `SELECT summary, published, modified, severity, detail FROM vulns WHERE id = ? AND source = ?`)
	if err != nil {
		return v, false, err
	}
	var sev, detail string
	err = s.QueryRowContext(ctx, id, source).Scan(&v.Summary, &v.Published, &v.Modified, &sev, &detail)
	if errors.Is(err, sql.ErrNoRows) {
		return v, false, nil
	}
	if err != nil {
		return v, false, err
	}
	v.ID, v.Source, v.Severity = id, source, model.Severity(sev)
	if err := json.Unmarshal([]byte(detail), &v.Detail); err != nil {
		return v, false, fmt.Errorf("stored %s: %w", id, err)
	}
	return v, true, nil
}

// KEVFor reads the KEV entry of a CVE.
func (d *DB) KEVFor(ctx context.Context, cve string) (k KEV, ok bool, err error) {
	s, err := d.prepared(ctx, `SELECT date_added, due_date, ransomware, name FROM kev WHERE cve_id = ?`)
	if err != nil {
		return k, false, err
	}
	err = s.QueryRowContext(ctx, cve).Scan(&k.DateAdded, &k.DueDate, &k.Ransomware, &k.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return k, false, nil
	}
	k.CVE = cve
	return k, err == nil, err
}

// EPSSFor reads the EPSS score of a CVE.
func (d *DB) EPSSFor(ctx context.Context, cve string) (e EPSS, ok bool, err error) {
	s, err := d.prepared(ctx, `SELECT score, percentile, date FROM epss WHERE cve_id = ?`)
	if err != nil {
		return e, false, err
	}
	err = s.QueryRowContext(ctx, cve).Scan(&e.Score, &e.Percentile, &e.Date)
	if errors.Is(err, sql.ErrNoRows) {
		return e, false, nil
	}
	e.CVE = cve
	return e, err == nil, err
}

// Sources lists the import state of every source, by name.
func (d *DB) Sources(ctx context.Context) ([]Source, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT name, kind, location, updated_at, records, etag, last_modified, cursor FROM sources ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Source
	for rows.Next() {
		var s Source
		if err := rows.Scan(&s.Name, &s.Kind, &s.Location, &s.UpdatedAt, &s.Records, &s.ETag, &s.LastModified, &s.Cursor); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// SourceByName reads one source's state; ok is false when never imported.
func (d *DB) SourceByName(ctx context.Context, name string) (Source, bool, error) {
	all, err := d.Sources(ctx)
	if err != nil {
		return Source{}, false, err
	}
	for _, s := range all {
		if s.Name == name {
			return s, true, nil
		}
	}
	return Source{}, false, nil
}

// Counts are the record counts of each table.
type Counts struct {
	NVD         int `json:"nvd"`
	OSV         int `json:"osv"`
	Configs     int `json:"cpe_index"` // configurations by vendor:product
	OSVPackages int `json:"osv_packages"`
	KEV         int `json:"kev"`
	EPSS        int `json:"epss"`
}

// Counts counts the records.
func (d *DB) Counts(ctx context.Context) (Counts, error) {
	var c Counts
	for _, q := range []struct {
		sql string
		dst *int
	}{
		{`SELECT count(*) FROM vulns WHERE source = 'nvd'`, &c.NVD},
		{`SELECT count(*) FROM vulns WHERE source = 'osv'`, &c.OSV},
		{`SELECT count(*) FROM cpe_index`, &c.Configs},
		{`SELECT count(*) FROM osv_affected`, &c.OSVPackages},
		{`SELECT count(*) FROM kev`, &c.KEV},
		{`SELECT count(*) FROM epss`, &c.EPSS},
	} {
		if err := d.sql.QueryRowContext(ctx, q.sql).Scan(q.dst); err != nil {
			return c, err
		}
	}
	return c, nil
}

// UpdatedAt is the time of the newest import of any source (zero when
// nothing was ever imported).
func (d *DB) UpdatedAt(ctx context.Context) (time.Time, error) {
	var s sql.NullString
	if err := d.sql.QueryRowContext(ctx, `SELECT max(updated_at) FROM sources`).Scan(&s); err != nil {
		return time.Time{}, err
	}
	if !s.Valid || s.String == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339, s.String)
}

// StaleWarning returns a one-line warning when the newest import is older
// than maxAge (or there was none), and "" when the database is fresh
// enough. Scans call it to tell users their results may miss new CVEs.
func (d *DB) StaleWarning(ctx context.Context, maxAge time.Duration, now time.Time) (string, error) {
	t, err := d.UpdatedAt(ctx)
	if err != nil {
		return "", err
	}
	name := d.path
	if name == ":memory:" {
		name = "(in memory)"
	}
	if t.IsZero() {
		return fmt.Sprintf("vulnerability database %s has never been updated: run 'thingsec db update'", name), nil
	}
	if age := now.Sub(t); age > maxAge {
		return fmt.Sprintf("vulnerability database %s is %s old (last update %s, limit %s): run 'thingsec db update'",
			name, roundAge(age), t.Format("2006-01-02"), roundAge(maxAge)), nil
	}
	return "", nil
}

func roundAge(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
	return d.Round(time.Minute).String()
}

// ConfigsFor reads the configurations with a vulnerable criterion for
// vendor:product (unescaped, lower case), skipping the IDs in skip.
func (d *DB) ConfigsFor(ctx context.Context, vendor, product string, skip map[int64]bool) ([]ConfigRow, error) {
	s, err := d.prepared(ctx, `SELECT config_id, cve_id, config FROM cpe_index WHERE vendor = ? AND product = ?`)
	if err != nil {
		return nil, err
	}
	rows, err := s.QueryContext(ctx, vendor, product)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ConfigRow
	for rows.Next() {
		var r ConfigRow
		var js []byte
		if err := rows.Scan(&r.ID, &r.CVE, &js); err != nil {
			return nil, err
		}
		if skip[r.ID] {
			continue
		}
		if err := json.Unmarshal(js, &r.Config); err != nil {
			return nil, fmt.Errorf("configuration %d of %s: %w", r.ID, r.CVE, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Enriched is an advisory with the KEV entry and EPSS score of its own ID.
type Enriched struct {
	Vuln Vuln
	KEV  *KEV
	EPSS *EPSS
}

// VulnsEnriched reads advisories of one source with the KEV and EPSS rows
// of their own IDs, in sorted batches (one query per 500 IDs: the index
// is walked in order). IDs that are not stored are absent from the result.
func (d *DB) VulnsEnriched(ctx context.Context, source string, ids []string) (map[string]Enriched, error) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	out := make(map[string]Enriched, len(ids))
	const batch = 500
	for len(ids) > 0 {
		n := min(batch, len(ids))
		chunk := ids[:n]
		ids = ids[n:]
		q := `SELECT v.id, v.summary, v.published, v.modified, v.severity, v.detail,
			k.date_added, k.due_date, k.ransomware, k.name, p.score, p.percentile, p.date
			FROM vulns v LEFT JOIN kev k ON k.cve_id = v.id LEFT JOIN epss p ON p.cve_id = v.id
			WHERE v.source = ? AND v.id IN (?` + strings.Repeat(",?", n-1) + `)`
		s, err := d.prepared(ctx, q)
		if err != nil {
			return nil, err
		}
		args := make([]any, 0, n+1)
		args = append(args, source)
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := s.QueryContext(ctx, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var e Enriched
			var sev, detail string
			var kAdded, kDue, kRansom, kName, pDate sql.NullString
			var pScore, pPct sql.NullFloat64
			v := &e.Vuln
			if err := rows.Scan(&v.ID, &v.Summary, &v.Published, &v.Modified, &sev, &detail,
				&kAdded, &kDue, &kRansom, &kName, &pScore, &pPct, &pDate); err != nil {
				rows.Close()
				return nil, err
			}
			v.Source, v.Severity = source, model.Severity(sev)
			if err := json.Unmarshal([]byte(detail), &v.Detail); err != nil {
				rows.Close()
				return nil, fmt.Errorf("stored %s: %w", v.ID, err)
			}
			if kAdded.Valid {
				e.KEV = &KEV{CVE: v.ID, DateAdded: kAdded.String, DueDate: kDue.String, Ransomware: kRansom.String, Name: kName.String}
			}
			if pScore.Valid {
				e.EPSS = &EPSS{CVE: v.ID, Score: pScore.Float64, Percentile: pPct.Float64, Date: pDate.String}
			}
			out[v.ID] = e
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
