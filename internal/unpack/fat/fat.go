// Package fat reads FAT12, FAT16 and FAT32 file system images, with VFAT
// long file names (checksummed) and 8.3 names with NT case flags.
package fat

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// Format is the FAT unpacker.
type Format struct{}

// New returns the FAT unpacker.
func New() format.Format { return Format{} }

func (Format) Name() string      { return "fat" }
func (Format) Kind() format.Kind { return format.FileSystem }

// Signatures are the file system type strings that mkfs.fat and most
// formatters write; Identify checks the boot sector independently of them.
func (Format) Signatures() []format.Signature {
	return []format.Signature{
		{Magic: []byte("FAT12   "), Offset: 0x36},
		{Magic: []byte("FAT16   "), Offset: 0x36},
		{Magic: []byte("FAT     "), Offset: 0x36},
		{Magic: []byte("FAT32   "), Offset: 0x52},
	}
}

// volume is a validated boot sector.
type volume struct {
	bps          int64 // bytes per sector
	clusterSize  int64
	fatOff       int64 // byte offset of the first FAT
	fatBytes     int64
	rootOff      int64 // FAT12/16 fixed root directory
	rootEntries  int64
	dataOff      int64
	clusters     uint32 // number of data clusters
	bits         int    // 12, 16 or 32
	rootCluster  uint32 // FAT32
	totalSectors int64
}

func notMatch(why string) error { return format.NotMatch(why) }

var errBPB = notMatch("bad BIOS parameter block")

func readVolume(r io.ReaderAt, size int64) (*volume, error) {
	var b [512]byte
	// The BIOS parameter block's first fields before the whole sector: a
	// candidate in a flood of magics is rejected from 24 bytes.
	if size < 512 || format.ReadFull(r, b[:0x18], 0) != nil {
		return nil, notMatch("too small")
	}
	if (b[0] != 0xEB && b[0] != 0xE9) || b[0x0D] == 0 || b[0x10] == 0 || b[0x10] > 4 || (b[0x15] != 0xF0 && b[0x15] < 0xF8) {
		return nil, errBPB
	}
	if format.ReadFull(r, b[0x18:], 0x18) != nil {
		return nil, notMatch("too small")
	}
	le := binary.LittleEndian
	if b[510] != 0x55 || b[511] != 0xAA {
		return nil, notMatch("no 0x55AA boot signature")
	}
	if b[0] != 0xEB && b[0] != 0xE9 {
		return nil, notMatch("no jump instruction")
	}
	bps := int64(le.Uint16(b[0x0B:]))
	spc := int64(b[0x0D])
	reserved := int64(le.Uint16(b[0x0E:]))
	nfats := int64(b[0x10])
	rootEntries := int64(le.Uint16(b[0x11:]))
	total := int64(le.Uint16(b[0x13:]))
	media := b[0x15]
	fatSz := int64(le.Uint16(b[0x16:]))
	if total == 0 {
		total = int64(le.Uint32(b[0x20:]))
	}
	if fatSz == 0 {
		fatSz = int64(le.Uint32(b[0x24:]))
	}
	switch {
	case bps != 512 && bps != 1024 && bps != 2048 && bps != 4096:
		return nil, notMatch("bad bytes per sector")
	case spc == 0 || spc&(spc-1) != 0:
		return nil, notMatch("bad sectors per cluster")
	case reserved == 0:
		return nil, notMatch("no reserved sectors")
	case nfats == 0 || nfats > 4:
		return nil, notMatch("bad FAT count")
	case media != 0xF0 && media < 0xF8:
		return nil, notMatch("bad media byte")
	case fatSz == 0:
		return nil, notMatch("zero FAT size")
	}
	v := &volume{bps: bps, clusterSize: bps * spc, rootEntries: rootEntries, totalSectors: total}
	rootSectors := (rootEntries*32 + bps - 1) / bps
	v.fatOff = reserved * bps
	v.fatBytes = fatSz * bps
	v.rootOff = (reserved + nfats*fatSz) * bps
	dataSector := reserved + nfats*fatSz + rootSectors
	if total <= dataSector {
		return nil, notMatch("no data area")
	}
	n := (total - dataSector) / spc
	if n < 1 || n > 0x0FFFFFF5 {
		return nil, notMatch("bad cluster count")
	}
	v.clusters = uint32(n)
	v.dataOff = dataSector * bps
	switch {
	case n < 4085:
		v.bits = 12
	case n < 65525:
		v.bits = 16
	default:
		v.bits = 32
		if rootEntries != 0 {
			return nil, notMatch("FAT32 with a fixed root directory")
		}
		v.rootCluster = le.Uint32(b[0x2C:]) & 0x0FFFFFFF
	}
	if v.bits != 32 && rootEntries == 0 {
		return nil, notMatch("FAT12/16 without a root directory")
	}
	// The FAT must hold an entry for every cluster.
	if v.fatBytes*8/int64(v.bits) < n+2 {
		return nil, notMatch("FAT too small for the cluster count")
	}
	return v, nil
}

func (Format) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	v, err := readVolume(r, size)
	if err != nil {
		return format.Match{}, err
	}
	return format.Match{
		Size:        v.totalSectors * v.bps,
		Description: fmt.Sprintf("FAT%d file system, %d clusters of %d bytes", v.bits, v.clusters, v.clusterSize),
		Extractable: true,
	}, nil
}
