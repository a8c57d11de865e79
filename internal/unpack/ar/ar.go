// Package ar unpacks Unix ar archives: common/GNU ("//" long name table,
// "/" terminated names) and BSD ("#1/len" names) variants. Debian packages
// (.deb) are ar archives; their members (debian-binary, control.tar.*,
// data.tar.*) are yielded as files for the engine to recurse into.
package ar

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// New returns the ar unpacker.
func New() format.Format { return arFormat{} }

type arFormat struct{}

const magic = "!<arch>\n"

func (arFormat) Name() string      { return "ar" }
func (arFormat) Kind() format.Kind { return format.Archive }

func (arFormat) Signatures() []format.Signature {
	return []format.Signature{{Magic: []byte(magic)}}
}

// member is one decoded header.
type member struct {
	name     string // raw name field, trimmed of spaces
	mtime    int64
	uid, gid int
	mode     uint32
	dataOff  int64
	size     int64
	next     int64
}

const (
	hdrLen     = 60
	maxMembers = 1 << 20
	maxLongTab = 16 << 20 // GNU long name table
	maxName    = 4096
)

var errHeader = errors.New("ar: bad member header")

func readMember(r io.ReaderAt, off, size int64) (*member, error) {
	if off+hdrLen > size {
		return nil, io.ErrUnexpectedEOF
	}
	var h [hdrLen]byte
	if err := format.ReadFull(r, h[:], off); err != nil {
		return nil, err
	}
	if h[58] != '`' || h[59] != '\n' {
		return nil, errHeader
	}
	num := func(b []byte, base int) (int64, error) {
		s := strings.TrimRight(string(b), " ")
		if s == "" {
			return 0, nil
		}
		return strconv.ParseInt(s, base, 64)
	}
	m := &member{name: strings.TrimRight(string(h[:16]), " ")}
	var err error
	var v int64
	if m.mtime, err = num(h[16:28], 10); err != nil {
		return nil, errHeader
	}
	if v, err = num(h[28:34], 10); err != nil {
		return nil, errHeader
	}
	m.uid = int(v)
	if v, err = num(h[34:40], 10); err != nil {
		return nil, errHeader
	}
	m.gid = int(v)
	if v, err = num(h[40:48], 8); err != nil || v < 0 {
		return nil, errHeader
	}
	m.mode = uint32(v)
	if m.size, err = num(h[48:58], 10); err != nil || m.size < 0 {
		return nil, errHeader
	}
	m.dataOff = off + hdrLen
	if m.size > size-m.dataOff {
		return nil, io.ErrUnexpectedEOF
	}
	m.next = m.dataOff + m.size + m.size&1
	return m, nil
}

func (arFormat) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	var b [8]byte
	if size < int64(len(b)) || format.ReadFull(r, b[:], 0) != nil || string(b[:]) != magic {
		return format.Match{}, format.ErrNotMatch
	}
	off := int64(len(magic))
	m, err := readMember(r, off, size)
	if err != nil {
		if off == size {
			return format.Match{Size: off, Description: "empty ar archive", Extractable: true}, nil
		}
		return format.Match{}, fmt.Errorf("%w: %v", format.ErrNotMatch, err)
	}
	desc := "ar archive"
	if m.name == "debian-binary" || m.name == "debian-binary/" {
		desc = "Debian package (ar archive)"
	}
	end := off
	n := 0
	for ; n < maxMembers; n++ {
		mm, err := readMember(r, off, size)
		if errors.Is(err, errHeader) {
			// Extract skips a damaged member: so does the size.
			if next := resync(r, off+2, size, off+maxResync); next > 0 {
				off = next
				continue
			}
		}
		if err != nil {
			break
		}
		end = mm.dataOff + mm.size
		if mm.next <= size {
			end = mm.next
		}
		off = mm.next
	}
	return format.Match{Size: end, Description: fmt.Sprintf("%s, %d members", desc, n), Extractable: true}, nil
}

func (arFormat) Extract(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	var b [8]byte
	if size < int64(len(b)) || format.ReadFull(r, b[:], 0) != nil || string(b[:]) != magic {
		return format.ErrNotMatch
	}
	var longNames []byte
	off := int64(len(magic))
	for n := 0; off < size; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if n >= maxMembers {
			return format.Unsupported("more than 1M ar members")
		}
		m, err := readMember(r, off, size)
		if errors.Is(err, errHeader) {
			// A damaged header spoils its member only: go on at the next
			// header that parses (members start at even offsets).
			next := resync(r, off+2, size, size)
			if next < 0 {
				sink.Problem(fmt.Sprintf("@%#x", off), fmt.Errorf("%w; no valid member header follows", err))
				return nil
			}
			sink.Problem(fmt.Sprintf("@%#x", off), fmt.Errorf("%w; %d bytes skipped to the next member", err, next-off))
			off = next
			continue
		}
		if err != nil {
			sink.Problem(fmt.Sprintf("@%#x", off), err)
			return nil
		}
		off = m.next
		dataOff, dataLen := m.dataOff, m.size
		name := m.name
		switch {
		case name == "/" || name == "/SYM64/":
			continue // GNU symbol index
		case name == "//":
			if longNames, err = format.Bytes(r, dataOff, dataLen, maxLongTab); err != nil {
				sink.Problem("//", fmt.Errorf("ar: long name table: %w", err))
			}
			continue
		case strings.HasPrefix(name, "#1/"):
			// BSD: the name is the first len bytes of the data.
			l, err := strconv.ParseInt(name[3:], 10, 64)
			if err != nil || l < 0 || l > dataLen || l > maxName {
				sink.Problem(name, errHeader)
				continue
			}
			nb := make([]byte, l)
			if err := format.ReadFull(r, nb, dataOff); err != nil {
				sink.Problem(name, err)
				continue
			}
			if i := bytes.IndexByte(nb, 0); i >= 0 {
				nb = nb[:i]
			}
			name = string(nb)
			dataOff += l
			dataLen -= l
		case len(name) > 1 && name[0] == '/' && name[1] >= '0' && name[1] <= '9':
			i, err := strconv.Atoi(name[1:])
			if err != nil || i < 0 || i >= len(longNames) {
				sink.Problem(name, errors.New("ar: long name reference out of the table"))
				continue
			}
			s := longNames[i:]
			if j := bytes.IndexByte(s, '\n'); j >= 0 {
				s = s[:j]
			}
			name = strings.TrimSuffix(string(s), "/")
		default:
			name = strings.TrimSuffix(name, "/")
		}
		if i := strings.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		if strings.HasPrefix(name, "__.SYMDEF") {
			continue // BSD symbol index
		}
		if name == "" {
			name = fmt.Sprintf("member%d", n)
		}
		e := format.Entry{
			Path:    name,
			Mode:    fs.FileMode(m.mode & 0o777),
			UID:     m.uid,
			GID:     m.gid,
			ModTime: time.Unix(m.mtime, 0).UTC(),
			Size:    dataLen,
		}
		if err := sink.Add(e, io.NewSectionReader(r, dataOff, dataLen)); err != nil {
			return err
		}
	}
	return nil
}

// maxResync bounds how far Identify looks past a damaged member header for
// the next one (Extract looks to the end).
const maxResync = 1 << 20

// resync returns the first even offset in [off, limit) where a member
// header parses, or -1.
func resync(r io.ReaderAt, off, size, limit int64) int64 {
	const chunk = 64 << 10
	buf := make([]byte, chunk+hdrLen)
	off += off & 1
	for base := off; base+hdrLen <= size && base < limit; base += chunk {
		n, _ := r.ReadAt(buf[:min(int64(len(buf)), size-base)], base)
		for i := 0; i+hdrLen <= n && i < chunk; i += 2 {
			if buf[i+58] == '`' && buf[i+59] == '\n' {
				if _, err := readMember(r, base+int64(i), size); err == nil {
					return base + int64(i)
				}
			}
		}
	}
	return -1
}
