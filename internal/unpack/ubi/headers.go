package ubi

import (
	"encoding/binary"
	"hash/crc32"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// On-flash constants of UBI (Linux include/uapi/mtd/ubi-media.h, all big endian).
const (
	hdrSize      = 64
	vtblRecSize  = 172
	maxVolumes   = 128
	layoutVolID  = 0x7FFFEFFF
	volDynamic   = 1
	volStatic    = 2
	maxVolNameLn = 127
)

var (
	ecMagic  = []byte("UBI#")
	vidMagic = []byte("UBI!")
)

// crc is UBI's CRC32: the IEEE polynomial seeded with 0xFFFFFFFF and without
// the final inversion.
func crc(p []byte) uint32 { return ^crc32.ChecksumIEEE(p) }

type ecHdr struct {
	version    uint8
	ec         uint64
	vidOffset  uint32
	dataOffset uint32
	imageSeq   uint32
}

// readEC reads and validates the erase-counter header at off.
func readEC(r io.ReaderAt, off int64) (ecHdr, bool) {
	var b [hdrSize]byte
	if format.ReadFull(r, b[:], off) != nil || string(b[:4]) != string(ecMagic) {
		return ecHdr{}, false
	}
	if crc(b[:60]) != binary.BigEndian.Uint32(b[60:]) {
		return ecHdr{}, false
	}
	return ecHdr{
		version:    b[4],
		ec:         binary.BigEndian.Uint64(b[8:]),
		vidOffset:  binary.BigEndian.Uint32(b[16:]),
		dataOffset: binary.BigEndian.Uint32(b[20:]),
		imageSeq:   binary.BigEndian.Uint32(b[24:]),
	}, true
}

type vidHdr struct {
	volType  uint8
	copyFlag uint8
	volID    uint32
	lnum     uint32
	dataSize uint32
	usedEBs  uint32
	dataPad  uint32
	dataCRC  uint32
	sqnum    uint64
}

// readVID reads and validates the volume-identifier header at off.
func readVID(r io.ReaderAt, off int64) (vidHdr, bool) {
	var b [hdrSize]byte
	if format.ReadFull(r, b[:], off) != nil || string(b[:4]) != string(vidMagic) {
		return vidHdr{}, false
	}
	if crc(b[:60]) != binary.BigEndian.Uint32(b[60:]) {
		return vidHdr{}, false
	}
	return vidHdr{
		volType:  b[5],
		copyFlag: b[6],
		volID:    binary.BigEndian.Uint32(b[8:]),
		lnum:     binary.BigEndian.Uint32(b[12:]),
		dataSize: binary.BigEndian.Uint32(b[20:]),
		usedEBs:  binary.BigEndian.Uint32(b[24:]),
		dataPad:  binary.BigEndian.Uint32(b[28:]),
		dataCRC:  binary.BigEndian.Uint32(b[32:]),
		sqnum:    binary.BigEndian.Uint64(b[40:]),
	}, true
}

type vtblRec struct {
	id           int
	reservedPEBs uint32
	alignment    uint32
	dataPad      uint32
	volType      uint8
	name         string
	flags        uint8
}

// parseVtbl decodes the volume table records of one layout LEB. Empty
// records (all zero, valid CRC) are skipped; a record with a bad CRC makes
// ok false so that the other copy can be tried.
func parseVtbl(p []byte) (recs []vtblRec, ok bool) {
	ok = true
	for i := 0; i < maxVolumes && (i+1)*vtblRecSize <= len(p); i++ {
		b := p[i*vtblRecSize : (i+1)*vtblRecSize]
		if crc(b[:168]) != binary.BigEndian.Uint32(b[168:]) {
			ok = false
			continue
		}
		rec := vtblRec{
			id:           i,
			reservedPEBs: binary.BigEndian.Uint32(b[0:]),
			alignment:    binary.BigEndian.Uint32(b[4:]),
			dataPad:      binary.BigEndian.Uint32(b[8:]),
			volType:      b[12],
			flags:        b[148],
		}
		if rec.reservedPEBs == 0 {
			continue
		}
		n := int(binary.BigEndian.Uint16(b[14:]))
		if n > maxVolNameLn {
			n = maxVolNameLn
		}
		name := b[16 : 16+n]
		for j, c := range name {
			if c == 0 {
				name = name[:j]
				break
			}
		}
		rec.name = string(name)
		recs = append(recs, rec)
	}
	return recs, ok
}
