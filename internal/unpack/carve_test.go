package unpack

import (
	"bytes"
	"context"
	"testing"
)

// FuzzCarve: the carver never panics, and what it returns lies in the
// file, in offset order, from formats that validated.
func FuzzCarve(f *testing.F) {
	f.Add([]byte("hsqs\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\xff\xffustar"))
	f.Add(bytes.Repeat([]byte("\x1f\x9dhsqsUBI#"), 300))
	c := newCarver(Registry()).withLimits(DefaultLimits())
	f.Fuzz(func(t *testing.T, data []byte) {
		cands, regions, _ := c.scan(context.Background(), bytes.NewReader(data), int64(len(data)), true)
		size := int64(len(data))
		for i, cd := range cands {
			if cd.off < 0 || cd.off >= size || cd.size <= 0 || cd.off+cd.size > size {
				t.Fatalf("candidate %s at %d+%d outside the %d-byte file", cd.f.Name(), cd.off, cd.size, size)
			}
			if i > 0 && cd.off < cands[i-1].off {
				t.Fatalf("candidates out of order")
			}
		}
		for _, r := range regions {
			if r.Offset < 0 || r.Offset+r.Size > size {
				t.Fatalf("region %+v outside the file", r)
			}
		}
	})
}

// TestCarveBudgetSkipsAndReports: a flood past the budget is reported
// with the format and the first skipped offset, and a structure after it
// (here another format) is still found.
func TestCarveBudgetSkipsAndReports(t *testing.T) {
	c := newCarver(Registry()).withLimits(DefaultLimits())
	flood := bytes.Repeat([]byte("x\x9c"), 4<<20)
	data := append(flood, []byte("!<arch>\n")...)
	data = append(data, []byte("hello.txt/      0           0     0     644     5         `\nhello\n")...)
	cands, _, err := c.scan(context.Background(), bytes.NewReader(data), int64(len(data)), true)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("zlib candidates skipped from 0x")) {
		t.Errorf("error %v: want the skipped zlib candidates listed", err)
	}
	if len(cands) == 0 || cands[len(cands)-1].f.Name() != "ar" {
		t.Errorf("the ar archive after the flood was not found: %+v", cands)
	}
}
