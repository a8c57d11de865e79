package unpack_test

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/unpack"
	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// unpackFile runs a session with the real registry over one file.
func unpackFile(t *testing.T, file string) *unpack.Session {
	t.Helper()
	s, err := unpack.NewSession(unpack.Options{WorkDir: t.TempDir(), Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.AddFile(file); err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func registered(name string) bool {
	for _, f := range unpack.Registry() {
		if f.Name() == name {
			return true
		}
	}
	return false
}

// standardSet are the files most samples of the corpus hold.
var standardSet = []string{"testfile1", "testfile2", "test file 3_.txt"}

// TestFormatsCorpus walks ../shared/corpus/formats: every sample is
// unpacked and its files listed, or reported as identified but not
// unpacked; fakes are rejected without crashing.
func TestFormatsCorpus(t *testing.T) {
	dir := formattest.Shared(t, "corpus/formats")
	tests := []struct {
		file   string
		format string // a layer of this format must be found
		files  []string
		fake   bool
	}{
		{"android-sparse/simg.img", "android-sparse", nil, false},
		{"archives/test.a", "ar", nil, false},
		{"archives/test.bz2", "bzip2", nil, false},
		{"archives/test.cpio", "cpio", nil, false},
		{"archives/test.deb", "ar", nil, false},
		{"archives/test.jar", "zip", nil, false},
		{"archives/test.lz4", "lz4", nil, false},
		{"archives/test.lzo", "lzop", nil, false},
		{"archives/test.tar", "tar", nil, false},
		{"archives/test.tar.bz2", "bzip2", nil, false},
		{"archives/test.tar.Z", "compress", nil, false},
		{"archives/test.zst", "zstd", nil, false},
		{"carving/carving_test_file", "zip", nil, false},
		{"carving/zlib_carving_test", "zlib", nil, false},
		{"carving/fake_7z.7z", "", nil, true},
		{"carving/fake_gz.gz", "", nil, true},
		{"carving/fake_tar.tar", "", nil, true},
		{"carving/fake_xz.xz", "", nil, true},
		{"carving/fake_zip.zip", "", nil, true},
		{"cramfs/cramfs.img", "cramfs", standardSet, false},
		{"jffs2/jffs2_be.img", "jffs2", nil, false},
		{"jffs2/jffs2_le.img", "jffs2", nil, false},
		{"kernel/bzImage_bzip2", "kernel", nil, false},
		{"kernel/bzImage_gzip", "kernel", nil, false},
		{"kernel/bzImage_lz4", "kernel", nil, false},
		{"kernel/bzImage_lzma", "kernel", nil, false},
		{"kernel/bzImage_lzo", "kernel", nil, false},
		{"kernel/bzImage_xz", "kernel", nil, false},
		{"kernel/zImage_be32", "kernel", nil, false},
		{"misc/ext2.img.xz", "extfs", standardSet, false},
		{"misc/ext3.img.xz", "extfs", standardSet, false},
		{"misc/ext4.img.xz", "extfs", standardSet, false},
		{"misc/fat.img.xz", "fat", nil, false},
		{"misc/test.7z", "7z", nil, false},
		{"misc/test.gz", "gzip", nil, false},
		{"misc/test.iso", "iso9660", nil, false},
		{"misc/test.xz", "xz", nil, false},
		{"misc/test_zisofs.iso", "iso9660", nil, false},
		{"misc/testfile.hex", "ihex", nil, false},
		{"misc/testfile.srec", "srec", nil, false},
		{"romfs/romfs.img", "romfs", standardSet, false},
		{"squashfs/avm_be.sqfs4", "squashfs", standardSet, false},
		{"squashfs/avm_le.sqfs4", "squashfs", standardSet, false},
		{"squashfs/gzip.sqfs", "squashfs", standardSet, false},
		{"squashfs/lz4.sqfs", "squashfs", standardSet, false},
		{"squashfs/lzma.sqfs", "squashfs", standardSet, false},
		{"squashfs/lzma1_be.sqfs3", "squashfs", standardSet, false},
		{"squashfs/lzma1_le.sqfs3", "squashfs", standardSet, false},
		{"squashfs/lzma_be.sqfs2", "squashfs", standardSet, false},
		{"squashfs/lzma_le.sqfs2", "squashfs", standardSet, false},
		{"squashfs/lzo.sqfs", "squashfs", standardSet, false},
		{"squashfs/xz.sqfs", "squashfs", standardSet, false},
		{"squashfs/zlib_be.sqfs3", "squashfs", standardSet, false},
		{"squashfs/zlib_le.sqfs3", "squashfs", standardSet, false},
		{"squashfs/zstd.sqfs", "squashfs", standardSet, false},
		{"trx/trx.img", "trx", nil, false},
		{"ubi/ubi.img", "ubi", nil, false},
		{"ubifs/test.ubifs", "ubifs", nil, false},
		{"uboot/fit.itb", "fit", nil, false},
		{"uboot/uboot.dtb", "fit", nil, false},
		{"uboot/uboot.image_with_header", "uimage", nil, false},
		{"yaffs2/yaffs2_be.img", "yaffs2", nil, false},
		{"yaffs2/yaffs2_le.img", "yaffs2", nil, false},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			if tt.format != "" && !registered(tt.format) {
				t.Skipf("no %s unpacker registered yet", tt.format)
			}
			if strings.HasSuffix(tt.file, ".img.xz") && !registered("xz") {
				t.Skip("no xz unpacker registered yet")
			}
			s := unpackFile(t, filepath.Join(dir, tt.file))
			var formats []string
			names := map[string]bool{}
			found := false
			for _, l := range s.Layers()[1:] {
				formats = append(formats, l.Format)
				if l.Format == tt.format {
					found = true
				}
				for p, e := range l.Entries {
					if e.Mode.IsRegular() {
						names[filepath.Base(p)] = true
					}
				}
			}
			if tt.fake {
				for _, l := range s.Layers()[1:] {
					if l.Extracted && l.Files > 0 && l.Offset == 0 {
						t.Errorf("fake sample unpacked as %s with %d files", l.Format, l.Files)
					}
				}
				return
			}
			if !found {
				t.Fatalf("no %s layer; layers: %v; problems: %v", tt.format, formats, s.Problems())
			}
			if len(names) == 0 && identifiedOnly(s) == 0 {
				t.Fatalf("nothing extracted and nothing identified; problems: %v", s.Problems())
			}
			for _, want := range tt.files {
				if !names[want] {
					t.Errorf("%q not extracted; got %v; problems %v", want, sorted(names), s.Problems())
				}
			}
		})
	}
	// Every sample of the folder is in the table.
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".md") {
			rel, _ := filepath.Rel(dir, p)
			if !seen[rel] {
				t.Errorf("sample %s is not covered by the test table", rel)
			}
		}
		return nil
	})
}

func identifiedOnly(s *unpack.Session) int {
	n := 0
	for _, l := range s.Layers() {
		if !l.Extracted {
			n++
		}
	}
	return n
}

func sorted(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var _ format.Format

// TestAcmeFirmwareLayout checks the realistic images against their answer
// key: every partition at its offset, and every file of the root file
// system with its mode and symlink target, compared with unsquashfs.
func TestAcmeFirmwareLayout(t *testing.T) {
	dir := formattest.Shared(t, "corpus/firmware")
	for _, name := range []string{"trx", "lzma", "squashfs", "ubi", "ubifs", "gzip", "cpio"} {
		if !registered(name) {
			t.Skipf("no %s unpacker registered yet", name)
		}
	}
	for _, v := range []string{"1.0.0", "1.1.0"} {
		t.Run(v, func(t *testing.T) {
			if v != "1.0.0" && (formattest.Race || testing.Short()) {
				t.Skip("same layout as 1.0.0; one image is enough under -race or -short")
			}
			img := filepath.Join(dir, "acme-hg100-"+v+".bin")
			s := unpackFile(t, img)
			ls := s.Layers()
			byChain := map[string]*unpack.Layer{}
			for _, l := range ls {
				byChain[l.Chain] = l
			}
			base := filepath.Base(img)
			want := []string{
				base + " > trx@0x0",
				base + " > ubi@0x1720000",
				base + " > gzip@0x17c0000",
				base + " > trx@0x0:/part0 > lzma@0x0",
				base + " > trx@0x0:/part1 > squashfs@0x0",
				base + " > gzip@0x17c0000:/data > cpio@0x0",
			}
			for _, c := range want {
				if _, ok := byChain[c]; !ok {
					t.Errorf("layer %q not found", c)
				}
			}
			var ubifs *unpack.Layer
			for _, l := range ls {
				if l.Format == "ubifs" && strings.HasPrefix(l.Chain, base+" > ubi@0x1720000") {
					ubifs = l
				}
			}
			if ubifs == nil {
				t.Error("no ubifs layer inside the ubi partition")
			} else {
				for _, f := range []string{"/network.json", "/system.json", "/wireless.json"} {
					if _, ok := ubifs.Entries[f]; !ok {
						t.Errorf("ubifs: %s missing", f)
					}
				}
			}
			if cp := byChain[base+" > gzip@0x17c0000:/data > cpio@0x0"]; cp != nil {
				for _, f := range []string{"/calibration.bin", "/identity.crt", "/mac", "/serial"} {
					if _, ok := cp.Entries[f]; !ok {
						t.Errorf("factory cpio: %s missing", f)
					}
				}
			}
			if t.Failed() {
				for _, l := range ls {
					t.Logf("%s %s", l.ID, l.Chain)
				}
				t.Logf("problems: %v", s.Problems())
			}
			sq := byChain[base+" > trx@0x0:/part1 > squashfs@0x0"]
			if sq == nil {
				return
			}
			compareWithUnsquashfs(t, img, 0x4A0000, 19042304, sq)
		})
	}
}

// compareWithUnsquashfs lists the squashfs at off in img with Debian's
// unsquashfs and checks that every entry was extracted with the same type,
// permissions and symlink target.
func compareWithUnsquashfs(t *testing.T, img string, off, size int64, l *unpack.Layer) {
	t.Helper()
	if _, err := exec.LookPath("unsquashfs"); err != nil {
		t.Skip("unsquashfs not installed (apt-get install squashfs-tools)")
	}
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	part := filepath.Join(t.TempDir(), "rootfs.sqfs")
	out, _ := os.Create(part)
	if _, err := io.Copy(out, io.NewSectionReader(f, off, size)); err != nil {
		t.Fatal(err)
	}
	out.Close()
	listing, err := exec.Command("unsquashfs", "-lln", "-d", "", part).Output()
	if err != nil {
		t.Fatalf("unsquashfs: %v", err)
	}
	n := 0
	for _, line := range strings.Split(string(listing), "\n") {
		// drwxr-xr-x 0/0 123 2025-03-10 00:00 /etc
		// lrwxrwxrwx 0/0 7 2025-03-10 00:00 /bin/sh -> busybox
		fields := strings.Fields(line)
		if len(fields) < 6 || len(fields[0]) != 10 {
			continue
		}
		mode := fields[0]
		rest := strings.Join(fields[5:], " ")
		p, target, _ := strings.Cut(rest, " -> ")
		if p == "" || p == "/" {
			continue
		}
		if mode[0] == 'c' || mode[0] == 'b' {
			// device lines carry "major, minor" instead of a size
			p = strings.Join(fields[6:], " ")
		}
		n++
		e, ok := l.Entries[p]
		if !ok {
			t.Errorf("%s missing", p)
			continue
		}
		if got := model.LsMode(e.Mode); got != mode {
			t.Errorf("%s: mode %s, unsquashfs says %s", p, got, mode)
		}
		if mode[0] == 'l' && e.Linkname != target {
			t.Errorf("%s: symlink to %q, unsquashfs says %q", p, e.Linkname, target)
		}
	}
	if n < 700 {
		t.Fatalf("unsquashfs listed only %d entries", n)
	}
	if len(l.Entries) != n {
		t.Errorf("extracted %d entries, unsquashfs lists %d", len(l.Entries), n)
	}
}
