package archive

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// TestSevenZipMethods compares each archive of scripts/fixtures/sevenzip.sh
// with what 7z x extracts from it, file by file.
func TestSevenZipMethods(t *testing.T) {
	for _, name := range []string{"lzma", "lzma2", "ppmd", "deflate", "bzip2", "bcj", "bcj2", "copy"} {
		t.Run(name, func(t *testing.T) {
			file, _ := filepath.Abs(filepath.Join("testdata", "7z", name+".7z"))
			data := formattest.Testdata(t, filepath.Join("7z", name+".7z"))
			s, m := formattest.Extract(t, SevenZip(), data)
			if !m.Extractable || m.Size != int64(len(data)) {
				t.Errorf("match %+v", m)
			}
			if len(s.Problems) > 0 {
				t.Errorf("problems: %v", s.Problems)
			}
			ref := formattest.Reference(t, "7z", "x", "-bso0", "-bsp0", "-snl", "-o{}", file)
			formattest.CompareTree(t, s, ref, formattest.CompareOptions{Perm: true, Special: true})
			if f := s.Get("dir/prog"); f == nil || !bytes.HasPrefix(f.Data, []byte("\x7fELF")) {
				t.Errorf("dir/prog is not the i686 executable")
			}
		})
	}
}

// TestSevenZipEncrypted: without the password the entries are listed,
// marked incomplete, and named in one problem; with encrypted headers
// the problem says that even the names are locked.
func TestSevenZipEncrypted(t *testing.T) {
	s, _ := formattest.Extract(t, SevenZip(), formattest.Testdata(t, "7z/encrypted.7z"))
	for _, p := range []string{"dir/hello.txt", "dir/numbers.txt", "dir/prog", "dir/sub/deep.txt"} {
		f := s.Get(p)
		if f == nil || f.Incomplete == "" || len(f.Data) != 0 {
			t.Errorf("%s: %+v", p, f)
		}
	}
	if len(s.Problems) != 1 || !strings.Contains(s.Problems[0], "encrypted") ||
		!strings.Contains(s.Problems[0], "dir/hello.txt") || !strings.Contains(s.Problems[0], "dir/sub/deep.txt") {
		t.Errorf("problems: %q", s.Problems)
	}
	if f := s.Get("dir/sub"); f == nil || !f.Mode.IsDir() {
		t.Errorf("dir/sub: %+v", f)
	}

	s, _ = formattest.Extract(t, SevenZip(), formattest.Testdata(t, "7z/encrypted-headers.7z"))
	if len(s.Files) != 0 || len(s.Problems) != 1 || !strings.Contains(s.Problems[0], "header is encrypted") {
		t.Errorf("files %v problems %q", s.Paths(), s.Problems)
	}
}

// TestSevenZipCRC flips a byte of a stored (Copy) file: the file is kept,
// marked incomplete, and the CRC mismatch is a problem.
func TestSevenZipCRC(t *testing.T) {
	data := formattest.Testdata(t, "7z/copy.7z")
	i := bytes.Index(data, []byte("hello 7z\n"))
	if i < 0 {
		t.Fatal("hello.txt not stored in the clear")
	}
	data = append([]byte{}, data...)
	data[i] = 'j'
	s := &formattest.MemSink{}
	if err := SevenZip().Extract(context.Background(), bytes.NewReader(data), int64(len(data)), s); err != nil {
		t.Fatal(err)
	}
	if f := s.Get("dir/hello.txt"); f == nil || !strings.Contains(f.Incomplete, "CRC") {
		t.Errorf("hello.txt: %+v", f)
	}
	if f := s.Get("dir/numbers.txt"); f == nil || f.Incomplete != "" {
		t.Errorf("numbers.txt: %+v", f)
	}
}

// FuzzSevenZip drives the 7z glue (and the decoders behind it) with
// mutated archives of every coder (the encrypted ones spend their time in
// the key derivation: TestSevenZipEncrypted covers them).
func FuzzSevenZip(f *testing.F) {
	for _, n := range []string{"lzma", "lzma2", "ppmd", "deflate", "bzip2", "bcj", "bcj2", "copy"} {
		f.Add(formattest.Testdata(f, "7z/"+n+".7z"))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		formattest.Fuzz(t, SevenZip(), data)
	})
}
