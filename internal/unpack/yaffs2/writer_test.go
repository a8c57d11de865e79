package yaffs2

import (
	"bytes"
	"encoding/binary"
)

// testObj is one object for writeImage.
type testObj struct {
	id, parent, typ uint32
	name            string
	mode            uint32
	data            string // file content
	alias           string // symlink target
	equiv           uint32 // hard link target
	rdev            uint32 // device number, Linux encoding
	seq             uint32 // 0: 0x1000
}

// writeImage lays objects out as a yaffs2 image following the public
// format description: for each object a header chunk (yaffs_obj_hdr in the
// page, tags with chunk id 0) and then its data chunks (chunk ids from 1,
// byte count in the tags). Tags are the 16-byte packed tags2 (seq, obj,
// chunk, bytes) at tagOff in the spare; the rest of the spare is 0xff.
// extra sets the "extra header info" form of header tags.
func writeImage(page, spare, tagOff int, bo binary.ByteOrder, extra bool, objs []testObj) []byte {
	var img bytes.Buffer
	chunk := func(pageData []byte, seq, obj, id, n uint32) {
		p := bytes.Repeat([]byte{0xff}, page+spare)
		copy(p, pageData)
		t := p[page+tagOff:]
		bo.PutUint32(t[0:], seq)
		bo.PutUint32(t[4:], obj)
		bo.PutUint32(t[8:], id)
		bo.PutUint32(t[12:], n)
		img.Write(p)
	}
	for _, o := range objs {
		seq := o.seq
		if seq == 0 {
			seq = 0x1000
		}
		h := bytes.Repeat([]byte{0xff}, page)
		clear(h[:hdrLen])
		bo.PutUint32(h[0:], o.typ)
		bo.PutUint32(h[4:], o.parent)
		copy(h[10:], o.name)
		bo.PutUint32(h[0x10c:], o.mode)
		bo.PutUint32(h[0x110:], 1000)
		bo.PutUint32(h[0x114:], 100)
		bo.PutUint32(h[0x11c:], 1700000000)
		bo.PutUint32(h[0x124:], uint32(len(o.data)))
		bo.PutUint32(h[0x128:], o.equiv)
		copy(h[0x12c:], o.alias)
		bo.PutUint32(h[0x1cc:], o.rdev)
		bo.PutUint32(h[0x1f0:], 0xffffffff)
		obj, cid, n := o.id, uint32(0), uint32(0xffff)
		if extra {
			obj |= o.typ << 28
			cid = extraHeader | o.parent
			n = uint32(len(o.data))
		}
		chunk(h, seq, obj, cid, n)
		for i := 0; i*page < len(o.data); i++ {
			d := []byte(o.data[i*page : min(len(o.data), (i+1)*page)])
			chunk(d, seq, o.id, uint32(i+1), uint32(len(d)))
		}
	}
	return img.Bytes()
}
