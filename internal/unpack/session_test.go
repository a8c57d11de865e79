package unpack

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// boxFormat is a minimal container used to test the session itself:
// "BOX!" + uint32 LE payload length + payload, extracted as one file.
type boxFormat struct{}

func (boxFormat) Name() string      { return "box" }
func (boxFormat) Kind() format.Kind { return format.FileSystem }
func (boxFormat) Signatures() []format.Signature {
	return []format.Signature{{Magic: []byte("BOX!")}}
}
func (boxFormat) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	var h [8]byte
	if err := format.ReadFull(r, h[:], 0); err != nil || string(h[:4]) != "BOX!" {
		return format.Match{}, format.ErrNotMatch
	}
	n := int64(binary.LittleEndian.Uint32(h[4:]))
	if 8+n > size {
		return format.Match{}, format.ErrNotMatch
	}
	return format.Match{Size: 8 + n, Description: "box", Extractable: true}, nil
}
func (boxFormat) Extract(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	return sink.Add(format.Entry{Path: "payload", Mode: 0o644}, io.NewSectionReader(r, 8, size-8))
}

// panicFormat's Identify panics: the carver must survive it.
type panicFormat struct{}

func (panicFormat) Name() string      { return "panic" }
func (panicFormat) Kind() format.Kind { return format.FileSystem }
func (panicFormat) Signatures() []format.Signature {
	return []format.Signature{{Magic: []byte("BOX!")}}
}
func (panicFormat) Identify(io.ReaderAt, int64) (format.Match, error) {
	panic("bad parser")
}
func (panicFormat) Extract(context.Context, io.ReaderAt, int64, format.Sink) error { return nil }

func box(payload []byte) []byte {
	var h [8]byte
	copy(h[:], "BOX!")
	binary.LittleEndian.PutUint32(h[4:], uint32(len(payload)))
	return append(h[:], payload...)
}

func runSession(t *testing.T, image []byte, lim Limits) *Session {
	t.Helper()
	dir := t.TempDir()
	img := filepath.Join(dir, "fw.bin")
	if err := os.WriteFile(img, image, 0o644); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(dir, "work")
	os.Mkdir(work, 0o755)
	if lim.MaxDepth == 0 {
		lim = DefaultLimits()
	}
	s, err := NewSession(Options{WorkDir: work, Limits: lim, Workers: 2, Formats: []format.Format{panicFormat{}, boxFormat{}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.AddFile(img); err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSessionCarvesAndRecurses(t *testing.T) {
	noise := make([]byte, 4096)
	rand.Read(noise)
	pad := bytes.Repeat([]byte{0xff}, 2048)
	inner := box([]byte("hello firmware"))
	image := append(append(append(append([]byte{}, noise...), box(inner)...), pad...), box([]byte("second"))...)
	s := runSession(t, image, Limits{})
	ls := s.Layers()
	var got []string
	for _, l := range ls {
		got = append(got, l.ID+" "+l.Format+" "+l.Chain)
	}
	want := []string{
		"L0 file fw.bin",
		"L1 box fw.bin > box@0x1000",
		"L2 box fw.bin > box@0x181e",
		"L3 box fw.bin > box@0x1000:/payload > box@0x0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("layers:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	b, err := os.ReadFile(filepath.Join(ls[3].Dir, "payload"))
	if err != nil || string(b) != "hello firmware" {
		t.Fatalf("innermost payload %q %v", b, err)
	}
	regs := ls[0].Regions["/fw.bin"]
	if len(regs) != 2 || regs[0].Offset != 0 || regs[0].Size != 4096 || regs[0].Kind != "high-entropy" || regs[1].Kind != "padding" {
		t.Fatalf("unclaimed regions = %+v", regs)
	}
}

func TestSessionDepthLimit(t *testing.T) {
	image := []byte("deepest")
	for i := 0; i < 6; i++ {
		image = box(image)
	}
	lim := DefaultLimits()
	lim.MaxDepth = 3
	s := runSession(t, image, lim)
	if n := len(s.Layers()); n != 4 {
		t.Fatalf("%d layers, want 4 (the target and 3 levels)", n)
	}
	if countKind(s, "limit") == 0 {
		t.Fatalf("depth limit not reported: %+v", s.Problems())
	}
}

func TestSessionDirectoryTarget(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "lib/firmware"), 0o755)
	os.WriteFile(filepath.Join(dir, "lib/firmware/blob.bin"), append(bytes.Repeat([]byte{0, 0x80}, 4096), box([]byte("wifi"))...), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("see BOX! in the manual"), 0o644)
	os.Symlink("/etc/passwd", filepath.Join(dir, "link"))
	work := t.TempDir()
	s, err := NewSession(Options{WorkDir: work, Formats: []format.Format{boxFormat{}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.AddDir(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	ls := s.Layers()
	if len(ls) != 2 || ls[1].Source != "/lib/firmware/blob.bin" || ls[1].Offset != 8192 {
		for _, l := range ls {
			t.Logf("%+v", l.Layer)
		}
		t.Fatal("want one box layer carved from the opaque blob, none from the text file")
	}
	if e := ls[0].Entries["/link"]; e.Linkname != "/etc/passwd" {
		t.Fatalf("symlink entry %+v", e)
	}
}

// TestAppendedDeviceTree: a device tree appended to a kernel image (as
// CONFIG_ARM_APPENDED_DTB boots it) is found after the kernel's uImage
// and listed as devicetree.dts.
func TestAppendedDeviceTree(t *testing.T) {
	kernel, err := os.ReadFile(filepath.Join("uimage", "testdata", "kernel-none.uimg"))
	if err != nil {
		t.Fatal(err)
	}
	dtb, err := os.ReadFile(filepath.Join("fit", "testdata", "rich.dtb"))
	if err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(t.TempDir(), "zImage-dtb")
	if err := os.WriteFile(img, append(append([]byte{}, kernel...), dtb...), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := NewSession(Options{WorkDir: t.TempDir(), Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.AddFile(img); err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, l := range s.Layers() {
		if l.Format == "fit" && l.Offset == int64(len(kernel)) {
			b, err := os.ReadFile(filepath.Join(l.Dir, "devicetree.dts"))
			if err != nil || !strings.Contains(string(b), `model = "Acme HG100";`) {
				t.Errorf("listing: %v\n%s", err, b)
			}
			return
		}
	}
	for _, l := range s.Layers() {
		t.Logf("%s %s", l.ID, l.Chain)
	}
	t.Error("no device tree layer after the kernel")
}
