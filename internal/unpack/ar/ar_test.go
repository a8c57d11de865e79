package ar

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// bsdArchive writes a BSD-style archive (4.4BSD "#1/len" names), following
// the ar(5) description; binutils cannot produce one.
func bsdArchive(members map[string]string, order []string) []byte {
	var b bytes.Buffer
	b.WriteString(magic)
	for _, n := range order {
		data := n + members[n]
		fmt.Fprintf(&b, "%-16s%-12d%-6d%-6d%-8o%-10d`\n", fmt.Sprintf("#1/%d", len(n)), 1700000000, 501, 20, 0o644, len(data))
		b.WriteString(data)
		if len(data)%2 == 1 {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

func TestFixtures(t *testing.T) {
	bsd := bsdArchive(map[string]string{
		"__.SYMDEF SORTED":           "\x00\x00\x00\x00",
		"a long bsd member name.txt": "bsd data\n",
		"x":                          "odd",
	}, []string{"__.SYMDEF SORTED", "a long bsd member name.txt", "x"})
	for _, tc := range []struct {
		name string
		data []byte
		want map[string]string
	}{
		{"gnu.a", formattest.Testdata(t, "gnu.a"), map[string]string{
			"short.txt":                             "hello ar\n",
			"odd":                                   "odd\n",
			"a_very_long_member_name_beyond_16.txt": "a long member name\n",
		}},
		{"tiny.deb", formattest.Testdata(t, "tiny.deb"), map[string]string{
			"debian-binary":  "2.0\n",
			"control.tar.gz": "\x1f\x8b",
			"data.tar.gz":    "\x1f\x8b",
		}},
		{"bsd", bsd, map[string]string{
			"a long bsd member name.txt": "bsd data\n",
			"x":                          "odd",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, m := formattest.Extract(t, New(), tc.data)
			if m.Size != int64(len(tc.data)) {
				t.Errorf("size %d, want %d", m.Size, len(tc.data))
			}
			if len(s.Files) != len(tc.want) || len(s.Problems) > 0 {
				t.Errorf("files %v problems %v", s.Paths(), s.Problems)
			}
			for p, want := range tc.want {
				f := s.Get(p)
				if f == nil {
					t.Errorf("%s missing: %v", p, s.Paths())
					continue
				}
				if !bytes.HasPrefix(f.Data, []byte(want)) || len(want) > 2 && string(f.Data) != want {
					t.Errorf("%s = %q", p, f.Data)
				}
				if f.Mode != 0o644 {
					t.Errorf("%s mode %v", p, f.Mode)
				}
			}
		})
	}
}

func TestDebDescription(t *testing.T) {
	data := formattest.Testdata(t, "tiny.deb")
	m, err := New().Identify(bytes.NewReader(data), int64(len(data)))
	if err != nil || !bytes.Contains([]byte(m.Description), []byte("Debian")) {
		t.Fatalf("%+v %v", m, err)
	}
}

func TestSizeWithTrailingData(t *testing.T) {
	data := append(formattest.Testdata(t, "gnu.a"), bytes.Repeat([]byte{0xff}, 100)...)
	m, err := New().Identify(bytes.NewReader(data), int64(len(data)))
	if err != nil || m.Size != int64(len(data)-100) {
		t.Fatalf("%+v %v", m, err)
	}
}

func TestDamaged(t *testing.T) {
	for _, name := range []string{"gnu.a", "tiny.deb"} {
		data := formattest.Testdata(t, name)
		for cut := 8; cut < len(data); cut++ {
			b := data[:cut]
			s := &formattest.MemSink{}
			_ = New().Extract(context.Background(), bytes.NewReader(b), int64(len(b)), s)
			if cut == len(data)-50 && len(s.Problems) == 0 {
				t.Errorf("%s cut at %d: no problem reported", name, cut)
			}
		}
		for i := 0; i < len(data); i++ {
			b := append([]byte(nil), data...)
			b[i] ^= 0xa5
			formattest.Fuzz(t, New(), b)
		}
	}
}

func TestRealSamples(t *testing.T) {
	dir := formattest.Shared(t, "corpus/formats/archives")
	for name, want := range map[string][]string{
		"test.a":   {"test.data"},
		"test.deb": {"debian-binary", "control.tar.xz", "data.tar.xz"},
	} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		s, _ := formattest.Extract(t, New(), data)
		if len(s.Files) != len(want) || len(s.Problems) > 0 {
			t.Errorf("%s: %v %v", name, s.Paths(), s.Problems)
		}
		for _, p := range want {
			if s.Get(p) == nil {
				t.Errorf("%s: %s missing", name, p)
			}
		}
		if f := s.Get("data.tar.xz"); f != nil && (len(f.Data) != 130904 || !bytes.HasPrefix(f.Data, []byte("\xfd7zXZ"))) {
			t.Errorf("data.tar.xz: %d bytes", len(f.Data))
		}
		if f := s.Get("test.data"); f != nil && len(f.Data) != 128 {
			t.Errorf("test.data: %d bytes", len(f.Data))
		}
	}
}

func FuzzAr(f *testing.F) {
	f.Add(formattest.Testdata(f, "gnu.a"))
	f.Add(formattest.Testdata(f, "tiny.deb"))
	f.Add(bsdArchive(map[string]string{"name": "x"}, []string{"name"}))
	f.Fuzz(func(t *testing.T, b []byte) { formattest.Fuzz(t, New(), b) })
}

// TestBadMemberInTheMiddle: a member with a damaged header in the middle
// of an archive made by GNU ar spoils that member only.
func TestBadMemberInTheMiddle(t *testing.T) {
	if _, err := exec.LookPath("ar"); err != nil {
		t.Skip("ar not installed")
	}
	rng := formattest.Rand(300)
	dir := t.TempDir()
	files := map[string][]byte{}
	var names []string
	for i := 0; i < 10+rng.IntN(20); i++ {
		name := fmt.Sprintf("m%02d.o", i)
		data := make([]byte, rng.IntN(2000))
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		os.WriteFile(filepath.Join(dir, name), data, 0o644)
		files[name] = data
		names = append(names, name)
	}
	arc := filepath.Join(dir, "x.a")
	cmd := exec.Command("ar", append([]string{"rcS", arc}, names...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ar: %v\n%s", err, out)
	}
	data, _ := os.ReadFile(arc)
	bad := names[len(names)/2]
	i := bytes.Index(data, []byte(bad+"/"))
	if i < 0 {
		t.Fatal("member not found")
	}
	copy(data[i+48:i+58], "12x4      ") // the size field is no number
	s, _ := formattest.Extract(t, New(), data)
	if len(s.Problems) != 1 {
		t.Errorf("problems %q, want one for the damaged member", s.Problems)
	}
	for _, n := range names {
		if n == bad {
			continue
		}
		if f := s.Get(n); f == nil || !bytes.Equal(f.Data, files[n]) {
			t.Errorf("%s: missing or different", n)
		}
	}
}
