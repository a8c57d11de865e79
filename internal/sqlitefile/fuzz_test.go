package sqlitefile

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead: no input makes the reader panic, loop or allocate without
// bound.
func FuzzRead(f *testing.F) {
	dbs, _ := filepath.Glob("testdata/*.db")
	for _, p := range dbs {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data[:min(len(data), 8192)])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		db, err := Open(data)
		if err != nil {
			return
		}
		tables, _ := db.Tables()
		for _, tb := range tables {
			n := 0
			db.Rows(tb, func(int64, []Value) bool { n++; return n < 10000 })
		}
		ParseColumns(string(data))
	})
}
