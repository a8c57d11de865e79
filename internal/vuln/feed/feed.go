// Package feed imports vulnerability data files into the database: it
// recognises each file's kind (NVD, OSV, KEV, EPSS) from its content, reads
// gzip'd files, directories and OSV all.zip exports, and does all of one
// import in one transaction.
package feed

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/thingsec/thingsec/internal/vuln/db"
	"github.com/thingsec/thingsec/internal/vuln/epss"
	"github.com/thingsec/thingsec/internal/vuln/kev"
	"github.com/thingsec/thingsec/internal/vuln/nvd"
	"github.com/thingsec/thingsec/internal/vuln/osv"
)

// Kinds of feeds.
const (
	KindNVD  = "nvd"
	KindOSV  = "osv"
	KindKEV  = "kev"
	KindEPSS = "epss"
)

// Stats counts imported records per kind.
type Stats map[string]int

// Total is the number of records of all kinds.
func (s Stats) Total() int {
	n := 0
	for _, v := range s {
		n += v
	}
	return n
}

func (s Stats) String() string {
	var parts []string
	for _, k := range []string{KindNVD, KindOSV, KindKEV, KindEPSS} {
		if s[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", s[k], k))
		}
	}
	if len(parts) == 0 {
		return "no records"
	}
	return strings.Join(parts, ", ")
}

// Error names the file (and, inside a zip, the entry) that could not be
// imported; the wrapped error gives the record and byte offset.
type Error struct {
	File string
	Err  error
}

func (e *Error) Error() string { return e.File + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// ImportPaths imports files and directories in one transaction: on any
// error nothing is kept and the database stays as it was.
func ImportPaths(ctx context.Context, d *db.DB, paths []string, now time.Time) (Stats, error) {
	total := Stats{}
	err := d.Import(ctx, func(tx *db.Tx) error {
		for _, p := range paths {
			st := Stats{}
			if err := ImportPath(ctx, tx, p, st); err != nil {
				return err
			}
			abs, _ := filepath.Abs(p)
			for kind, n := range st {
				total[kind] += n
				if err := tx.PutSource(db.Source{Name: kind + " " + abs, Kind: kind, Location: abs, UpdatedAt: now.UTC().Format(time.RFC3339), Records: n}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return Stats{}, err
	}
	return total, nil
}

// ImportPath imports a file or, recursively, a directory's .json,
// .json.gz, .csv, .csv.gz and .zip files (sorted, so imports repeat).
func ImportPath(ctx context.Context, tx *db.Tx, path string, st Stats) error {
	info, err := os.Stat(path)
	if err != nil {
		return &Error{path, err}
	}
	if !info.IsDir() {
		return importFile(ctx, tx, path, st)
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.Type().IsRegular() && wanted(e.Name()) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return &Error{path, err}
	}
	sort.Strings(files)
	for _, f := range files {
		if err := importFile(ctx, tx, f, st); err != nil {
			return err
		}
	}
	return nil
}

func wanted(name string) bool {
	name = strings.ToLower(strings.TrimSuffix(strings.ToLower(name), ".gz"))
	return strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".csv") || strings.HasSuffix(name, ".zip")
}

func importFile(ctx context.Context, tx *db.Tx, path string, st Stats) error {
	f, err := os.Open(path)
	if err != nil {
		return &Error{path, err}
	}
	defer f.Close()
	var magic [4]byte
	if n, _ := io.ReadFull(f, magic[:]); n == 4 && string(magic[:]) == "PK\x03\x04" {
		info, err := f.Stat()
		if err != nil {
			return &Error{path, err}
		}
		return importZip(ctx, tx, path, f, info.Size(), st)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return &Error{path, err}
	}
	return ImportReader(ctx, tx, path, f, st)
}

// importZip imports every .json entry of a zip (an OSV all.zip export).
func importZip(ctx context.Context, tx *db.Tx, path string, r io.ReaderAt, size int64, st Stats) error {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return &Error{path, fmt.Errorf("corrupt zip: %w", err)}
	}
	for i, zf := range zr.File {
		if !strings.HasSuffix(zf.Name, ".json") {
			continue
		}
		name := fmt.Sprintf("%s[entry %d %s]", path, i, zf.Name)
		rc, err := zf.Open()
		if err != nil {
			return &Error{name, err}
		}
		err = ImportReader(ctx, tx, name, rc, st)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// ImportReader imports one stream (gzip'd or not) after recognising its
// kind from its first bytes; name is used in errors.
func ImportReader(ctx context.Context, tx *db.Tx, name string, r io.Reader, st Stats) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if m, _ := br.Peek(2); len(m) == 2 && m[0] == 0x1f && m[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return &Error{name, fmt.Errorf("corrupt gzip: %w", err)}
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	head, err := br.Peek(64 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return &Error{name, fmt.Errorf("byte offset %d: %w", len(head), err)}
	}
	kind := Sniff(head)
	var n int
	switch kind {
	case KindNVD:
		n, err = importNVD(tx, br)
	case KindOSV:
		var rec osv.Record
		if rec, err = osv.Decode(br); err == nil {
			err = tx.PutOSV(rec.Vuln, rec.Affected)
			n = 1
		}
	case KindKEV:
		n, err = kev.Decode(br, tx.PutKEV)
	case KindEPSS:
		n, err = epss.Decode(br, tx.PutEPSS)
	default:
		return &Error{name, fmt.Errorf("not a recognised feed (NVD CVE API 2.0 JSON, OSV JSON, CISA KEV JSON or EPSS CSV)")}
	}
	if err != nil {
		return &Error{name, err}
	}
	st[kind] += n
	return nil
}

// Sniff tells a feed's kind from its first bytes.
func Sniff(head []byte) string {
	h := bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf")
	switch {
	case len(h) == 0:
		return ""
	case h[0] == '#' || bytes.HasPrefix(h, []byte("cve,epss")):
		return KindEPSS
	case h[0] != '{':
		return ""
	case has(h, `"catalogVersion"`, `"cveID"`):
		return KindKEV
	case has(h, `"sourceIdentifier"`, `"resultsPerPage"`, `"NVD_CVE"`, `"vulnStatus"`, `"cve":`):
		return KindNVD
	case has(h, `"affected"`, `"schema_version"`, `"modified"`):
		return KindOSV
	}
	return ""
}

func has(h []byte, keys ...string) bool {
	for _, k := range keys {
		if bytes.Contains(h, []byte(k)) {
			return true
		}
	}
	return false
}

// importNVD decodes records on one goroutine while this one writes them:
// JSON decoding and SQLite inserts cost about the same, so two cores
// import nearly twice as fast.
func importNVD(tx *db.Tx, r io.Reader) (int, error) {
	recs := make(chan nvd.Record, 256)
	stop := make(chan struct{})
	var decErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(recs)
		_, _, decErr = nvd.Decode(r, func(rec nvd.Record) error {
			select {
			case recs <- rec:
				return nil
			case <-stop:
				return errStopped
			}
		})
	}()
	n := 0
	var putErr error
	for rec := range recs {
		if putErr != nil {
			continue
		}
		if putErr = tx.PutNVD(rec.Vuln, rec.Configs); putErr != nil {
			putErr = fmt.Errorf("record %d (%s): %w", n, rec.Vuln.ID, putErr)
			close(stop)
			continue
		}
		n++
	}
	<-done
	if putErr != nil {
		return n, putErr
	}
	return n, decErr
}

var errStopped = errors.New("import stopped")
