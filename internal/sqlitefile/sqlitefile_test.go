package sqlitefile

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// quote renders a value as sqlite3's quote() does.
func quote(v Value) string {
	switch v.Kind {
	case Null:
		return "NULL"
	case Integer:
		return strconv.FormatInt(v.Int, 10)
	case Float:
		s := strconv.FormatFloat(v.Float, 'g', 15, 64)
		if !strings.ContainsAny(s, ".e") {
			s += ".0"
		}
		return s
	case Text:
		return "'" + strings.ReplaceAll(string(v.Bytes), "'", "''") + "'"
	}
	return fmt.Sprintf("X'%X'", v.Bytes)
}

// dump prints every rowid table as scripts/fixtures/sqlite.sh has sqlite3
// print it.
func dump(t *testing.T, db *DB) string {
	tables, err := db.Tables()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, tb := range tables {
		if tb.WithoutRowID {
			continue
		}
		fmt.Fprintf(&b, "table '%s'\n", strings.ReplaceAll(tb.Name, "'", "''"))
		err := db.Rows(tb, func(rowid int64, vals []Value) bool {
			fields := []string{strconv.FormatInt(rowid, 10)}
			for i := range tb.Columns {
				v := Value{}
				if i < len(vals) {
					v = vals[i]
				}
				if i == 0 && v.Kind == Null && strings.Contains(strings.ToUpper(tb.SQL), "INTEGER PRIMARY KEY") {
					v = Value{Kind: Integer, Int: rowid}
				}
				// SQLite stores integral REAL values as integers and
				// converts them back on reading, by the column's type.
				if v.Kind == Integer && strings.Contains(strings.ToUpper(tb.SQL), " "+strings.ToUpper(tb.Columns[i])+" REAL") {
					v = Value{Kind: Float, Float: float64(v.Int)}
				}
				fields = append(fields, quote(v))
			}
			b.WriteString(strings.Join(fields, "\x1f") + "\n")
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// TestAgainstSQLite3: every row of every fixture reads as the sqlite3
// tool printed it (interior pages, overflow chains, every integer width,
// reals, blobs, NULLs, UTF-16, quoted names).
func TestAgainstSQLite3(t *testing.T) {
	dbs, _ := filepath.Glob("testdata/*.db")
	if len(dbs) < 3 {
		t.Fatalf("fixtures missing: %v (scripts/fixtures/sqlite.sh)", dbs)
	}
	for _, p := range dbs {
		t.Run(filepath.Base(p), func(t *testing.T) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(strings.TrimSuffix(p, ".db") + ".dump")
			if err != nil {
				t.Fatal(err)
			}
			db, err := Open(data)
			if err != nil {
				t.Fatal(err)
			}
			got := dump(t, db)
			if got != string(want) {
				gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
				for i := range min(len(gl), len(wl)) {
					if gl[i] != wl[i] {
						t.Fatalf("line %d:\n got %.200q\nwant %.200q", i+1, gl[i], wl[i])
					}
				}
				t.Fatalf("%d lines, want %d", len(gl), len(wl))
			}
		})
	}
}

func TestSchema(t *testing.T) {
	data, err := os.ReadFile("testdata/schema.db")
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(data)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := db.Tables()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, tb := range tables {
		got[tb.Name] = tb.Columns
		if tb.Name == "kv" != tb.WithoutRowID {
			t.Errorf("%s: WithoutRowID=%v", tb.Name, tb.WithoutRowID)
		}
	}
	want := map[string][]string{"odd table": {"first name", "e-mail", `pho"ne`}, "kv": {"k", "v"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("tables %q, want %q", got, want)
	}
}

func TestParseColumns(t *testing.T) {
	for _, tt := range []struct {
		sql  string
		want []string
		wr   bool
	}{
		{"CREATE TABLE t(a, b)", []string{"a", "b"}, false},
		{"CREATE TABLE IF NOT EXISTS main.t (\n  a INTEGER PRIMARY KEY, -- the id\n  b VARCHAR(20, 3) /* c, d */ NOT NULL,\n  FOREIGN KEY (b) REFERENCES u(x)\n)", []string{"a", "b"}, false},
		{"CREATE TABLE t(a TEXT, UNIQUE(a)) WITHOUT ROWID", []string{"a"}, true},
		{"CREATE TABLE t AS SELECT 1", nil, false},
		{"CREATE TABLE t(", nil, false},
		{"", nil, false},
	} {
		got, wr := ParseColumns(tt.sql)
		if !reflect.DeepEqual(got, tt.want) || wr != tt.wr {
			t.Errorf("%q: %q %v, want %q %v", tt.sql, got, wr, tt.want, tt.wr)
		}
	}
}

// TestCorrupt: damaged databases give errors, not panics or hangs.
func TestCorrupt(t *testing.T) {
	data, err := os.ReadFile("testdata/big.db")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(data[:99]); err != ErrNotSQLite {
		t.Errorf("short header: %v", err)
	}
	bad := bytes.Clone(data)
	bad[16], bad[17] = 0x03, 0x00 // page size 768
	if _, err := Open(bad); err == nil {
		t.Error("page size 768 accepted")
	}
	// A truncated file: the schema reads, the table fails cleanly.
	db, err := Open(data[:len(data)/2])
	if err != nil {
		t.Fatal(err)
	}
	tables, err := db.Tables()
	if err != nil || len(tables) != 1 {
		t.Fatalf("schema of truncated file: %v %v", tables, err)
	}
	if err := db.Rows(tables[0], func(int64, []Value) bool { return true }); err == nil {
		t.Error("truncated table read without error")
	}
	// Every page pointing to itself: a loop, reported.
	loop := bytes.Clone(data[:4096])
	loop[16], loop[17] = 0x04, 0x00
	loop[100] = 5
	loop[103], loop[104] = 0, 0
	copy(loop[108:], []byte{0, 0, 0, 1})
	db, err = Open(loop)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Tables(); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("loop: %v", err)
	}
}
