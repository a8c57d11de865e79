package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/thingsec/thingsec/internal/vuln/cpe"
)

// Tx is an import transaction: everything written through it appears at
// Commit, or not at all.
type Tx struct {
	ctx   context.Context
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

// Import runs fn in one transaction and commits when it returns nil; on an
// error the database keeps its previous state. fn must write through the
// Tx only: the database has one connection, which the transaction holds.
func (d *DB) Import(ctx context.Context, fn func(*Tx) error) error {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	t := &Tx{ctx: ctx, tx: tx, stmts: map[string]*sql.Stmt{}}
	defer func() {
		for _, s := range t.stmts {
			s.Close()
		}
	}()
	if err := fn(t); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (t *Tx) exec(query string, args ...any) (sql.Result, error) {
	s, ok := t.stmts[query]
	if !ok {
		var err error
		if s, err = t.tx.PrepareContext(t.ctx, query); err != nil {
			return nil, err
		}
		t.stmts[query] = s
	}
	return s.ExecContext(t.ctx, args...)
}

func (t *Tx) query(query string, args ...any) (*sql.Rows, error) {
	s, ok := t.stmts[query]
	if !ok {
		var err error
		if s, err = t.tx.PrepareContext(t.ctx, query); err != nil {
			return nil, err
		}
		t.stmts[query] = s
	}
	return s.QueryContext(t.ctx, args...)
}

// putVuln upserts an advisory and returns its rowid.
func (t *Tx) putVuln(v Vuln, cpeKeys string) (int64, error) {
	detail, err := json.Marshal(v.Detail)
	if err != nil {
		return 0, err
	}
	rows, err := t.query(`INSERT INTO vulns (id, source, summary, published, modified, severity, detail, cpe_keys) VALUES (?,?,?,?,?,?,?,?)
		ON CONFLICT (id, source) DO UPDATE SET summary=excluded.summary, published=excluded.published,
		modified=excluded.modified, severity=excluded.severity, detail=excluded.detail, cpe_keys=excluded.cpe_keys
		RETURNING rowid`,
		v.ID, v.Source, v.Summary, v.Published, v.Modified, string(v.Severity), string(detail), cpeKeys)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var id int64
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("upsert of %s returned no row", v.ID)
	}
	if err := rows.Scan(&id); err != nil {
		return 0, err
	}
	return id, rows.Close()
}

// maxConfigs bounds the configurations of one CVE (config_id packs the
// index into 10 bits); real records have a few dozen at most.
const maxConfigs = 1 << 10

// PutNVD inserts or replaces an NVD CVE record and its configurations.
func (t *Tx) PutNVD(v Vuln, configs []Config) error {
	v.Source = SourceNVD
	if err := t.deleteNVDConfigs(v.ID); err != nil {
		return err
	}
	if len(configs) > maxConfigs {
		return fmt.Errorf("%s: %d configurations, at most %d supported", v.ID, len(configs), maxConfigs)
	}
	keys := make([][][2]string, len(configs))
	var kb strings.Builder
	for i, c := range configs {
		keys[i] = indexKeys(c)
		for _, k := range keys[i] {
			fmt.Fprintf(&kb, "%s\t%s\t%d\n", k[0], k[1], i)
		}
	}
	rowid, err := t.putVuln(v, kb.String())
	if err != nil {
		return err
	}
	for i, c := range configs {
		if len(keys[i]) == 0 {
			continue // nothing vulnerable: it can never match
		}
		js, err := json.Marshal(c)
		if err != nil {
			return err
		}
		for _, k := range keys[i] {
			if _, err := t.exec(`INSERT OR REPLACE INTO cpe_index (vendor, product, config_id, cve_id, config) VALUES (?,?,?,?,?)`,
				k[0], k[1], rowid<<10|int64(i), v.ID, js); err != nil {
				return err
			}
		}
	}
	return nil
}

// indexKeys are the distinct vendor/product pairs of a configuration's
// vulnerable criteria: only those can make it a candidate.
func indexKeys(c Config) [][2]string {
	var keys [][2]string
	seen := map[[2]string]bool{}
	for _, n := range c.Nodes {
		for _, m := range n.Matches {
			if !m.Vulnerable {
				continue
			}
			name, err := cpe.Parse(m.Criteria)
			if err != nil {
				continue
			}
			k := [2]string{name[cpe.Vendor], name[cpe.Product]}
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// deleteNVDConfigs removes a CVE's index rows (listed in its vulns row)
// before a re-import.
func (t *Tx) deleteNVDConfigs(cveID string) error {
	rows, err := t.query(`SELECT rowid, cpe_keys FROM vulns WHERE id = ? AND source = 'nvd'`, cveID)
	if err != nil {
		return err
	}
	var rowid int64
	var keys string
	found := rows.Next()
	if found {
		err = rows.Scan(&rowid, &keys)
	}
	rows.Close()
	if err != nil || !found {
		return err
	}
	for _, line := range strings.Split(strings.TrimSpace(keys), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			continue
		}
		i, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			return fmt.Errorf("stored keys of %s: %w", cveID, err)
		}
		if _, err := t.exec(`DELETE FROM cpe_index WHERE vendor=? AND product=? AND config_id=?`, f[0], f[1], rowid<<10|i); err != nil {
			return err
		}
	}
	return nil
}

// PutOSV inserts or replaces an OSV advisory and its affected packages.
func (t *Tx) PutOSV(v Vuln, affected []Affected) error {
	v.Source = SourceOSV
	if _, err := t.exec(`DELETE FROM osv_affected WHERE vuln_id = ?`, v.ID); err != nil {
		return err
	}
	if _, err := t.putVuln(v, ""); err != nil {
		return err
	}
	for _, a := range affected {
		js, err := json.Marshal(a)
		if err != nil {
			return err
		}
		if _, err := t.exec(`INSERT INTO osv_affected (vuln_id, ecosystem, eco_base, name, affected) VALUES (?,?,?,?,?)`,
			v.ID, a.Ecosystem, EcosystemBase(a.Ecosystem), a.Name, string(js)); err != nil {
			return err
		}
	}
	return nil
}

// PutKEV inserts or replaces a KEV catalog entry.
func (t *Tx) PutKEV(k KEV) error {
	_, err := t.exec(`INSERT OR REPLACE INTO kev (cve_id, date_added, due_date, ransomware, name) VALUES (?,?,?,?,?)`,
		k.CVE, k.DateAdded, k.DueDate, k.Ransomware, k.Name)
	return err
}

// PutEPSS inserts or replaces an EPSS score.
func (t *Tx) PutEPSS(e EPSS) error {
	_, err := t.exec(`INSERT OR REPLACE INTO epss (cve_id, score, percentile, date) VALUES (?,?,?,?)`,
		e.CVE, e.Score, e.Percentile, e.Date)
	return err
}

// PutSource records the import state of a source.
func (t *Tx) PutSource(s Source) error {
	_, err := t.exec(`INSERT OR REPLACE INTO sources (name, kind, location, updated_at, records, etag, last_modified, cursor) VALUES (?,?,?,?,?,?,?,?)`,
		s.Name, s.Kind, s.Location, s.UpdatedAt, s.Records, s.ETag, s.LastModified, s.Cursor)
	return err
}
