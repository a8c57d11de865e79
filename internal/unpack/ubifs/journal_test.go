package ubifs

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// mkNode builds a node with a valid common header and CRC.
func mkNode(typ uint8, sqnum uint64, body []byte) []byte {
	le := binary.LittleEndian
	p := make([]byte, chSize+len(body))
	le.PutUint32(p, nodeMagic)
	le.PutUint64(p[8:], sqnum)
	le.PutUint32(p[16:], uint32(len(p)))
	p[20] = typ
	copy(p[chSize:], body)
	le.PutUint32(p[4:], crc(p[8:]))
	for len(p)%8 != 0 {
		p = append(p, 0)
	}
	return p
}

func keyBytes(inum uint32, typ uint8, val uint32) []byte {
	k := make([]byte, 16)
	binary.LittleEndian.PutUint32(k, inum)
	binary.LittleEndian.PutUint32(k[4:], uint32(typ)<<29|val&0x1FFFFFFF)
	return k
}

func mkDent(sqnum uint64, parent uint32, inum uint64, name string) []byte {
	b := make([]byte, dentHdrSize-chSize+len(name)+1)
	copy(b, keyBytes(parent, keyDent, uint32(len(name))*7919))
	binary.LittleEndian.PutUint64(b[16:], inum)
	binary.LittleEndian.PutUint16(b[26:], uint16(len(name)))
	copy(b[32:], name)
	return mkNode(dentNode, sqnum, b)
}

func mkIno(sqnum uint64, inum uint32, mode uint32, size uint64) []byte {
	b := make([]byte, inoHdrSize-chSize)
	le := binary.LittleEndian
	copy(b, keyBytes(inum, keyIno, 0))
	le.PutUint64(b[24:], size)
	le.PutUint64(b[48:], 1700000000) // mtime
	le.PutUint32(b[68:], 1)          // nlink
	le.PutUint32(b[80:], mode)
	return mkNode(inoNode, sqnum, b)
}

func mkData(sqnum uint64, inum, block uint32, data []byte) []byte {
	b := make([]byte, dataHdrSize-chSize+len(data))
	copy(b, keyBytes(inum, keyData, block))
	binary.LittleEndian.PutUint32(b[16:], uint32(len(data)))
	copy(b[24:], data)
	return mkNode(dataNode, sqnum, b)
}

// TestJournalReplay appends a journal bud to a mkfs.ubifs image (which has
// an empty journal): a new file and the deletion of "empty" must show.
func TestJournalReplay(t *testing.T) {
	data := readFixture(t, "none")
	const leb = 16256
	// The log starts with the commit start node; a reference node after it
	// names the new bud, a LEB appended to the image.
	cs, h, err := (&fsys{r: bytes.NewReader(data), size: int64(len(data)), sb: superblock{lebSize: leb}}).readNode(logLnum, 0, 0)
	if err != nil || h.typ != csNode {
		t.Fatalf("no commit start node at the head of the log: %v", err)
	}
	sq := uint64(1 << 40)
	bud := uint32(len(data) / leb)
	ref := make([]byte, 40)
	binary.LittleEndian.PutUint32(ref, bud)
	binary.LittleEndian.PutUint32(ref[8:], 1) // base head
	refNodeBytes := mkNode(refNode, sq, ref)
	off := logLnum*leb + (len(cs)+7)&^7
	img := append([]byte(nil), data...)
	copy(img[off:], refNodeBytes)

	var j bytes.Buffer
	content := []byte("written after the last commit\n")
	j.Write(mkData(sq+1, 100, 0, content))
	// A padding node covering 20 more bytes, then a gap of 0xCE bytes.
	pad := make([]byte, 4)
	binary.LittleEndian.PutUint32(pad, 20)
	j.Write(mkNode(padNode, sq, pad))
	j.Write(make([]byte, 16))
	j.Write(bytes.Repeat([]byte{padByte}, 16))
	j.Write(mkIno(sq+2, 100, 0o100640, uint64(len(content))))
	j.Write(mkDent(sq+3, 1, 100, "journal.txt"))
	j.Write(mkDent(sq+4, 1, 0, "empty")) // deletion
	budLEB := bytes.Repeat([]byte{0xFF}, leb)
	copy(budLEB, j.Bytes())
	img = append(img, budLEB...)
	// Grow the file system by the bud LEB (leb_cnt, then the node CRC).
	binary.LittleEndian.PutUint32(img[40:], bud+1)
	binary.LittleEndian.PutUint32(img[4:], crc(img[8:binary.LittleEndian.Uint32(img[16:])]))

	s, _ := formattest.Extract(t, New(), img)
	if f := s.Get("journal.txt"); f == nil || !bytes.Equal(f.Data, content) || f.Mode != 0o640 {
		t.Errorf("journal.txt: %+v", f)
	}
	if s.Get("empty") != nil {
		t.Error("deleted file still listed")
	}
	if s.Get("big.txt") == nil || len(s.Problems) > 0 {
		t.Errorf("paths %s, problems %v", strings.Join(s.Paths(), " "), s.Problems)
	}
}
