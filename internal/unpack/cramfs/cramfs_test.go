package cramfs

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

func bigBin() string {
	var b strings.Builder
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&b, "line %05d of big.bin\n", i)
	}
	return b.String()
}

func TestFixtures(t *testing.T) {
	for _, name := range []string{"le.cramfs", "be.cramfs"} {
		t.Run(name, func(t *testing.T) {
			data := formattest.Testdata(t, name)
			s, m := formattest.Extract(t, New(), data)
			if m.Size != int64(len(data)) {
				t.Errorf("size %d", m.Size)
			}
			if len(s.Problems) > 0 {
				t.Errorf("problems %v", s.Problems)
			}
			want := map[string]fs.FileMode{
				"/hello.txt":        0o644,
				"/empty":            0o644,
				"/big.bin":          0o644,
				"/suid":             0o755 | fs.ModeSetuid,
				"/dir":              0o755 | fs.ModeDir,
				"/dir/sub":          0o755 | fs.ModeDir,
				"/dir/sub/deep.txt": 0o644,
				"/dir/link":         0o777 | fs.ModeSymlink,
				"/dir/null":         0o644 | fs.ModeDevice | fs.ModeCharDevice,
				"/dir/sda":          0o644 | fs.ModeDevice,
				"/dir/fifo":         0o644 | fs.ModeNamedPipe,
			}
			if len(s.Files) != len(want) {
				t.Errorf("paths %v", s.Paths())
			}
			for p, mode := range want {
				if f := s.Get(p); f == nil {
					t.Errorf("%s missing", p)
				} else if f.Mode != mode {
					t.Errorf("%s: mode %v, want %v", p, f.Mode, mode)
				}
			}
			for p, c := range map[string]string{"/hello.txt": "hello cramfs\n", "/dir/sub/deep.txt": "nested\n", "/big.bin": bigBin(), "/empty": ""} {
				if f := s.Get(p); f != nil && string(f.Data) != c {
					t.Errorf("%s: %d bytes, want %d", p, len(f.Data), len(c))
				}
			}
			if f := s.Get("/dir/link"); f != nil && f.Linkname != "../hello.txt" {
				t.Errorf("link -> %q", f.Linkname)
			}
			formattest.Device(t, s, "dir/null", fs.ModeDevice|fs.ModeCharDevice, 1, 3)
			formattest.Device(t, s, "dir/sda", fs.ModeDevice, 8, 0)
		})
	}
}

// TestAgainst7z compares the fixtures, file by file, with what 7-Zip
// extracts from them. 7z writes devices and fifos as empty files (they
// are checked against the source tree above) and drops setuid bits.
func TestAgainst7z(t *testing.T) {
	// 7z reads neither 16 KiB blocks nor the boot pad: le and be only.
	for _, name := range []string{"le.cramfs", "be.cramfs"} {
		t.Run(name, func(t *testing.T) {
			file, _ := filepath.Abs(filepath.Join("testdata", name))
			ref := formattest.Reference(t, "7z", "x", "-bso0", "-bsp0", "-snl", "-snld", "-o{}", file)
			s, _ := formattest.Extract(t, New(), formattest.Testdata(t, name))
			formattest.CompareTree(t, s, ref, formattest.CompareOptions{Perm: true, Skip: []string{"dir/null", "dir/sda", "dir/fifo"}})
		})
	}
}

func TestBadCRC(t *testing.T) {
	data := formattest.Testdata(t, "le.cramfs")
	i := bytes.Index(data, []byte("deep.txt"))
	data[i] = 'D'
	s, _ := formattest.Extract(t, New(), data)
	if len(s.Problems) != 1 || !strings.Contains(s.Problems[0], "crc") {
		t.Fatalf("problems %v", s.Problems)
	}
	if s.Get("/dir/sub/Deep.txt") == nil {
		t.Fatal("extraction did not continue")
	}
}

// A directory whose entry points back at its parent's contents must not loop.
func TestCycle(t *testing.T) {
	data := formattest.Testdata(t, "le.cramfs")
	// The "sub" entry of dir: point its offset at the root directory contents.
	i := bytes.Index(data, []byte("sub\x00"))
	root := binary.LittleEndian.Uint32(data[64+8:]) >> 6
	w2 := binary.LittleEndian.Uint32(data[i-4:])
	binary.LittleEndian.PutUint32(data[i-4:], w2&0x3f|root<<6)
	binary.LittleEndian.PutUint32(data[4:], uint32(len(data)))
	binary.LittleEndian.PutUint32(data[8:], 0) // v1: no crc
	s := &formattest.MemSink{}
	if err := New().Extract(context.Background(), bytes.NewReader(data), int64(len(data)), s); err != nil {
		t.Fatal(err)
	}
	if len(s.Problems) == 0 || !strings.Contains(strings.Join(s.Problems, ","), "cyclic") {
		t.Fatalf("cycle not reported: %v", s.Problems)
	}
}

// An image that uses the extended block pointers: direct pointers to an
// uncompressed and a compressed block, as in the kernel's description.
func TestExtBlockPointers(t *testing.T) {
	data := formattest.Testdata(t, "le.cramfs")
	// Rewrite hello.txt's one-block pointer table into a direct pointer to an
	// uncompressed copy of its content appended at the end (4-byte aligned).
	i := bytes.Index(data, []byte("hello.txt\x00"))
	w2 := binary.LittleEndian.Uint32(data[i-4:])
	off := int(w2>>6) * 4
	img := append([]byte(nil), data...)
	start := len(img)
	img = append(img, "hello cramfs\n"...)
	for len(img)%4 != 0 {
		img = append(img, 0)
	}
	binary.LittleEndian.PutUint32(img[off:], uint32(start>>2)|blkDirect|blkUncompressed)
	binary.LittleEndian.PutUint32(img[4:], uint32(len(img)))
	binary.LittleEndian.PutUint32(img[8:], binary.LittleEndian.Uint32(img[8:])|flagExtBlockPtrs)
	binary.LittleEndian.PutUint32(img[32:], 0)
	binary.LittleEndian.PutUint32(img[32:], crc32.ChecksumIEEE(img))
	s, _ := formattest.Extract(t, New(), img)
	if len(s.Problems) > 0 {
		t.Fatalf("problems %v", s.Problems)
	}
	if f := s.Get("hello.txt"); f == nil || string(f.Data) != "hello cramfs\n" {
		t.Fatalf("hello.txt = %+v", f)
	}
}

func TestDamaged(t *testing.T) {
	for _, name := range []string{"le.cramfs", "be.cramfs"} {
		data := formattest.Testdata(t, name)
		for cut := 0; cut < len(data); cut += 61 {
			b := data[:cut]
			s := &formattest.MemSink{}
			if _, err := New().Identify(bytes.NewReader(b), int64(len(b))); err != nil {
				continue
			}
			err := New().Extract(context.Background(), bytes.NewReader(b), int64(len(b)), s)
			if err == nil && len(s.Problems) == 0 {
				t.Errorf("%s cut at %d: nothing reported", name, cut)
			}
		}
		for i := 0; i < len(data); i += formattest.Stride(3) {
			b := append([]byte(nil), data...)
			b[i] ^= 0x24
			formattest.Fuzz(t, New(), b)
		}
	}
}

// standard is the file set of the real samples.
var standard = map[string]string{
	"testfile1":                       "test file:\ncontent: MyTestRule 1.2.3\nVersion: Program 0.0.0.0\n",
	"testfile2":                       "This is the second test file",
	"generic folder/test file 3_.txt": "The third test file!",
}

func TestRealSample(t *testing.T) {
	data := formattest.ReadShared(t, "corpus/formats/cramfs/cramfs.img")
	s, _ := formattest.Extract(t, New(), data)
	if len(s.Problems) > 0 {
		t.Errorf("problems %v", s.Problems)
	}
	for p, want := range standard {
		if f := s.Get(p); f == nil || !strings.HasPrefix(string(f.Data), want) {
			t.Errorf("%s: %+v (have %v)", p, f, s.Paths())
		}
	}
}

func FuzzCramfs(f *testing.F) {
	f.Add(formattest.Testdata(f, "le.cramfs"))
	f.Add(formattest.Testdata(f, "be.cramfs"))
	f.Fuzz(func(t *testing.T, b []byte) { formattest.Fuzz(t, New(), b) })
}

func TestPadded(t *testing.T) {
	data := formattest.Testdata(t, "padded.cramfs")
	s, m := formattest.Extract(t, New(), data)
	if m.Size != int64(len(data)) || len(s.Problems) > 0 {
		t.Errorf("%+v %v", m, s.Problems)
	}
	if f := s.Get("deep.txt"); f == nil || string(f.Data) != "nested\n" {
		t.Errorf("paths %v", s.Paths())
	}
	// A candidate at the superblock itself is not an image: its offsets
	// count from 512 bytes earlier.
	if _, err := New().Identify(bytes.NewReader(data[512:]), int64(len(data)-512)); err == nil {
		t.Error("padded image identified at its superblock")
	}
}

func TestBlockSize16K(t *testing.T) {
	data := formattest.Testdata(t, "b16k.cramfs")
	s, _ := formattest.Extract(t, New(), data)
	if len(s.Problems) > 0 {
		t.Errorf("problems %v", s.Problems)
	}
	b := bigBin()
	if f := s.Get("big4.bin"); f == nil || string(f.Data) != b+b+b+b {
		t.Errorf("big4.bin: %v", s.Paths())
	}
}
