package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"math/rand"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

const longName = "dir/sub/a-very-long-file-name-that-does-not-fit-in-the-hundred-byte-ustar-name-field-at-all-really.txt"

func numbers() string {
	var sb strings.Builder
	for i := 1; i <= 2000; i++ {
		sb.WriteString(strings.TrimSpace(strings.Repeat(" ", 0)) + itoa(i) + "\n")
	}
	return sb.String()
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func TestTarFixtures(t *testing.T) {
	for _, c := range []struct {
		file string
		long bool
	}{{"ustar.tar", false}, {"gnu.tar", true}, {"pax.tar", true}} {
		t.Run(c.file, func(t *testing.T) {
			data := formattest.Testdata(t, c.file)
			s, m := formattest.Extract(t, Tar(), data)
			if m.Size == 0 || m.Size > int64(len(data)) {
				t.Errorf("Match.Size = %d", m.Size)
			}
			if len(s.Problems) > 0 {
				t.Errorf("problems: %v", s.Problems)
			}
			want := map[string]fs.FileMode{
				"dir":             fs.ModeDir | 0o755,
				"dir/sub":         fs.ModeDir | 0o755,
				"dir/hard.txt":    0o644,
				"dir/hello.txt":   0o644,
				"dir/numbers.txt": 0o644,
				"dir/run.sh":      fs.ModeSetuid | 0o755,
				"dir/link":        fs.ModeSymlink | 0o777,
				"dir/fifo":        fs.ModeNamedPipe | 0o644,
			}
			if c.long {
				want[longName] = 0o644
			}
			if got := s.Paths(); len(got) != len(want) {
				t.Errorf("paths = %v", got)
			}
			for p, mode := range want {
				f := s.Get(p)
				if f == nil {
					t.Errorf("missing %s", p)
					continue
				}
				if f.Mode != mode || f.UID != 1000 || f.GID != 1000 || f.ModTime.Unix() != 1700000000 {
					t.Errorf("%s: mode %v uid %d gid %d mtime %v", p, f.Mode, f.UID, f.GID, f.ModTime)
				}
			}
			if f := s.Get("dir/link"); f != nil && f.Linkname != "hello.txt" {
				t.Errorf("symlink target %q", f.Linkname)
			}
			// GNU tar stores the second name of a hard link pair as the link.
			if f := s.Get("dir/hello.txt"); f != nil && (!f.Hardlink || f.Linkname != "dir/hard.txt") {
				t.Errorf("hard link: %+v", f.Entry)
			}
			if f := s.Get("dir/hard.txt"); f != nil && string(f.Data) != "hello tar\n" {
				t.Errorf("hard.txt = %q", f.Data)
			}
			if f := s.Get("dir/numbers.txt"); f != nil && string(f.Data) != numbers() {
				t.Errorf("numbers.txt differs")
			}
			if f := s.Get(longName); c.long && f != nil && string(f.Data) != "long name\n" {
				t.Errorf("long name content %q", f.Data)
			}
		})
	}
}

// TestTarDevices uses archive/tar's writer: GNU tar needs real device
// nodes (root) to archive them.
func TestTarDevices(t *testing.T) {
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	w.WriteHeader(&tar.Header{Name: "dev/console", Typeflag: tar.TypeChar, Mode: 0o600, Devmajor: 5, Devminor: 1, Format: tar.FormatUSTAR})
	w.WriteHeader(&tar.Header{Name: "dev/sda", Typeflag: tar.TypeBlock, Mode: 0o660, Devmajor: 8, Format: tar.FormatUSTAR})
	w.WriteHeader(&tar.Header{Name: "tmp", Typeflag: tar.TypeDir, Mode: 0o1777, Format: tar.FormatUSTAR})
	w.WriteHeader(&tar.Header{Name: "../evil", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1, Format: tar.FormatUSTAR})
	w.Write([]byte("x"))
	w.Close()
	s, _ := formattest.Extract(t, Tar(), buf.Bytes())
	for p, mode := range map[string]fs.FileMode{
		"dev/console": fs.ModeDevice | fs.ModeCharDevice | 0o600,
		"dev/sda":     fs.ModeDevice | 0o660,
		"tmp":         fs.ModeDir | fs.ModeSticky | 0o777,
	} {
		if f := s.Get(p); f == nil || f.Mode != mode {
			t.Errorf("%s: %+v", p, f)
		}
	}
	formattest.Device(t, s, "dev/console", fs.ModeDevice|fs.ModeCharDevice, 5, 1)
	formattest.Device(t, s, "dev/sda", fs.ModeDevice, 8, 0)
	// Names are passed as stored; the engine's sink confines them.
	found := false
	for _, f := range s.Files {
		found = found || f.Path == "../evil"
	}
	if !found {
		t.Error("entry ../evil not passed through")
	}
}

func TestZipFixture(t *testing.T) {
	data := formattest.Testdata(t, "test.zip")
	s, m := formattest.Extract(t, Zip(), data)
	if m.Size != int64(len(data)) {
		t.Errorf("Match.Size = %d, want %d", m.Size, len(data))
	}
	if len(s.Problems) > 0 {
		t.Errorf("problems: %v", s.Problems)
	}
	for p, mode := range map[string]fs.FileMode{
		"dir":             fs.ModeDir | 0o755,
		"dir/hello.txt":   0o644,
		"dir/numbers.txt": 0o644,
		"dir/run.sh":      fs.ModeSetuid | 0o755,
		"dir/link":        fs.ModeSymlink | 0o777,
		longName:          0o644,
	} {
		if f := s.Get(p); f == nil || f.Mode != mode {
			t.Errorf("%s: %+v", p, f)
		}
	}
	if f := s.Get("dir/link"); f == nil || f.Linkname != "hello.txt" {
		t.Errorf("symlink: %+v", f)
	}
	if f := s.Get("dir/numbers.txt"); f == nil || string(f.Data) != numbers() {
		t.Errorf("numbers.txt (deflated) differs")
	}

	// Carved: data before and after the archive.
	carved := append(append(bytes.Repeat([]byte{0xff}, 100), data...), bytes.Repeat([]byte("PK\x05\x06junk"), 100)...)
	m2, err := Zip().Identify(bytes.NewReader(carved[100:]), int64(len(carved)-100))
	if err != nil || m2.Size != int64(len(data)) {
		t.Errorf("carved: %v size %d want %d", err, m2.Size, len(data))
	}
}

func TestZipEncrypted(t *testing.T) {
	s, _ := formattest.Extract(t, Zip(), formattest.Testdata(t, "encrypted.zip"))
	f := s.Get("dir/hello.txt")
	if len(s.Problems) != 1 || !strings.Contains(s.Problems[0], "encrypted") || f == nil || len(f.Data) != 0 || !strings.Contains(f.Incomplete, "encrypted") {
		t.Errorf("problems %v files %v", s.Problems, s.Paths())
	}
}

// TestZipTraversalAndZip64 passes a "../evil" name through untouched (the
// sink rejects it) and reads a zip64 archive (more than 65535 entries).
func TestZipTraversalAndZip64(t *testing.T) {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	f, _ := w.Create("../evil")
	f.Write([]byte("evil"))
	fw, _ := w.CreateRaw(&zip.FileHeader{Name: "z64", Method: zip.Store, CompressedSize64: 3, UncompressedSize64: 3, CRC32: 0x352441c2})
	fw.Write([]byte("abc"))
	for i := 0; i < 1<<16; i++ {
		w.CreateHeader(&zip.FileHeader{Name: "e/" + itoa(i), Method: zip.Store})
	}
	w.Close()
	if !bytes.Contains(buf.Bytes(), zip64EOCD) {
		t.Fatal("no zip64 record written")
	}
	s, m := formattest.Extract(t, Zip(), buf.Bytes())
	if m.Size != int64(buf.Len()) || len(s.Files) != 2+1<<16 {
		t.Errorf("size %d of %d, %d files", m.Size, buf.Len(), len(s.Files))
	}
	var evil *formattest.File
	for _, f := range s.Files {
		if f.Path == "../evil" {
			evil = f
		}
	}
	if evil == nil || string(evil.Data) != "evil" {
		t.Errorf("../evil not passed through: %v", s.Paths())
	}
	if f := s.Get("z64"); f == nil || string(f.Data) != "abc" {
		t.Errorf("z64: %v", f)
	}
}

func TestSevenZip(t *testing.T) {
	data := formattest.Testdata(t, "test.7z")
	s, m := formattest.Extract(t, SevenZip(), data)
	if !m.Extractable || m.Size != int64(len(data)) {
		t.Fatalf("%+v", m)
	}
	if f := s.Get("dir/hello.txt"); f == nil || string(f.Data) != "hello tar\n" || len(s.Problems) > 0 {
		t.Errorf("hello.txt: %+v; problems %v", f, s.Problems)
	}
}

func TestDamaged(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, c := range []struct {
		file string
		f    format.Format
	}{{"ustar.tar", Tar()}, {"gnu.tar", Tar()}, {"pax.tar", Tar()}, {"test.zip", Zip()}, {"test.7z", SevenZip()}} {
		data := formattest.Testdata(t, c.file)
		good := &formattest.MemSink{}
		if err := c.f.Extract(context.Background(), bytes.NewReader(data), int64(len(data)), good); err != nil {
			t.Fatal(err)
		}
		var variants [][]byte
		for _, n := range []int{len(data) / 2, min(1100, len(data)-1), 600, 100} {
			variants = append(variants, data[:min(n, len(data)-1)])
		}
		for i := 0; i < 60; i++ {
			v := append([]byte{}, data...)
			v[rng.Intn(len(v))] ^= 1 << rng.Intn(8)
			variants = append(variants, v)
		}
		for i, v := range variants {
			m, err := c.f.Identify(bytes.NewReader(v), int64(len(v)))
			if err != nil {
				if !errors.Is(err, format.ErrNotMatch) {
					t.Errorf("%s #%d: %v", c.file, i, err)
				}
				continue
			}
			size := int64(len(v))
			if m.Size > 0 && m.Size < size {
				size = m.Size
			}
			s := &formattest.MemSink{}
			err = c.f.Extract(context.Background(), io.NewSectionReader(bytes.NewReader(v), 0, size), size, s)
			_ = err
			if i < 2 && err == nil && len(s.Problems) == 0 && len(s.Files) == len(good.Files) {
				t.Errorf("%s truncated #%d: no problem reported", c.file, i)
			}
		}
	}
}

func checkStandardSet(t *testing.T, s *formattest.MemSink, prefix string) {
	t.Helper()
	for name, start := range map[string]string{
		"testfile1":                       "test file:",
		"testfile2":                       "",
		"generic folder/test file 3_.txt": "The third test file!",
	} {
		f := s.Get(prefix + name)
		if f == nil || !strings.HasPrefix(string(f.Data), start) || len(f.Data) == 0 {
			t.Errorf("%s%s missing or wrong (paths %v)", prefix, name, s.Paths())
		}
	}
}

func TestCorpus(t *testing.T) {
	t.Run("test.tar", func(t *testing.T) {
		s, _ := formattest.Extract(t, Tar(), formattest.ReadShared(t, "corpus/formats/archives/test.tar"))
		checkStandardSet(t, s, "get_files_test/")
	})
	t.Run("test.jar", func(t *testing.T) {
		s, _ := formattest.Extract(t, Zip(), formattest.ReadShared(t, "corpus/formats/archives/test.jar"))
		checkStandardSet(t, s, "get_files_test/")
	})
	t.Run("test.7z", func(t *testing.T) {
		s, _ := formattest.Extract(t, SevenZip(), formattest.ReadShared(t, "corpus/formats/misc/test.7z"))
		checkStandardSet(t, s, "get_files_test/")
	})
	t.Run("carving", func(t *testing.T) {
		data := formattest.ReadShared(t, "corpus/formats/carving/carving_test_file")
		off := bytes.Index(data, zipLocal)
		s, m := formattest.Extract(t, Zip(), data[off:])
		if f := s.Get("foo"); f == nil || len(f.Data) != 16 || m.Size == 0 {
			t.Errorf("hidden zip: %v size %d", s.Paths(), m.Size)
		}
		t.Logf("zip at %d, size %d of %d", off, m.Size, len(data)-off)
	})
	t.Run("fakes", func(t *testing.T) {
		for _, file := range []string{"carving/fake_zip.zip", "carving/fake_tar.tar", "carving/fake_7z.7z"} {
			data := formattest.ReadShared(t, "corpus/formats", file)
			for _, f := range Formats() {
				for _, sig := range f.Signatures() {
					i := bytes.Index(data, sig.Magic)
					if i < 0 || int64(i) < sig.Offset {
						continue
					}
					cand := data[i-int(sig.Offset):]
					if _, err := f.Identify(bytes.NewReader(cand), int64(len(cand))); err == nil {
						t.Errorf("%s identified as %s", file, f.Name())
					}
				}
			}
		}
	})
}

func FuzzArchive(f *testing.F) {
	for _, n := range []string{"ustar.tar", "gnu.tar", "pax.tar", "test.zip", "encrypted.zip", "test.7z", "7z/bcj2.7z", "7z/ppmd.7z", "7z/encrypted.7z"} {
		f.Add(formattest.Testdata(f, n))
	}
	formats := Formats()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, fm := range formats {
			formattest.Fuzz(t, fm, data)
		}
	})
}

// TestZipNoCentralDirectory reads archives cut before their central
// directory through the local headers: the zip CLI's (sizes in the local
// headers) and archive/zip's (deflate with data descriptors).
func TestZipNoCentralDirectory(t *testing.T) {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	f, _ := w.Create("dir/numbers.txt")
	f.Write([]byte(numbers()))
	f, _ = w.Create("dir/hello.txt")
	f.Write([]byte("hello tar\n"))
	w.Close()
	for name, data := range map[string][]byte{"zip CLI": formattest.Testdata(t, "test.zip"), "descriptors": buf.Bytes()} {
		cut := data[:bytes.Index(data, []byte("PK\x01\x02"))]
		s, m := formattest.Extract(t, Zip(), cut)
		if m.Size != 0 || !strings.Contains(m.Description, "without central directory") {
			t.Errorf("%s: match %+v", name, m)
		}
		if f := s.Get("dir/numbers.txt"); f == nil || string(f.Data) != numbers() {
			t.Errorf("%s: numbers.txt: paths %v problems %v", name, s.Paths(), s.Problems)
		}
		if f := s.Get("dir/hello.txt"); f == nil || string(f.Data) != "hello tar\n" {
			t.Errorf("%s: hello.txt: paths %v problems %v", name, s.Paths(), s.Problems)
		}
		if len(s.Problems) != 1 || !strings.Contains(s.Problems[0], "no central directory") {
			t.Errorf("%s: problems %v", name, s.Problems)
		}
	}
}
