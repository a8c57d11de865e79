-- One row per advisory; an NVD CVE and an OSV advisory with the same ID
-- are kept apart by source.
CREATE TABLE vulns (
	id        TEXT NOT NULL,
	source    TEXT NOT NULL, -- nvd | osv
	summary   TEXT NOT NULL DEFAULT '',
	published TEXT NOT NULL DEFAULT '',
	modified  TEXT NOT NULL DEFAULT '',
	severity  TEXT NOT NULL DEFAULT '',
	detail    TEXT NOT NULL DEFAULT '{}', -- JSON: cvss, cwe, aliases, references, NVD's own KEV marks
	-- NVD: the cpe_index keys of the record's configurations, one
	-- "vendor\tproduct\tconfig_id" line each, to remove them on re-import
	cpe_keys  TEXT NOT NULL DEFAULT ''
);
-- a rowid table with a separate key: rows are large, and appending them
-- is cheaper than keeping them in key order
CREATE UNIQUE INDEX vulns_key ON vulns(id, source);

-- The matcher's candidate lookup: every configuration under the vendor and
-- product of each of its vulnerable criteria, stored in key order so that
-- one product's configurations are read together.
CREATE TABLE cpe_index (
	vendor    TEXT NOT NULL,
	product   TEXT NOT NULL,
	config_id INTEGER NOT NULL, -- vulns.rowid << 10 | index of the configuration
	cve_id    TEXT NOT NULL,
	config    TEXT NOT NULL, -- JSON of db.Config
	PRIMARY KEY (vendor, product, config_id)
) WITHOUT ROWID;

-- One OSV "affected" entry per row.
CREATE TABLE osv_affected (
	id        INTEGER PRIMARY KEY,
	vuln_id   TEXT NOT NULL,
	ecosystem TEXT NOT NULL, -- as in the record, e.g. "Debian:12"
	eco_base  TEXT NOT NULL, -- lower-case ecosystem before ':', e.g. "debian"
	name      TEXT NOT NULL,
	affected  TEXT NOT NULL -- JSON of db.Affected
);
CREATE INDEX osv_affected_pkg ON osv_affected(eco_base, name);
CREATE INDEX osv_affected_vuln ON osv_affected(vuln_id);

CREATE TABLE kev (
	cve_id      TEXT PRIMARY KEY,
	date_added  TEXT NOT NULL,
	due_date    TEXT NOT NULL DEFAULT '',
	ransomware  TEXT NOT NULL DEFAULT '',
	name        TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

CREATE TABLE epss (
	cve_id     TEXT PRIMARY KEY,
	score      REAL NOT NULL,
	percentile REAL NOT NULL,
	date       TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

-- What was imported from where and when, with the state that makes the
-- next download conditional (etag, last_modified) or incremental (cursor).
CREATE TABLE sources (
	name          TEXT PRIMARY KEY,
	kind          TEXT NOT NULL,
	location      TEXT NOT NULL DEFAULT '',
	updated_at    TEXT NOT NULL,
	records       INTEGER NOT NULL DEFAULT 0,
	etag          TEXT NOT NULL DEFAULT '',
	last_modified TEXT NOT NULL DEFAULT '',
	cursor        TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
