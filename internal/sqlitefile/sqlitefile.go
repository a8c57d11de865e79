// Package sqlitefile reads the tables of an SQLite 3 database file held in
// memory: the schema, each table's column names and its rows. It is a
// reader for analysis, not a database: it follows the documented file
// format (header, table b-trees, overflow chains, records) and nothing
// else, so a hostile file costs bounded work and never runs SQL. Journals,
// WAL files and index b-trees are not read.
package sqlitefile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unicode/utf16"
)

// Magic starts every SQLite 3 database file.
const Magic = "SQLite format 3\x00"

// ErrNotSQLite is returned for data that does not start with Magic.
var ErrNotSQLite = errors.New("not an SQLite 3 database")

// DB is a database file.
type DB struct {
	data     []byte
	pageSize int
	usable   int
	pages    int
	enc      byte // 1 UTF-8, 2 UTF-16le, 3 UTF-16be
}

// Open checks the header of data. The DB keeps data; the caller must not
// change it while the DB is used.
func Open(data []byte) (*DB, error) {
	if len(data) < 100 || string(data[:16]) != Magic {
		return nil, ErrNotSQLite
	}
	ps := int(binary.BigEndian.Uint16(data[16:]))
	if ps == 1 {
		ps = 65536
	}
	if ps < 512 || ps&(ps-1) != 0 {
		return nil, fmt.Errorf("sqlite: page size %d is not a power of two between 512 and 65536", ps)
	}
	reserved := int(data[20])
	usable := ps - reserved
	if usable < 480 {
		return nil, fmt.Errorf("sqlite: usable page size %d is below 480", usable)
	}
	enc := binary.BigEndian.Uint32(data[56:])
	if enc == 0 {
		enc = 1 // an empty database has no encoding yet
	}
	if enc > 3 {
		return nil, fmt.Errorf("sqlite: unknown text encoding %d", enc)
	}
	return &DB{data: data, pageSize: ps, usable: usable, pages: len(data) / ps, enc: byte(enc)}, nil
}

// Table is one entry of the schema.
type Table struct {
	Name     string
	SQL      string
	RootPage int
	// Columns are the names the CREATE TABLE statement declares, in
	// order: the order of the values of each row.
	Columns []string
	// WithoutRowID tables are index b-trees; Rows does not read them.
	WithoutRowID bool
}

// Kind is the storage class of a value.
type Kind byte

// The storage classes.
const (
	Null Kind = iota
	Integer
	Float
	Text
	Blob
)

// Value is one field of a row. Text and Blob alias the file's data.
type Value struct {
	Kind  Kind
	Int   int64
	Float float64
	Bytes []byte // Text (UTF-8) or Blob
}

// String renders a value as text: the empty string for NULL.
func (v Value) String() string {
	switch v.Kind {
	case Integer:
		return fmt.Sprint(v.Int)
	case Float:
		return fmt.Sprint(v.Float)
	case Text, Blob:
		return string(v.Bytes)
	}
	return ""
}

// Limits bound the work on one database.
const (
	maxDepth      = 32      // b-tree depth
	maxCellsTotal = 1 << 20 // cells visited per walk
)

// Tables reads the schema (the table b-tree rooted at page 1) and returns
// its tables, without the internal sqlite_ ones.
func (db *DB) Tables() ([]Table, error) {
	var out []Table
	err := db.walk(1, func(_ int64, vals []Value) bool {
		if len(vals) < 5 || vals[0].String() != "table" {
			return true
		}
		name := vals[1].String()
		if len(name) >= 7 && name[:7] == "sqlite_" {
			return true
		}
		sql := vals[4].String()
		cols, withoutRowID := ParseColumns(sql)
		root := vals[3].Int
		if root < 0 || root > math.MaxInt32 {
			root = 0
		}
		out = append(out, Table{Name: name, SQL: sql, RootPage: int(root), Columns: cols, WithoutRowID: withoutRowID})
		return true
	})
	return out, err
}

// Rows calls fn with each row of t, in rowid order, until fn returns
// false. A column declared INTEGER PRIMARY KEY holds the rowid; its
// stored value is NULL, as SQLite stores it.
func (db *DB) Rows(t Table, fn func(rowid int64, vals []Value) bool) error {
	if t.WithoutRowID {
		return fmt.Errorf("sqlite: table %s is WITHOUT ROWID", t.Name)
	}
	if t.RootPage < 1 {
		return fmt.Errorf("sqlite: table %s has no root page", t.Name)
	}
	return db.walk(t.RootPage, fn)
}

type walker struct {
	db      *DB
	fn      func(int64, []Value) bool
	cells   int
	visited map[int]bool
	stop    bool
}

func (db *DB) walk(root int, fn func(int64, []Value) bool) error {
	w := &walker{db: db, fn: fn, visited: map[int]bool{}}
	return w.page(root, 0)
}

func (db *DB) page(n int) ([]byte, int, error) {
	if n < 1 || n > db.pages {
		return nil, 0, fmt.Errorf("sqlite: page %d outside the file (%d pages)", n, db.pages)
	}
	p := db.data[(n-1)*db.pageSize : n*db.pageSize]
	hdr := 0
	if n == 1 {
		hdr = 100
	}
	return p, hdr, nil
}

func (w *walker) page(n, depth int) error {
	if w.stop {
		return nil
	}
	if depth > maxDepth {
		return errors.New("sqlite: b-tree deeper than 32 levels")
	}
	if w.visited[n] {
		return fmt.Errorf("sqlite: page %d reached twice (a loop)", n)
	}
	w.visited[n] = true
	p, h, err := w.db.page(n)
	if err != nil {
		return err
	}
	if h+8 > len(p) {
		return fmt.Errorf("sqlite: page %d too short", n)
	}
	typ := p[h]
	ncells := int(binary.BigEndian.Uint16(p[h+3:]))
	hsize := 8
	if typ == 5 {
		hsize = 12
	}
	if h+hsize+2*ncells > w.db.usable {
		return fmt.Errorf("sqlite: page %d: %d cells do not fit", n, ncells)
	}
	ptrs := p[h+hsize:]
	switch typ {
	case 13: // table leaf
		for i := 0; i < ncells && !w.stop; i++ {
			if w.cells++; w.cells > maxCellsTotal {
				return errors.New("sqlite: over a million cells")
			}
			off := int(binary.BigEndian.Uint16(ptrs[2*i:]))
			rowid, rec, err := w.db.leafCell(p, off)
			if err != nil {
				return fmt.Errorf("sqlite: page %d cell %d: %w", n, i, err)
			}
			vals, err := w.db.record(rec)
			if err != nil {
				return fmt.Errorf("sqlite: page %d cell %d: %w", n, i, err)
			}
			if !w.fn(rowid, vals) {
				w.stop = true
			}
		}
		return nil
	case 5: // table interior
		for i := 0; i < ncells && !w.stop; i++ {
			if w.cells++; w.cells > maxCellsTotal {
				return errors.New("sqlite: over a million cells")
			}
			off := int(binary.BigEndian.Uint16(ptrs[2*i:]))
			if off < h || off+4 > w.db.usable {
				return fmt.Errorf("sqlite: page %d cell %d outside the page", n, i)
			}
			if err := w.page(int(binary.BigEndian.Uint32(p[off:])), depth+1); err != nil {
				return err
			}
		}
		return w.page(int(binary.BigEndian.Uint32(p[h+8:])), depth+1)
	}
	return fmt.Errorf("sqlite: page %d is not a table b-tree page (type %d)", n, typ)
}

// leafCell returns a table leaf cell's rowid and its whole payload,
// following the overflow chain.
func (db *DB) leafCell(p []byte, off int) (int64, []byte, error) {
	if off >= db.usable {
		return 0, nil, errors.New("cell outside the page")
	}
	size, n := varint(p[off:db.usable])
	if n == 0 {
		return 0, nil, errors.New("bad payload size")
	}
	off += n
	rowid, n := varint(p[off:db.usable])
	if n == 0 {
		return 0, nil, errors.New("bad rowid")
	}
	off += n
	if size > uint64(len(db.data)) {
		return 0, nil, fmt.Errorf("payload of %d bytes is larger than the file", size)
	}
	total := int(size)
	u := db.usable
	x := u - 35
	local := total
	if total > x {
		m := (u-12)*32/255 - 23
		k := m + (total-m)%(u-4)
		local = m
		if k <= x {
			local = k
		}
	}
	if off+local > u {
		return 0, nil, errors.New("payload outside the page")
	}
	if local == total {
		return int64(rowid), p[off : off+total], nil
	}
	if off+local+4 > u {
		return 0, nil, errors.New("overflow pointer outside the page")
	}
	out := make([]byte, 0, total)
	out = append(out, p[off:off+local]...)
	next := int(binary.BigEndian.Uint32(p[off+local:]))
	seen := map[int]bool{}
	for len(out) < total {
		if seen[next] {
			return 0, nil, errors.New("overflow chain loops")
		}
		seen[next] = true
		op, _, err := db.page(next)
		if err != nil {
			return 0, nil, fmt.Errorf("overflow: %w", err)
		}
		chunk := min(total-len(out), u-4)
		out = append(out, op[4:4+chunk]...)
		next = int(binary.BigEndian.Uint32(op))
	}
	return int64(rowid), out, nil
}

// record decodes a record: a header of serial types, then the values.
func (db *DB) record(rec []byte) ([]Value, error) {
	hlen, n := varint(rec)
	if n == 0 || hlen > uint64(len(rec)) || int(hlen) < n {
		return nil, errors.New("bad record header")
	}
	hdr := rec[n:hlen]
	body := rec[hlen:]
	var vals []Value
	for len(hdr) > 0 {
		st, n := varint(hdr)
		if n == 0 {
			return nil, errors.New("bad serial type")
		}
		hdr = hdr[n:]
		var v Value
		size := 0
		switch {
		case st == 0:
		case st >= 1 && st <= 6:
			size = []int{0, 1, 2, 3, 4, 6, 8}[st]
			v.Kind = Integer
		case st == 7:
			size, v.Kind = 8, Float
		case st == 8 || st == 9:
			v.Kind, v.Int = Integer, int64(st-8)
		case st == 10 || st == 11:
			return nil, fmt.Errorf("reserved serial type %d", st)
		default:
			if st > uint64(2*len(body)+13) {
				return nil, errors.New("value runs past the record")
			}
			size = int(st-12) / 2
			v.Kind = Blob
			if st%2 == 1 {
				v.Kind = Text
			}
		}
		if size > len(body) {
			return nil, errors.New("value runs past the record")
		}
		b := body[:size]
		body = body[size:]
		switch v.Kind {
		case Integer:
			if size > 0 {
				var x int64
				for _, c := range b {
					x = x<<8 | int64(c)
				}
				shift := uint(64 - 8*size)
				v.Int = x << shift >> shift // sign-extend
			}
		case Float:
			v.Float = math.Float64frombits(binary.BigEndian.Uint64(b))
		case Text:
			v.Bytes = db.text(b)
		case Blob:
			v.Bytes = b
		}
		vals = append(vals, v)
	}
	return vals, nil
}

func (db *DB) text(b []byte) []byte {
	if db.enc == 1 {
		return b
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		if db.enc == 2 {
			u[i] = binary.LittleEndian.Uint16(b[2*i:])
		} else {
			u[i] = binary.BigEndian.Uint16(b[2*i:])
		}
	}
	return []byte(string(utf16.Decode(u)))
}

// varint decodes SQLite's big-endian variable-length integer; n is 0
// when b ends first.
func varint(b []byte) (v uint64, n int) {
	for i := 0; i < 9; i++ {
		if i >= len(b) {
			return 0, 0
		}
		if i == 8 {
			return v<<8 | uint64(b[i]), 9
		}
		v = v<<7 | uint64(b[i]&0x7f)
		if b[i]&0x80 == 0 {
			return v, i + 1
		}
	}
	return v, 9
}
