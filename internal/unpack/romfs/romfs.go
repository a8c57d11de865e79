// Package romfs unpacks Linux romfs images ("-rom1fs-"): directories,
// regular files, symlinks, hard links, block/char devices, sockets and
// fifos, with the superblock and file header checksums verified.
package romfs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// New returns the romfs unpacker.
func New() format.Format { return romfsFormat{} }

type romfsFormat struct{}

const (
	magic   = "-rom1fs-"
	maxName = 4096
	maxLink = 4096
)

// File types, the low three bits of the next field.
const (
	typHardlink = iota
	typDir
	typFile
	typSymlink
	typBlock
	typChar
	typSocket
	typFifo
)

func (romfsFormat) Name() string      { return "romfs" }
func (romfsFormat) Kind() format.Kind { return format.FileSystem }

func (romfsFormat) Signatures() []format.Signature {
	return []format.Signature{{Magic: []byte(magic)}}
}

type super struct {
	size     int64
	name     string
	first    int64 // first file header
	sumOK    bool
	declared int64
}

var errDamaged = errors.New("romfs: damaged")

func readSuper(r io.ReaderAt, size int64) (*super, error) {
	var b [16]byte
	if size < 32 || format.ReadFull(r, b[:], 0) != nil || string(b[:8]) != magic {
		return nil, format.ErrNotMatch
	}
	s := &super{declared: int64(binary.BigEndian.Uint32(b[8:]))}
	if s.declared < 32 {
		return nil, fmt.Errorf("%w: romfs size %d", format.ErrNotMatch, s.declared)
	}
	s.size = min(s.declared, size)
	name, next, err := readName(r, 16, s.size)
	if err != nil {
		return nil, fmt.Errorf("%w: romfs volume name: %v", format.ErrNotMatch, err)
	}
	s.name, s.first = name, next
	sum, err := checksum(r, 0, min(512, s.size))
	s.sumOK = err == nil && sum == 0
	return s, nil
}

// readName reads a NUL-terminated name at off and returns the 16-aligned
// offset after it.
func readName(r io.ReaderAt, off, end int64) (string, int64, error) {
	var buf [16]byte
	var name []byte
	for off < end && len(name) <= maxName {
		if off+16 > end || format.ReadFull(r, buf[:], off) != nil {
			return "", 0, io.ErrUnexpectedEOF
		}
		off += 16
		for i, c := range buf {
			if c == 0 {
				return string(append(name, buf[:i]...)), off, nil
			}
		}
		name = append(name, buf[:]...)
	}
	return "", 0, fmt.Errorf("%w: unterminated name", errDamaged)
}

// checksum sums the big-endian words of [off, off+n); a sound structure
// sums to zero.
func checksum(r io.ReaderAt, off, n int64) (uint32, error) {
	b := make([]byte, n&^3)
	if err := format.ReadFull(r, b, off); err != nil {
		return 0, err
	}
	var sum uint32
	for i := 0; i+4 <= len(b); i += 4 {
		sum += binary.BigEndian.Uint32(b[i:])
	}
	return sum, nil
}

func (romfsFormat) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	s, err := readSuper(r, size)
	if err != nil {
		return format.Match{}, err
	}
	m := format.Match{Extractable: true, Description: fmt.Sprintf("romfs, volume %q, %d bytes", s.name, s.declared)}
	if s.declared <= size {
		m.Size = s.declared
	} else {
		m.Description += ", truncated"
	}
	if !s.sumOK {
		m.Description += ", bad checksum"
	}
	return m, nil
}
