// Package formattest holds helpers for testing unpackers: an in-memory Sink
// with limits, and a fuzz body that every unpacker's fuzz target calls.
package formattest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// File is one entry captured by MemSink.
type File struct {
	format.Entry
	Data []byte
}

// MemSink keeps entries in memory. MaxBytes bounds the total content (a
// zero value means 256 MiB) so fuzzing cannot exhaust memory.
type MemSink struct {
	Files    map[string]*File
	Problems []string
	MaxBytes int64
	total    int64
	writing  *File // the entry whose content is being read
}

// ErrLimit is returned by MemSink.Add when MaxBytes is exceeded.
var ErrLimit = errors.New("memsink: byte limit exceeded")

func (s *MemSink) Add(e format.Entry, r io.Reader) error {
	if s.Files == nil {
		s.Files = map[string]*File{}
	}
	max := s.MaxBytes
	if max == 0 {
		max = 256 << 20
	}
	f := &File{Entry: e}
	s.writing = f
	defer func() { s.writing = nil }()
	if r != nil {
		var buf bytes.Buffer
		n, err := io.Copy(&buf, io.LimitReader(r, max-s.total+1))
		s.total += n
		if s.total > max {
			return ErrLimit
		}
		f.Data = buf.Bytes()
		if err != nil {
			s.Problems = append(s.Problems, e.Path+": "+err.Error())
			if f.Incomplete == "" {
				f.Incomplete = "content truncated: " + err.Error()
			}
		}
	}
	s.Files[path.Clean("/"+e.Path)] = f
	return nil
}

// Problem records the problem and, as the engine's sink does, marks the
// entry at p (when already added) incomplete.
func (s *MemSink) Problem(p string, err error) {
	s.Problems = append(s.Problems, p+": "+err.Error())
	f := s.Get(p)
	if w := s.writing; w != nil && p != "" && path.Clean("/"+w.Path) == path.Clean("/"+p) {
		f = w
	}
	if p != "" && f != nil && f.Incomplete == "" {
		f.Incomplete = err.Error()
	}
}

// Paths returns the sorted paths seen.
func (s *MemSink) Paths() []string {
	var out []string
	for p := range s.Files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Get returns the file at p (leading slash optional) or nil.
func (s *MemSink) Get(p string) *File { return s.Files[path.Clean("/"+p)] }

// Extract identifies data with f and extracts it into a fresh MemSink.
func Extract(t testing.TB, f format.Format, data []byte) (*MemSink, format.Match) {
	t.Helper()
	r := bytes.NewReader(data)
	m, err := f.Identify(r, int64(len(data)))
	if err != nil {
		t.Fatalf("%s: Identify: %v", f.Name(), err)
	}
	s := &MemSink{}
	size := int64(len(data))
	if m.Size > 0 && m.Size <= size {
		size = m.Size
	}
	if err := f.Extract(context.Background(), io.NewSectionReader(r, 0, size), size, s); err != nil {
		t.Fatalf("%s: Extract: %v", f.Name(), err)
	}
	return s, m
}

// Fuzz is the body of every unpacker fuzz target: Identify and Extract must
// never panic or hang, whatever the bytes.
func Fuzz(t *testing.T, f format.Format, data []byte) {
	r := bytes.NewReader(data)
	m, err := f.Identify(r, int64(len(data)))
	if err != nil {
		return
	}
	size := int64(len(data))
	if m.Size > 0 && m.Size <= size {
		size = m.Size
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := &MemSink{MaxBytes: 64 << 20}
	_ = f.Extract(ctx, io.NewSectionReader(r, 0, size), size, s)
	for p := range s.Files {
		if strings.Contains(p, "\x00") {
			t.Fatalf("path with NUL byte: %q", p)
		}
	}
}
