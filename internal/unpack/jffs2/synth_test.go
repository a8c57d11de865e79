package jffs2

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/ulikunitz/xz/lzma"

	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// builder writes little-endian JFFS2 nodes by hand, for the cases that
// mkfs.jffs2 never produces (several versions, unlinks, lzma).
type builder struct{ bytes.Buffer }

func (b *builder) node(typ uint16, body []byte) {
	le := binary.LittleEndian
	h := make([]byte, hdrSize)
	le.PutUint16(h, magic)
	le.PutUint16(h[2:], typ)
	le.PutUint32(h[4:], uint32(hdrSize+len(body)))
	le.PutUint32(h[8:], crc(h[:8]))
	b.Write(h)
	b.Write(body)
	for b.Len()%4 != 0 {
		b.WriteByte(0xFF)
	}
}

func (b *builder) dirent(pino, version, ino uint32, name string) {
	le := binary.LittleEndian
	p := make([]byte, direntSize-hdrSize+len(name))
	le.PutUint32(p[0:], pino)
	le.PutUint32(p[4:], version)
	le.PutUint32(p[8:], ino)
	p[16] = byte(len(name))
	copy(p[28:], name)
	b.withCRC(typeDirent, p, func(full []byte) {
		le.PutUint32(full[32:], crc(full[:32]))
		le.PutUint32(full[36:], crc([]byte(name)))
	})
}

func (b *builder) inode(ino, version, mode, isize, offset uint32, compr uint8, dsize int, data []byte) {
	le := binary.LittleEndian
	p := make([]byte, inodeSize-hdrSize+len(data))
	le.PutUint32(p[0:], ino)
	le.PutUint32(p[4:], version)
	le.PutUint32(p[8:], mode)
	le.PutUint32(p[16:], isize)
	le.PutUint32(p[32:], offset)
	le.PutUint32(p[36:], uint32(len(data)))
	le.PutUint32(p[40:], uint32(dsize))
	p[44] = compr
	copy(p[56:], data)
	b.withCRC(typeInode, p, func(full []byte) {
		le.PutUint32(full[60:], crc(data))
		le.PutUint32(full[64:], crc(full[:60]))
	})
}

// withCRC lets fill compute the node CRCs over the full node (header
// included) before it is written.
func (b *builder) withCRC(typ uint16, body []byte, fill func(full []byte)) {
	full := make([]byte, hdrSize+len(body))
	copy(full[hdrSize:], body)
	fill(full)
	b.node(typ, full[hdrSize:])
}

func TestVersions(t *testing.T) {
	var b builder
	b.node(0x2003, nil) // clean marker
	b.dirent(1, 1, 2, "file")
	b.inode(2, 1, 0o100644, 10, 0, comprNone, 10, []byte("0123456789"))
	b.inode(2, 3, 0o100600, 12, 4, comprNone, 8, []byte("ABCDEFGH")) // newer: overwrites 4..11
	b.inode(2, 2, 0o100644, 10, 2, comprNone, 2, []byte("xx"))       // older than v3
	b.dirent(1, 2, 3, "gone")
	b.inode(3, 1, 0o100644, 1, 0, comprNone, 1, []byte("g"))
	b.dirent(1, 3, 0, "gone") // unlinked
	b.dirent(1, 4, 4, "renamed")
	b.inode(4, 1, 0o100644, 4096, 0, comprZero, 4096, nil) // a zero page
	b.inode(4, 2, 0o100644, 8192, 0, comprNone, 0, nil)    // grown: hole
	bad := b.Len()
	b.dirent(1, 5, 2, "badcrc")
	b.Bytes()[bad+20] ^= 1 // breaks the node CRC of that dirent
	b.Write(bytes.Repeat([]byte{0xFF}, 64))

	s, m := formattest.Extract(t, New(), b.Bytes())
	if got := strings.Join(s.Paths(), " "); got != "/file /renamed" {
		t.Fatalf("paths %s", got)
	}
	if f := s.Get("file"); string(f.Data) != "01xxABCDEFGH" || f.Mode != 0o600 {
		t.Errorf("file: %q %v", f.Data, f.Mode)
	}
	if f := s.Get("renamed"); len(f.Data) != 8192 || strings.Trim(string(f.Data), "\x00") != "" {
		t.Errorf("renamed: %d bytes", len(f.Data))
	}
	if len(s.Problems) != 1 || !strings.Contains(s.Problems[0], "1 nodes with bad CRC") {
		t.Errorf("problems %v", s.Problems)
	}
	if m.Size != int64(b.Len()-64) {
		t.Errorf("size %d, want %d", m.Size, b.Len()-64)
	}
}

func TestLZMA(t *testing.T) {
	text := bytes.Repeat([]byte("jffs2 lzma page "), 256)
	var z bytes.Buffer
	w, err := lzma.WriterConfig{Properties: &lzma.Properties{}, DictCap: lzmaDict,
		SizeInHeader: true, Size: int64(len(text))}.NewWriter(&z)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(text)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	raw := z.Bytes()[13:] // drop the lzma-alone header: JFFS2 stores none
	var b builder
	b.dirent(1, 1, 2, "z")
	b.inode(2, 1, 0o100644, uint32(len(text)), 0, comprLZMA, len(text), raw)
	s, _ := formattest.Extract(t, New(), b.Bytes())
	if f := s.Get("z"); f == nil || !bytes.Equal(f.Data, text) || len(s.Problems) > 0 {
		t.Errorf("lzma node: %v, problems %v", f, s.Problems)
	}
}

func TestRubinUnsupported(t *testing.T) {
	var b builder
	b.dirent(1, 1, 2, "r")
	b.inode(2, 1, 0o100644, 8, 0, comprDynRubin, 8, []byte{1, 2, 3})
	b.dirent(1, 2, 3, "r2")
	b.inode(3, 1, 0o100644, 8, 0, comprDynRubin, 8, []byte{1, 2, 3})
	s, _ := formattest.Extract(t, New(), b.Bytes())
	if len(s.Problems) != 1 || !strings.Contains(s.Problems[0], "dynrubin") {
		t.Errorf("problems %v", s.Problems)
	}
	_, err := decompress(comprRubinMIPS, nil, 4)
	var u *format.UnsupportedError
	if !errors.As(err, &u) {
		t.Errorf("rubinmips: %v", err)
	}
}

// TestDirLoop: a directory that contains itself is reported, not followed.
func TestDirLoop(t *testing.T) {
	var b builder
	b.dirent(1, 1, 2, "d")
	b.inode(2, 1, 0o040755, 0, 0, comprNone, 0, nil)
	b.dirent(2, 1, 2, "self")
	b.dirent(2, 2, 1, "root")
	s, _ := formattest.Extract(t, New(), b.Bytes())
	if got := strings.Join(s.Paths(), " "); got != "/d" || len(s.Problems) == 0 {
		t.Errorf("paths %s, problems %v", got, s.Problems)
	}
}

// TestBadNames: names with NUL or slash are reported and skipped.
func TestBadNames(t *testing.T) {
	var b builder
	b.dirent(1, 1, 2, "a\x00b")
	b.dirent(1, 2, 2, "../x")
	b.dirent(1, 3, 2, "ok")
	b.inode(2, 1, 0o100644, 1, 0, comprNone, 1, []byte("k"))
	s, _ := formattest.Extract(t, New(), b.Bytes())
	if got := strings.Join(s.Paths(), " "); got != "/ok" || len(s.Problems) != 2 {
		t.Errorf("paths %s, problems %v", got, s.Problems)
	}
}
