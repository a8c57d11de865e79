package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"

	"github.com/thingsec/thingsec/internal/unpack/compress"
	"github.com/thingsec/thingsec/internal/unpack/format"
)

type tarFormat struct{}

// Tar is a POSIX ustar, GNU or pax tar archive.
func Tar() format.Format { return tarFormat{} }

func (tarFormat) Name() string      { return "tar" }
func (tarFormat) Kind() format.Kind { return format.Archive }
func (tarFormat) Signatures() []format.Signature {
	return []format.Signature{{Magic: []byte("ustar"), Offset: 257}}
}

// tarHeaderOK checks the magic and the header checksum of one block.
func tarHeaderOK(b []byte) bool {
	if len(b) < 512 || string(b[257:262]) != "ustar" {
		return false
	}
	want, ok := octal(b[148:156])
	if !ok {
		return false
	}
	var u, s int64
	for i, c := range b[:512] {
		if i >= 148 && i < 156 {
			c = ' '
		}
		u += int64(c)
		s += int64(int8(c))
	}
	return want == u || want == s
}

// octal parses a NUL/space padded octal field.
func octal(b []byte) (int64, bool) {
	b = bytes.Trim(b, " \x00")
	if len(b) == 0 {
		return 0, false
	}
	v, err := strconv.ParseInt(string(b), 8, 64)
	return v, err == nil && v >= 0
}

// tarSize parses a size field: octal or GNU base-256.
func tarSize(b []byte) (int64, bool) {
	if b[0]&0x80 != 0 {
		var v int64
		for i, c := range b {
			if i == 0 {
				c &= 0x7f
			}
			if v > 1<<55 {
				return 0, false
			}
			v = v<<8 | int64(c)
		}
		return v, true
	}
	if len(bytes.Trim(b, " \x00")) == 0 {
		return 0, true
	}
	return octal(b)
}

var errNotTar = notMatch("tar header")

func (tarFormat) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	// The checksum field first: a candidate in a flood of magics is
	// rejected from 8 bytes, not a 512-byte header.
	var ck [8]byte
	if size < 512 || format.ReadFull(r, ck[:], 148) != nil {
		return format.Match{}, errNotTar
	}
	if _, ok := octal(ck[:]); !ok {
		return format.Match{}, errNotTar
	}
	b := make([]byte, 512)
	if format.ReadFull(r, b, 0) != nil || !tarHeaderOK(b) {
		return format.Match{}, errNotTar
	}
	m := format.Match{Extractable: true, Description: "tar archive"}
	// Walk the headers to find the end-of-archive marker.
	n := 0
	for off := int64(0); off+512 <= size; {
		if format.ReadFull(r, b, off) != nil {
			break
		}
		if isZero(b) {
			m.Size = min(off+1024, size)
			break
		}
		if !tarHeaderOK(b) {
			break
		}
		n++
		sz, ok := tarSize(b[124:136])
		if !ok {
			break
		}
		switch b[156] {
		case tar.TypeLink, tar.TypeSymlink, tar.TypeChar, tar.TypeBlock, tar.TypeDir, tar.TypeFifo:
			sz = 0
		}
		off += 512 + (sz+511)/512*512
	}
	m.Description = fmt.Sprintf("tar archive, %d headers", n)
	return m, nil
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// Extract reads the archive with archive/tar while walking the same
// headers itself (walkEntry): when one entry's headers are bad (a NUL in
// a PAX path, an over-long name, a bad checksum) archive/tar stops for
// good, so that entry is reported by name and skipped, and reading starts
// again at the next entry. GNU tar and cpio do the same.
func (tarFormat) Extract(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	off := int64(0)
	for off+512 <= size {
		next, err := extractFrom(ctx, r, off, size, sink)
		if err != nil || next <= off {
			return err
		}
		off = next
	}
	return nil
}

// extractFrom extracts the entries from off on. It returns where to go on
// after a bad entry (0 when done) or the sink's error.
func extractFrom(ctx context.Context, r io.ReaderAt, off, size int64, sink format.Sink) (int64, error) {
	tr := tar.NewReader(io.NewSectionReader(r, off, size-off))
	tracking := true
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		var ent tarEntry
		if tracking {
			ent, tracking = walkEntry(r, off, size)
		}
		h, err := tr.Next()
		if err == io.EOF {
			return 0, nil
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				sink.Problem(ent.name, fmt.Errorf("tar: truncated archive: %w", err))
				return 0, nil
			}
			if tracking {
				sink.Problem(ent.name, fmt.Errorf("tar: entry at byte %#x skipped: %w", off, err))
				return ent.next, nil
			}
			// The headers cannot be walked: skip to the next block that
			// is a valid header.
			q := resync(r, off+512, size)
			if q < 0 {
				sink.Problem(fmt.Sprintf("@%#x", off), fmt.Errorf("tar: bad header: %w; no valid header follows", err))
				return 0, nil
			}
			sink.Problem(fmt.Sprintf("@%#x", off), fmt.Errorf("tar: bad header: %w; %d bytes skipped to the next header", err, q-off))
			return q, nil
		}
		if tracking {
			off = ent.next
			if ent.nul {
				sink.Problem(cName(h.Name), errors.New("tar: the stored name holds a NUL byte: cut there, as GNU tar does"))
			}
		}
		e := format.Entry{
			Path:    cName(h.Name),
			Mode:    format.UnixMode(uint32(h.Mode) & 0o7777), // the type comes from Typeflag
			UID:     h.Uid,
			GID:     h.Gid,
			ModTime: h.ModTime,
		}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA, tar.TypeCont, tar.TypeGNUSparse:
			e.Size = h.Size
			if err := compress.AddFile(ctx, sink, e, tr); err != nil {
				return 0, err
			}
			continue
		case tar.TypeDir:
			e.Mode |= fs.ModeDir
		case tar.TypeSymlink:
			e.Mode |= fs.ModeSymlink
			e.Linkname = cName(h.Linkname)
		case tar.TypeLink:
			e.Hardlink = true
			e.Linkname = cName(h.Linkname)
		case tar.TypeChar:
			e.Mode |= fs.ModeDevice | fs.ModeCharDevice
			e.DevMajor, e.DevMinor = uint32(h.Devmajor), uint32(h.Devminor)
		case tar.TypeBlock:
			e.Mode |= fs.ModeDevice
			e.DevMajor, e.DevMinor = uint32(h.Devmajor), uint32(h.Devminor)
		case tar.TypeFifo:
			e.Mode |= fs.ModeNamedPipe
		case tar.TypeXGlobalHeader:
			continue
		default:
			sink.Problem(h.Name, format.Unsupported(fmt.Sprintf("tar entry type %q", h.Typeflag)))
			continue
		}
		if err := sink.Add(e, nil); err != nil {
			return 0, err
		}
	}
}

// tarEntry is where one entry's header blocks lie.
type tarEntry struct {
	name string // the entry's name as far as it can be told, for problems
	next int64  // where the next entry starts
	nul  bool   // a long name holds a NUL byte before its end
}

// maxExtended bounds a PAX or GNU long-name header's data that is read to
// name an entry (archive/tar refuses more than 1 MiB).
const maxExtended = 1 << 20

// walkEntry follows the header blocks of the entry at off (PAX and GNU
// long-name headers, then the main header and, for old GNU sparse files,
// its extension blocks) without archive/tar, to find where the next entry
// starts. It reports false when the blocks are not tar headers.
func walkEntry(r io.ReaderAt, off, size int64) (tarEntry, bool) {
	var e tarEntry
	b := make([]byte, 512)
	paxSize := int64(-1)
	for hops := 0; hops < 64; hops++ {
		if off+512 > size || format.ReadFull(r, b, off) != nil || !tarHeaderOK(b) {
			return e, false
		}
		sz, ok := tarSize(b[124:136])
		if !ok || sz > size {
			return e, false
		}
		typ := b[156]
		data := off + 512
		next := data + (sz+511)/512*512
		switch typ {
		case tar.TypeXHeader, tar.TypeGNULongName:
			if sz <= maxExtended {
				if ext, err := format.Bytes(r, data, sz, maxExtended); err == nil {
					if typ == tar.TypeGNULongName {
						e.name = cName(string(ext))
						e.nul = len(bytes.TrimRight(ext, "\x00")) > len(e.name)
					} else {
						if p, ok := paxRecord(ext, "path"); ok {
							e.name = cName(p)
						}
						if v, ok := paxRecord(ext, "size"); ok {
							if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
								paxSize = n
							}
						}
					}
				}
			} else if e.name == "" {
				e.name = fmt.Sprintf("@%#x (a %d-byte extended header)", off, sz)
			}
			off = next
			continue
		case tar.TypeGNULongLink, 'V', 'M', 'N':
			off = next
			continue
		}
		if e.name == "" {
			e.name = ustarName(b)
		}
		if paxSize >= 0 {
			sz = paxSize
		}
		switch typ {
		case tar.TypeLink, tar.TypeSymlink, tar.TypeChar, tar.TypeBlock, tar.TypeDir, tar.TypeFifo:
			sz = 0
		case tar.TypeGNUSparse:
			// Old GNU sparse: extension blocks follow while "isextended".
			for ext := b[482]; ext != 0; {
				if format.ReadFull(r, b, data) != nil {
					return e, false
				}
				ext = b[504]
				data += 512
			}
		}
		e.next = data + (sz+511)/512*512
		return e, true
	}
	return e, false
}

// paxRecord returns the value of key in PAX extended header data
// ("<len> <key>=<value>\n" records), cut at a NUL for display.
func paxRecord(b []byte, key string) (string, bool) {
	for len(b) > 0 {
		sp := bytes.IndexByte(b, ' ')
		if sp <= 0 {
			return "", false
		}
		n, err := strconv.Atoi(string(b[:sp]))
		if err != nil || n <= sp || n > len(b) {
			return "", false
		}
		rec := b[sp+1 : n]
		b = b[n:]
		k, v, ok := bytes.Cut(bytes.TrimSuffix(rec, []byte("\n")), []byte("="))
		if ok && string(k) == key {
			return string(v), true
		}
	}
	return "", false
}

// ustarName is the name of a ustar header: prefix/name.
func ustarName(b []byte) string {
	name := cName(string(b[:100]))
	if string(b[257:263]) == "ustar\x00" {
		if p := cName(string(b[345:500])); p != "" {
			name = p + "/" + name
		}
	}
	return name
}

// resync returns the offset of the first block at or after off (on the
// 512-byte grid) that is a valid header, or -1.
func resync(r io.ReaderAt, off, size int64) int64 {
	off = (off + 511) / 512 * 512
	b := make([]byte, 512)
	for ; off+512 <= size; off += 512 {
		if format.ReadFull(r, b, off) != nil {
			return -1
		}
		if tarHeaderOK(b) {
			return off
		}
	}
	return -1
}
