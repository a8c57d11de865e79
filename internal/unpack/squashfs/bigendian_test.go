package squashfs

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// squashfs-tools 4.x writes little endian only, but big-endian 4.0
// images exist (vendor firmware of big-endian SoCs). toBigEndian turns an
// image mksquashfs built with uncompressed metadata (-noI -noId -noF,
// no export or xattr table) into its big-endian form: every multibyte
// field of the superblock, compressor options, inodes, directories and
// tables is swapped in place; data blocks (here xz with a BCJ filter)
// are byte streams and stay as they are.

// metaStream is a table of uncompressed metadata blocks seen as one
// logical stream, with the image offset of each logical byte.
type metaStream struct {
	img  []byte
	data []byte
	phys []int
}

func readMeta(t *testing.T, img []byte, start, end int) *metaStream {
	t.Helper()
	m := &metaStream{img: img}
	for off := start; off < end; {
		h := binary.LittleEndian.Uint16(img[off:])
		n := int(h & 0x7fff)
		if h&0x8000 == 0 {
			t.Fatalf("compressed metadata block at %d", off)
		}
		binary.BigEndian.PutUint16(img[off:], h)
		for i := 0; i < n; i++ {
			m.data = append(m.data, img[off+2+i])
			m.phys = append(m.phys, off+2+i)
		}
		off += 2 + n
	}
	return m
}

// swap reverses the n-byte field at logical offset pos and returns its
// (little-endian) value.
func (m *metaStream) swap(pos, n int) uint64 {
	var v uint64
	for i := 0; i < n; i++ {
		v |= uint64(m.data[pos+i]) << (8 * i)
	}
	for i := 0; i < n; i++ {
		m.img[m.phys[pos+i]] = byte(v >> (8 * (n - 1 - i)))
	}
	return v
}

// fields swaps consecutive fields of the given sizes from pos and returns
// their values and the offset after them.
func (m *metaStream) fields(pos int, sizes ...int) ([]uint64, int) {
	vals := make([]uint64, len(sizes))
	for i, n := range sizes {
		vals[i] = m.swap(pos, n)
		pos += n
	}
	return vals, pos
}

func swapAt(b []byte, sizes ...int) {
	for _, n := range sizes {
		for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
			b[i], b[j] = b[j], b[i]
		}
		b = b[n:]
	}
}

func toBigEndian(t *testing.T, img []byte) {
	t.Helper()
	le := binary.LittleEndian
	blockSize := uint64(le.Uint32(img[12:]))
	flags := le.Uint16(img[24:])
	ids, frags := int(le.Uint16(img[26:])), int(le.Uint32(img[16:]))
	idStart, inodeStart := int(le.Uint64(img[48:])), int(le.Uint64(img[64:]))
	dirStart, fragStart := int(le.Uint64(img[72:])), int(le.Uint64(img[80:]))
	if le.Uint64(img[56:]) != noTable || le.Uint64(img[88:]) != noTable {
		t.Fatal("image has xattr or export tables")
	}
	copy(img, "sqsh")
	swapAt(img[4:96], 4, 4, 4, 4, 2, 2, 2, 2, 2, 2, 8, 8, 8, 8, 8, 8, 8, 8)
	if flags&0x400 != 0 { // compressor options: one metadata block
		n := int(le.Uint16(img[96:]) & 0x7fff)
		swapAt(img[96:], 2)
		for off := 98; off < 98+n; off += 4 {
			swapAt(img[off:], 4)
		}
	}
	// The directory table ends where the fragment table's blocks start.
	dirEnd := int(le.Uint64(img[fragStart:]))
	inodes := readMeta(t, img, inodeStart, dirStart)
	for pos := 0; pos < len(inodes.data); {
		typ := inodes.swap(pos, 2)
		_, pos = inodes.fields(pos+2, 2, 2, 2, 4, 4)
		var v []uint64
		switch typ {
		case 1: // directory
			_, pos = inodes.fields(pos, 4, 4, 2, 2, 4)
		case 8: // extended directory
			v, pos = inodes.fields(pos, 4, 4, 4, 4, 2, 2, 4)
			for i := 0; i < int(v[4]); i++ {
				var idx []uint64
				idx, pos = inodes.fields(pos, 4, 4, 4)
				pos += int(idx[2]) + 1
			}
		case 2, 9: // file, extended file
			var size, frag uint64
			if typ == 2 {
				v, pos = inodes.fields(pos, 4, 4, 4, 4)
				size, frag = v[3], v[1]
			} else {
				v, pos = inodes.fields(pos, 8, 8, 8, 4, 4, 4, 4)
				size, frag = v[1], v[4]
			}
			n := size / blockSize
			if frag == 0xffffffff && size%blockSize != 0 {
				n++
			}
			for i := uint64(0); i < n; i++ {
				_, pos = inodes.fields(pos, 4)
			}
		case 3: // symlink
			v, pos = inodes.fields(pos, 4, 4)
			pos += int(v[1])
		default:
			t.Fatalf("inode type %d not converted", typ)
		}
	}
	dirs := readMeta(t, img, dirStart, dirEnd)
	for pos := 0; pos < len(dirs.data); {
		var hdr, e []uint64
		hdr, pos = dirs.fields(pos, 4, 4, 4)
		for i := 0; i <= int(hdr[0]); i++ {
			e, pos = dirs.fields(pos, 2, 2, 2, 2)
			pos += int(e[3]) + 1
		}
	}
	fragTable := readMeta(t, img, dirEnd, fragStart)
	for i := 0; i < frags; i++ {
		fragTable.fields(16*i, 8, 4, 4)
	}
	for i := 0; i < (frags*16+metaSize-1)/metaSize; i++ {
		swapAt(img[fragStart+8*i:], 8)
	}
	idEnd := int(le.Uint64(img[idStart:]))
	idTable := readMeta(t, img, idEnd, idStart)
	for i := 0; i < ids; i++ {
		idTable.fields(4*i, 4)
	}
	for i := 0; i < (ids*4+metaSize-1)/metaSize; i++ {
		swapAt(img[idStart+8*i:], 8)
	}
}

// TestBigEndianBCJ extracts big-endian forms of mksquashfs images with xz
// and BCJ filters and compares every file with unsquashfs's extraction of
// the little-endian original.
func TestBigEndianBCJ(t *testing.T) {
	for _, tool := range []string{"mksquashfs", "unsquashfs"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	filters := []string{"armthumb", "powerpc", "x86,arm"}
	if formattest.Race {
		filters = filters[:1]
	}
	const size = 200 << 10 // smaller inputs compress best without a filter
	for _, f := range filters {
		t.Run(f, func(t *testing.T) {
			arches := map[string][]string{"armthumb": {"armthumb"}, "powerpc": {"powerpc"}, "x86,arm": {"x86"}}[f]
			src := fidelityTree(t, arches, size)
			if err := os.Symlink("code.bin", filepath.Join(src, arches[0], "link")); err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			img := filepath.Join(out, "img.sqfs")
			args := []string{src, img, "-noappend", "-no-progress", "-all-root", "-b", "65536",
				"-noI", "-noId", "-noF", "-no-exports", "-no-xattrs", "-comp", "xz", "-Xbcj", f}
			if b, err := exec.Command("mksquashfs", args...).CombinedOutput(); err != nil {
				t.Fatalf("mksquashfs: %v\n%s", err, b)
			}
			ref := filepath.Join(out, "ref")
			if b, err := exec.Command("unsquashfs", "-no-progress", "-d", ref, img).CombinedOutput(); err != nil {
				t.Fatalf("unsquashfs: %v\n%s", err, b)
			}
			data, err := os.ReadFile(img)
			if err != nil {
				t.Fatal(err)
			}
			leMatch, err := New().Identify(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			if ids := xzFilterIDs(data); ids[xzIDs[arches[0]]] == 0 {
				t.Fatalf("no block uses the %s filter (%v)", arches[0], ids)
			}
			toBigEndian(t, data)
			s, m := formattest.Extract(t, New(), data)
			if want := strings.Replace(leMatch.Description, "little", "big", 1); m.Description != want || m.Size != leMatch.Size {
				t.Errorf("identified as %q (%d bytes), want %q (%d)", m.Description, m.Size, want, leMatch.Size)
			}
			compareSums(t, ourSums(t, data), regularSums(t, ref))
			if l := s.Get("/" + arches[0] + "/link"); l == nil || l.Linkname != "code.bin" {
				t.Errorf("symlink: %+v", l)
			}
		})
	}
}
