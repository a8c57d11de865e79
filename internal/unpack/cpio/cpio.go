// Package cpio unpacks cpio archives: newc (070701), crc (070702, checksum
// verified), portable ASCII odc (070707) and old binary (0x71c7, either byte
// order).
package cpio

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// New returns the cpio unpacker.
func New() format.Format { return cpioFormat{} }

type cpioFormat struct{}

func (cpioFormat) Name() string      { return "cpio" }
func (cpioFormat) Kind() format.Kind { return format.Archive }

func (cpioFormat) Signatures() []format.Signature {
	return []format.Signature{
		{Magic: []byte("070701")},
		{Magic: []byte("070702")},
		{Magic: []byte("070707")},
		{Magic: []byte{0xc7, 0x71}},
		{Magic: []byte{0x71, 0xc7}},
	}
}

// maxMembers bounds the header walk of Identify.
const maxMembers = 1 << 20

var errNotCpio = format.NotMatch("no cpio header")

// plausibleBinary rejects, from its 26 bytes, a binary header (whose
// two-byte magic is weak: any bytes after it parse) with a file type
// that does not exist or a name longer than a path, before its name is
// read. Other headers pass.
func plausibleBinary(r io.ReaderAt, size int64) bool {
	var b [26]byte
	if size < int64(len(b)) || format.ReadFull(r, b[:], 0) != nil {
		return true // readHeader decides
	}
	v, ok := sniff(b[:])
	if !ok || (v != binLE && v != binBE) {
		return true
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if v == binBE {
		bo = binary.BigEndian
	}
	switch bo.Uint16(b[6:]) & 0o170000 {
	case 0o010000, 0o020000, 0o040000, 0o060000, 0o100000, 0o120000, 0o140000:
	default:
		return false
	}
	n := bo.Uint16(b[20:])
	return n >= 1 && n <= maxName
}

func (cpioFormat) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	if !plausibleBinary(r, size) {
		return format.Match{}, errNotCpio
	}
	h, err := readHeader(r, 0, size)
	if err != nil {
		return format.Match{}, errNotCpio
	}
	// The two-byte binary magic is weak: demand a plausible first member
	// followed by a second one (or the end marker).
	if h.v == binLE || h.v == binBE {
		if h.mode&0o170000 == 0 || h.name == "" || h.bad != "" || !printable(h.name) {
			return format.Match{}, format.ErrNotMatch
		}
		if !h.isTrailer() {
			if _, err := readHeader(r, h.next, size); err != nil {
				return format.Match{}, errNotCpio
			}
		}
	}
	m := format.Match{Extractable: true}
	n := 0
	for off := int64(0); n < maxMembers; n++ {
		if h.isTrailer() {
			m.Size = h.end()
			break
		}
		off = h.next
		if h, err = readHeader(r, off, size); err != nil {
			break // truncated or damaged: size unknown
		}
	}
	m.Description = fmt.Sprintf("cpio archive, %s, %d members", h0variant(r, size), n)
	return m, nil
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return false
		}
	}
	return true
}

func h0variant(r io.ReaderAt, size int64) variant {
	var b [6]byte
	k := int64(len(b))
	if size < k {
		k = size
	}
	_ = format.ReadFull(r, b[:k], 0)
	v, _ := sniff(b[:k])
	return v
}

// maxLink bounds a symlink target stored as member data.
const maxLink = 4096

type linkKey struct{ dev, ino uint64 }

func (cpioFormat) Extract(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	// Hard links: newc stores the data on the last link, older formats on
	// the first. Size-0 links wait until the member with the data is seen.
	seen := map[linkKey]string{}
	pending := map[linkKey][]*header{}
	var order []linkKey
	var off int64
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := readHeader(r, off, size)
		if err != nil {
			if n == 0 {
				return err
			}
			sink.Problem(fmt.Sprintf("@%#x", off), fmt.Errorf("cpio: no trailer: %w", err))
			break
		}
		if h.bad != "" {
			sink.Problem(h.name, fmt.Errorf("cpio: member at byte %#x skipped: its name %s", off, h.bad))
			off = h.next
			continue
		}
		if h.isTrailer() {
			break
		}
		off = h.next
		if h.mode&0o170000 == 0o100000 && h.nlink > 1 {
			k := linkKey{h.dev, h.ino}
			if h.size == 0 {
				if target, ok := seen[k]; ok {
					if err := sink.Add(entry(h, target, true), nil); err != nil {
						return err
					}
				} else {
					if _, ok := pending[k]; !ok {
						order = append(order, k)
					}
					pending[k] = append(pending[k], h)
				}
				continue
			}
			if err := emit(r, h, sink); err != nil {
				return err
			}
			if _, ok := seen[k]; !ok {
				seen[k] = h.name
			}
			for _, p := range pending[k] {
				if err := sink.Add(entry(p, h.name, true), nil); err != nil {
					return err
				}
			}
			delete(pending, k)
			continue
		}
		if err := emit(r, h, sink); err != nil {
			return err
		}
	}
	// Links whose data never came are empty files.
	for _, k := range order {
		for _, p := range pending[k] {
			if err := emit(r, p, sink); err != nil {
				return err
			}
		}
	}
	return nil
}

func entry(h *header, link string, hard bool) format.Entry {
	e := format.Entry{
		Path:     h.name,
		Mode:     format.UnixMode(h.mode),
		UID:      int(h.uid),
		GID:      int(h.gid),
		ModTime:  time.Unix(h.mtime, 0).UTC(),
		Linkname: link,
		Hardlink: hard,
		Size:     h.size,
	}
	if e.Mode&fs.ModeDevice != 0 {
		e.DevMajor, e.DevMinor = h.rdevMaj, h.rdevMin
	}
	return e
}

// emit passes one member to the sink.
func emit(r io.ReaderAt, h *header, sink format.Sink) error {
	e := entry(h, "", false)
	data := io.NewSectionReader(r, h.dataOff, h.size)
	switch e.Mode.Type() {
	case 0:
		if h.v != crc {
			return sink.Add(e, data)
		}
		c := &sumReader{r: data}
		if err := sink.Add(e, c); err != nil {
			return err
		}
		if c.n == h.size && c.sum != h.check {
			sink.Problem(h.name, fmt.Errorf("cpio: checksum %#x, header says %#x", c.sum, h.check))
		}
		return nil
	case fs.ModeSymlink:
		if h.size > maxLink {
			sink.Problem(h.name, errors.New("cpio: symlink target too long"))
			return nil
		}
		b := make([]byte, h.size)
		if err := format.ReadFull(r, b, h.dataOff); err != nil {
			sink.Problem(h.name, err)
			return nil
		}
		e.Linkname = string(b)
		e.Size = 0
	}
	return sink.Add(e, nil)
}

// sumReader computes the crc format's "checksum": the 32-bit sum of all
// data bytes.
type sumReader struct {
	r   io.Reader
	sum uint32
	n   int64
}

func (s *sumReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	for _, c := range p[:n] {
		s.sum += uint32(c)
	}
	s.n += int64(n)
	return n, err
}
