package ubi

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

const (
	minPEB = 1 << 9
	maxPEB = 1 << 26
	// maxBlankGap is how many erased (0xFF) PEBs may sit between UBI PEBs
	// before the UBI area is considered to have ended.
	maxBlankGap = 8
)

// leb is one mapped logical erase block: a PEB with a valid VID header.
type leb struct {
	peb int64 // start offset of the PEB
	vid vidHdr
}

// image is the result of scanning the PEBs of a UBI area.
type image struct {
	peb, dataOff, vidOff int64
	version              uint8
	npeb                 int
	size                 int64 // extent of the UBI area
	lebs                 map[uint32]map[uint32][]leb
	vols                 []volume
	vtblOK               bool
	vtblBadCopy          bool // one copy of the volume table is damaged
	badVID               int  // PEBs with a VID magic but a bad header CRC
}

func (im *image) lebSize() int64 { return im.peb - im.dataOff }

// volume is one UBI volume as described by the volume table (or, when the
// table is lost, by the VID headers alone).
type volume struct {
	id       uint32
	name     string
	volType  uint8
	reserved uint32
	dataPad  uint32
	mapped   int
}

// detectPEB finds the PEB size: the smallest power of two at which another
// valid EC header of the same image sits. An erased PEB 1 would double the
// answer, so a header at 1.5 times the guess halves it back.
func detectPEB(r io.ReaderAt, size int64, ec ecHdr) int64 {
	for s := int64(minPEB); s <= maxPEB && s < size; s <<= 1 {
		if s <= int64(ec.dataOffset) {
			continue
		}
		e, ok := readEC(r, s)
		if !ok || e.imageSeq != ec.imageSeq {
			continue
		}
		for s/2 > int64(ec.dataOffset) {
			e, ok := readEC(r, s+s/2)
			if !ok || e.imageSeq != ec.imageSeq {
				break
			}
			s /= 2
		}
		return s
	}
	return 0
}

// isBlank reports whether the PEB at off starts erased (its first 4 KiB).
func isBlank(r io.ReaderAt, off, peb int64) bool {
	b := make([]byte, min(peb, 4096))
	if format.ReadFull(r, b, off) != nil {
		return false
	}
	for _, c := range b {
		if c != 0xFF {
			return false
		}
	}
	return true
}

// scan reads the EC and VID headers of every PEB and the volume table.
func scan(ctx context.Context, r io.ReaderAt, size int64) (*image, error) {
	ec, ok := readEC(r, 0)
	if !ok || ec.version != 1 {
		return nil, format.ErrNotMatch
	}
	if ec.vidOffset < hdrSize || int64(ec.dataOffset) < int64(ec.vidOffset)+hdrSize {
		return nil, fmt.Errorf("%w: bad VID/data offsets %d/%d", format.ErrNotMatch, ec.vidOffset, ec.dataOffset)
	}
	peb := detectPEB(r, size, ec)
	if peb == 0 {
		return nil, fmt.Errorf("%w: no second UBI erase block", format.ErrNotMatch)
	}
	im := &image{peb: peb, dataOff: int64(ec.dataOffset), vidOff: int64(ec.vidOffset),
		version: ec.version, lebs: map[uint32]map[uint32][]leb{}}
	gap := 0
	for k := int64(0); (k+1)*peb <= size; k++ {
		if k%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		off := k * peb
		e, ok := readEC(r, off)
		if !ok || e.imageSeq != ec.imageSeq {
			if gap < maxBlankGap && isBlank(r, off, peb) {
				// Erased PEBs belong to the UBI area (UBI formats them
				// on attach); only a bounded run of them is accepted.
				gap++
				im.size = off + peb
				continue
			}
			break
		}
		gap = 0
		im.size = off + peb
		v, ok := readVID(r, off+im.vidOff)
		if !ok && !isBlank(r, off+im.vidOff, hdrSize) {
			im.badVID++
		}
		if ok {
			m := im.lebs[v.volID]
			if m == nil {
				if len(im.lebs) >= 4*maxVolumes {
					continue
				}
				m = map[uint32][]leb{}
				im.lebs[v.volID] = m
			}
			m[v.lnum] = append(m[v.lnum], leb{peb: off, vid: v})
		}
	}
	im.npeb = int(im.size / peb)
	im.readVtbl(r)
	return im, nil
}

// loadVtbl returns the records of the first intact copy of the volume
// table (the layout volume holds two), else those of a damaged one.
func (im *image) loadVtbl(r io.ReaderAt) []vtblRec {
	n := int64(maxVolumes * vtblRecSize)
	if n > im.lebSize() {
		n = im.lebSize() / vtblRecSize * vtblRecSize
	}
	var recs []vtblRec
	for lnum := uint32(0); lnum < 2; lnum++ {
		for _, l := range sortedCopies(im.lebs[layoutVolID][lnum]) {
			p, err := format.Bytes(r, l.peb+im.dataOff, n, n)
			if err != nil {
				continue
			}
			rs, ok := parseVtbl(p)
			if ok {
				im.vtblOK = true
				return rs
			}
			im.vtblBadCopy = true
			if recs == nil {
				recs = rs
			}
		}
	}
	return recs
}

// readVtbl loads the volume table and adds the volumes found only in VID
// headers (named by id).
func (im *image) readVtbl(r io.ReaderAt) {
	recs := im.loadVtbl(r)
	known := map[uint32]bool{}
	for _, rec := range recs {
		v := volume{id: uint32(rec.id), name: rec.name, volType: rec.volType,
			reserved: rec.reservedPEBs, dataPad: rec.dataPad}
		known[v.id] = true
		im.vols = append(im.vols, v)
	}
	for id, m := range im.lebs {
		if id == layoutVolID || known[id] {
			continue
		}
		v := volume{id: id, name: fmt.Sprintf("volume%d", id)}
		for _, ls := range m {
			v.volType, v.dataPad = ls[0].vid.volType, ls[0].vid.dataPad
			break
		}
		im.vols = append(im.vols, v)
	}
	sort.Slice(im.vols, func(i, j int) bool { return im.vols[i].id < im.vols[j].id })
	for i := range im.vols {
		im.vols[i].mapped = len(im.lebs[im.vols[i].id])
	}
}

// sortedCopies orders the copies of one LEB newest first.
func sortedCopies(ls []leb) []leb {
	out := append([]leb(nil), ls...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].vid.sqnum > out[j].vid.sqnum })
	return out
}

func typeName(t uint8) string {
	switch t {
	case volDynamic:
		return "dynamic"
	case volStatic:
		return "static"
	}
	return fmt.Sprintf("type %d", t)
}
