package unpack_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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

// The answer key of ../shared/corpus/formats: SHA-256 of what the
// reference tools extract (7z x, tar, simg2img, ar p, bzip2/lz4/lzop/
// zstd/gzip/xz -d, srec_cat, dumpimage + gzip -d, unsquashfs, bsdtar,
// mkzftree -u, dtc -I dtb -O dts, dpkg-deb), keyed by the end of the
// layer path.
const (
	sumFile1 = "d558c9339cb967341d701e3184f863d3928973fccdc1d96042583730b5c7b76a"
	sumFile2 = "faa11db49f32a90b51dfc3f0254f9fd7a7b46d0b570abd47e1943b86d554447a"
	sumFile3 = "289b5a050a83837f192d7129e4c4e02570b94b4924e50159fad5ed1067cfbfeb"
	sumData  = "deadc0de772da3489781da863d31894216ccd2537e781684c207234384aa58d4" // the 128-byte test.data
	// The bzImages' payloads, decoded by the stream tools: three builds.
	sumKernelGz  = "2ff320e40f5100f9851123918ff0b2f87e7e4f7ce981be86ae45cc07bcc05b89"
	sumKernelBz2 = "fb0bb4c24a22ca25aa6617c956b72a3febdb6c5110101b4c1704d5e19b97ca3a"
	sumKernel    = "f1a444f39ed4c1c6b217aa15986229a8a2f5431db425481f7fd072683e9e188f"
)

// standardSet are the files most samples of the corpus hold.
var standardSet = map[string]string{"testfile1": sumFile1, "testfile2": sumFile2, "generic folder/test file 3_.txt": sumFile3}

func with(m map[string]string, more ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(more); i += 2 {
		out[more[i]] = more[i+1]
	}
	return out
}

// TestFormatsCorpus walks ../shared/corpus/formats: every sample gives
// its expected contents (README.md of the folder), byte for byte; fakes
// are rejected without crashing.
func TestFormatsCorpus(t *testing.T) {
	dir := formattest.Shared(t, "corpus/formats")
	data := map[string]string{"data": sumData}
	tests := []struct {
		file   string
		format string // a layer of this format must be found
		want   map[string]string
		fake   bool
	}{
		{"android-sparse/simg.img", "android-sparse", with(standardSet, "unsparsed.img", "11863f39512c710d0a640d06582a08858e5e0c557a8327a6eb1d07d2fd3baf82"), false},
		{"archives/test.a", "ar", map[string]string{"test.data": sumData}, false},
		{"archives/test.bz2", "bzip2", data, false},
		{"archives/test.cpio", "cpio", standardSet, false},
		{"archives/test.deb", "ar", map[string]string{
			"usr/bin/test_elf_sfx":       "685349f8282f42d1765b99e6e5987b7bd928deef10d0421b6711cc65cb768058",
			"var/lib/binary_search_test": "1fbfe471c5fb660ac6913145d489397a16169bf5332cfe8f2b56fb6b00dfb720",
			"..deb":                      "dfc1b40e85d5d35e2869b0d733e437e9a9804f1f796d51ca3fa87e9e7057a0ce",
		}, false},
		{"archives/test.jar", "zip", standardSet, false},
		{"archives/test.lz4", "lz4", data, false},
		{"archives/test.lzo", "lzop", map[string]string{"test.data": sumData}, false},
		{"archives/test.tar", "tar", standardSet, false},
		{"archives/test.tar.bz2", "bzip2", standardSet, false},
		{"archives/test.tar.Z", "compress", standardSet, false},
		{"archives/test.zst", "zstd", data, false},
		{"carving/carving_test_file", "zip", map[string]string{"foo": "5e50d0fd4935b001219bc4c4ecce77feb1206b22d8d942f7b2ecd4cac464a977"}, false},
		{"carving/zlib_carving_test", "zlib", map[string]string{
			"zlib@0x80:/data":  "1ffc13d084fd2c642c164f3908f769253372dd9e5ff36047b5a9a997bd4ea483",
			"zlib@0x154:/data": "b6a91486300ef00b1cc647074a9bf93b7e4c0dd2fc9828c7038a7604e1060c4f",
			"zlib@0x23a:/data": "438184dda0e60b3405c2ae53583a91f5d6f1d1f640f518badd5ae7eea96f4dbf",
			"zlib@0x321:/data": "9a443e20d1310e0a34005a87d1600af98e3f42e83f78277f303aa52a3121fa27",
		}, false},
		{"carving/fake_7z.7z", "", nil, true},
		{"carving/fake_gz.gz", "", nil, true},
		{"carving/fake_tar.tar", "", nil, true},
		{"carving/fake_xz.xz", "", nil, true},
		{"carving/fake_zip.zip", "", nil, true},
		{"cramfs/cramfs.img", "cramfs", standardSet, false},
		{"jffs2/jffs2_be.img", "jffs2", standardSet, false},
		{"jffs2/jffs2_le.img", "jffs2", standardSet, false},
		{"kernel/bzImage_bzip2", "kernel", map[string]string{"vmlinux": sumKernelBz2}, false},
		{"kernel/bzImage_gzip", "kernel", map[string]string{"vmlinux": sumKernelGz}, false},
		{"kernel/bzImage_lz4", "kernel", map[string]string{"vmlinux": sumKernel}, false},
		{"kernel/bzImage_lzma", "kernel", map[string]string{"vmlinux": sumKernel}, false},
		{"kernel/bzImage_lzo", "kernel", map[string]string{"vmlinux": sumKernel}, false},
		{"kernel/bzImage_xz", "kernel", map[string]string{"vmlinux": sumKernel}, false},
		// A test zImage (word-swapped big endian) whose gzip payload is
		// one line of text.
		{"kernel/zImage_be32", "kernel", map[string]string{"vmlinux": "cae3471a26abfa4a744dd5c2e1fa326088766f48b98228cf00e535395abeabcc"}, false},
		{"misc/ext2.img.xz", "extfs", standardSet, false},
		{"misc/ext3.img.xz", "extfs", standardSet, false},
		{"misc/ext4.img.xz", "extfs", standardSet, false},
		{"misc/fat.img.xz", "fat", standardSet, false},
		{"misc/test.7z", "7z", standardSet, false},
		{"misc/test.gz", "gzip", map[string]string{"test.data": sumData}, false},
		{"misc/test.iso", "iso9660", standardSet, false},
		{"misc/test.xz", "xz", data, false},
		{"misc/test_zisofs.iso", "iso9660", map[string]string{
			"FOO": "b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c",
			// zisofs-compressed without a Rock Ridge ZF entry: the
			// content of mkzftree -u, not the raw bytes bsdtar copies.
			"LOREM": "56293a80e0394d252e995f2debccea8223e4b5b2b150bee212729b3b39ac4d46",
		}, false},
		{"misc/testfile.hex", "ihex", map[string]string{"data.bin": "268d870ffa2b21784e4dc955d8e8b8eb5f3bcddd6720a1e6d31d2cf84bd1bff8"}, false},
		{"misc/testfile.srec", "srec", map[string]string{"data.bin": "319c62453d6702082b15597ad09ffcfe2703ce84efd27843813a62feada0cbbd"}, false},
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
		{"trx/trx.img", "trx", standardSet, false},
		{"ubi/ubi.img", "ubi", standardSet, false},
		{"ubifs/test.ubifs", "ubifs", standardSet, false},
		{"uboot/fit.itb", "fit", map[string]string{
			"fit@0x0:/kernel":  "d092b76b7539d04a372466005b5c79a706b5565b7f81177b82af912b048f4b3c",
			"fit@0x0:/fdt":     "d96c22632f567aa2a40142bd720594dd89408c524325473f608b31c4fcc374c4",
			"fit@0x0:/rootfs":  "d492d8375ddadd87579395a551e97cb6b888ad1dca52a0377cca3ed28ac0e2fd",
			"root/random-data": "264204c3ff2e6d02e656bb21d12e5a9e70b064133a23c6e73b59a5dc87ab9760",
		}, false},
		// A cut legacy uImage of an ARM zImage with a device tree at 0x980.
		{"uboot/uboot.dtb", "fit", map[string]string{"fit@0x980:/devicetree.dts": "788b5bfa503bf7857554e7f1f89d15fe038f29a1ca4195f20a562021d20558e8"}, false},
		{"uboot/uboot.image_with_header", "uimage", map[string]string{"u-boot image": "4f0f0d25279720d13fc1398126ccbc6ec95e6d62e6cfc45f9296963707325fc3"}, false},
		{"yaffs2/yaffs2_be.img", "yaffs2", standardSet, false},
		{"yaffs2/yaffs2_le.img", "yaffs2", standardSet, false},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			s := unpackFile(t, filepath.Join(dir, tt.file))
			var formats []string
			sums := map[string]string{} // "chain:/path" of every regular file
			found := false
			for _, l := range s.Layers()[1:] {
				formats = append(formats, l.Format)
				if l.Format == tt.format {
					found = true
				}
				for p, e := range l.Entries {
					if e.Mode.IsRegular() && l.Dir != "" {
						sums[l.Chain+":"+p] = fileSum(t, filepath.Join(l.Dir, p))
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
			for key, want := range tt.want {
				var got []string
				for p, sum := range sums {
					if strings.HasSuffix(p, "/"+key) || strings.HasSuffix(p, " > "+key) {
						got = append(got, p+" "+sum)
						if sum == want {
							got = nil
							break
						}
					}
				}
				if got != nil || len(sums) == 0 {
					t.Errorf("%s: no file with the reference SHA-256 %s; candidates %v; problems %v", key, want, got, s.Problems())
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

func fileSum(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
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
