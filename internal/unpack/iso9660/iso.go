// Package iso9660 reads ISO 9660 images: Rock Ridge names, modes,
// ownership, symlinks, devices and relocated directories, Joliet names
// when there is no Rock Ridge, multi-extent files and zisofs compressed
// files (with a ZF entry or recognised by the zisofs file header).
package iso9660

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

const (
	sectorSize     = 2048
	firstDescSect  = 16
	maxDescriptors = 64
)

// Format is the ISO 9660 unpacker.
type Format struct{}

// New returns the ISO 9660 unpacker.
func New() format.Format { return Format{} }

func (Format) Name() string      { return "iso9660" }
func (Format) Kind() format.Kind { return format.FileSystem }

func (Format) Signatures() []format.Signature {
	return []format.Signature{{Magic: []byte("CD001"), Offset: 0x8001}}
}

// volume holds what the reader needs from the volume descriptors.
type volume struct {
	blockSize  int64
	blocks     int64
	root       []byte // primary root directory record
	jolietRoot []byte // Joliet root directory record, if any
}

func notMatch(why string) error { return format.NotMatch(why) }

func readVolume(r io.ReaderAt, size int64) (*volume, error) {
	// The first descriptor's type and version first: a candidate in a
	// flood of magics is rejected from 8 bytes, not a 2 KiB sector.
	var head [8]byte
	if format.ReadFull(r, head[:], firstDescSect*sectorSize) != nil || head[6] != 1 {
		return nil, notMatch("bad volume descriptor")
	}
	switch head[0] {
	case 0, 1, 2, 3, 255:
	default:
		return nil, notMatch("bad volume descriptor type")
	}
	v := &volume{}
	d := make([]byte, sectorSize)
	for i := int64(0); i < maxDescriptors; i++ {
		off := (firstDescSect + i) * sectorSize
		if off+sectorSize > size || format.ReadFull(r, d, off) != nil {
			break
		}
		if string(d[1:6]) != "CD001" {
			break
		}
		le := binary.LittleEndian
		switch d[0] {
		case 1:
			if v.root != nil {
				continue
			}
			v.blockSize = int64(le.Uint16(d[128:]))
			v.blocks = int64(le.Uint32(d[80:]))
			v.root = append([]byte(nil), d[156:156+34]...)
		case 2:
			esc := d[88:120]
			if v.jolietRoot == nil && (bytes.Contains(esc, []byte("%/@")) || bytes.Contains(esc, []byte("%/C")) || bytes.Contains(esc, []byte("%/E"))) {
				v.jolietRoot = append([]byte(nil), d[156:156+34]...)
			}
		case 255:
			i = maxDescriptors
		}
	}
	if v.root == nil {
		return nil, notMatch("no primary volume descriptor")
	}
	if v.blockSize != 512 && v.blockSize != 1024 && v.blockSize != 2048 {
		return nil, notMatch("bad logical block size")
	}
	if v.blocks*v.blockSize < (firstDescSect+1)*sectorSize {
		return nil, notMatch("volume smaller than its descriptors")
	}
	if v.root[0] != 34 {
		return nil, notMatch("bad root directory record")
	}
	return v, nil
}

func (Format) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	v, err := readVolume(r, size)
	if err != nil {
		return format.Match{}, err
	}
	desc := fmt.Sprintf("ISO 9660, %d blocks of %d bytes", v.blocks, v.blockSize)
	if v.jolietRoot != nil {
		desc += ", Joliet"
	}
	return format.Match{Size: v.blocks * v.blockSize, Description: desc, Extractable: true}, nil
}
