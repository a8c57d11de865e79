package archive

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"

	"github.com/thingsec/thingsec/internal/unpack/compress"
	"github.com/thingsec/thingsec/internal/unpack/format"
)

var (
	zipLocal    = []byte("PK\x03\x04")
	zipEOCD     = []byte("PK\x05\x06")
	zip64EOCD   = []byte("PK\x06\x06")
	zip64Locate = []byte("PK\x06\x07")
)

type zipFormat struct{}

// Zip is a zip archive read through its central directory.
func Zip() format.Format { return zipFormat{} }

func (zipFormat) Name() string                   { return "zip" }
func (zipFormat) Kind() format.Kind              { return format.Archive }
func (zipFormat) Signatures() []format.Signature { return []format.Signature{{Magic: zipLocal}} }

func (zipFormat) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	var h [30]byte
	if size < 30 || format.ReadFull(r, h[:], 0) != nil || string(h[:4]) != string(zipLocal) {
		return format.Match{}, notMatch("zip local header")
	}
	version := binary.LittleEndian.Uint16(h[4:])
	method := binary.LittleEndian.Uint16(h[8:])
	nameLen := binary.LittleEndian.Uint16(h[26:])
	if version&0xff > 63 || nameLen == 0 || int64(30+nameLen) > size || (method > 20 && method != 93 && method != 95 && method != 96 && method != 97 && method != 98 && method != 99) {
		return format.Match{}, notMatch("zip local header fields")
	}
	end, entries := zipEnd(r, size)
	if end == 0 {
		return identifyLocal(r, size)
	}
	return format.Match{Size: end, Extractable: true, Description: fmt.Sprintf("zip archive, %d entries", entries)}, nil
}

// zipEnd finds the first end-of-central-directory record whose central
// directory ends right before it (offsets relative to the candidate
// start), and returns the end of the archive and the entry count.
func zipEnd(r io.ReaderAt, size int64) (int64, uint64) {
	const chunk = 64 << 10
	buf := make([]byte, chunk+22)
	for base := int64(0); base < size; base += chunk {
		n, _ := r.ReadAt(buf[:min(int64(len(buf)), size-base)], base)
		b := buf[:n]
		for i := 0; ; {
			j := bytes.Index(b[i:], zipEOCD)
			if j < 0 || i+j >= chunk {
				break
			}
			pos := base + int64(i+j)
			if end, entries := zipCheckEOCD(r, size, pos); end > 0 {
				return end, entries
			}
			i += j + 1
		}
	}
	return 0, 0
}

func zipCheckEOCD(r io.ReaderAt, size, pos int64) (int64, uint64) {
	var e [22]byte
	if format.ReadFull(r, e[:], pos) != nil {
		return 0, 0
	}
	entries := uint64(binary.LittleEndian.Uint16(e[10:]))
	cdSize := uint64(binary.LittleEndian.Uint32(e[12:]))
	cdOff := uint64(binary.LittleEndian.Uint32(e[16:]))
	end := pos + 22 + int64(binary.LittleEndian.Uint16(e[20:]))
	if end > size {
		return 0, 0
	}
	dirEnd := uint64(pos)
	if cdOff == 0xffffffff || cdSize == 0xffffffff || entries == 0xffff {
		// zip64: the locator sits right before the record.
		var l [20]byte
		if pos < 20 || format.ReadFull(r, l[:], pos-20) != nil || string(l[:4]) != string(zip64Locate) {
			return 0, 0
		}
		z64 := binary.LittleEndian.Uint64(l[8:])
		var z [56]byte
		if z64 >= uint64(pos) || format.ReadFull(r, z[:], int64(z64)) != nil || string(z[:4]) != string(zip64EOCD) {
			return 0, 0
		}
		entries = binary.LittleEndian.Uint64(z[32:])
		cdSize = binary.LittleEndian.Uint64(z[40:])
		cdOff = binary.LittleEndian.Uint64(z[48:])
		dirEnd = z64
	}
	if cdOff > dirEnd || cdSize != dirEnd-cdOff {
		return 0, 0
	}
	var c [4]byte
	if entries > 0 && (format.ReadFull(r, c[:], int64(cdOff)) != nil || string(c[:]) != "PK\x01\x02") {
		return 0, 0
	}
	return end, entries
}

func (zipFormat) Extract(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	end, _ := zipEnd(r, size)
	if end == 0 {
		return extractLocal(ctx, r, size, sink)
	}
	size = end
	zr, err := zip.NewReader(io.NewSectionReader(r, 0, size), size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return fmt.Errorf("zip: %w", err)
	}
	over := overlapping(zr.File)
	for i, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return err
		}
		if o, ok := over[i]; ok {
			sink.Problem(cName(f.Name), fmt.Errorf("zip: entry skipped: its data overlaps that of %q (overlapping entries are how non-recursive zip bombs are built)", cName(zr.File[o].Name)))
			continue
		}
		if err := zipEntry(ctx, f, sink); err != nil {
			return err
		}
	}
	return nil
}

// overlapping maps the index of every entry whose local header and data
// overlap those of an entry stored before it to that entry. Real archives
// never share bytes between entries.
func overlapping(files []*zip.File) map[int]int {
	type span struct {
		i          int
		start, end int64
	}
	spans := make([]span, 0, len(files))
	for i, f := range files {
		d, err := f.DataOffset()
		if err != nil {
			continue // reported when the entry is opened
		}
		start := d - 30 - int64(len(f.Name)) // the local header, without its extra field
		spans = append(spans, span{i, min(start, d), d + int64(f.CompressedSize64)})
	}
	sort.SliceStable(spans, func(a, b int) bool { return spans[a].start < spans[b].start })
	out := map[int]int{}
	far := -1 // the span reaching furthest so far
	for k, sp := range spans {
		if far >= 0 && sp.start < spans[far].end {
			out[sp.i] = spans[far].i
			continue
		}
		if far < 0 || sp.end > spans[far].end {
			far = k
		}
	}
	return out
}

func zipEntry(ctx context.Context, f *zip.File, sink format.Sink) error {
	mode := f.Mode()
	e := format.Entry{Path: cName(f.Name), Mode: mode, ModTime: f.Modified, Size: int64(f.UncompressedSize64)}
	if mode.IsDir() {
		return sink.Add(e, nil)
	}
	if f.Flags&1 != 0 {
		return addLocked(sink, e, "encrypted zip entry")
	}
	rc, err := f.Open()
	if err != nil {
		sink.Problem(e.Path, fmt.Errorf("zip: %w", err))
		return nil
	}
	defer rc.Close()
	if mode&fs.ModeSymlink != 0 {
		// A symlink's content is its target.
		target, err := io.ReadAll(io.LimitReader(rc, 4096))
		if err != nil {
			sink.Problem(e.Path, fmt.Errorf("zip: %w", err))
			return nil
		}
		e.Linkname = cName(string(target))
		e.Size = 0
		return sink.Add(e, nil)
	}
	if !mode.IsRegular() {
		// Devices and the like have no meaning in zip; keep the bytes.
		e.Mode = mode.Perm()
	}
	return compress.AddFile(ctx, sink, e, rc)
}

// addLocked lists an entry whose content cannot be read (it needs a
// password): empty, marked incomplete, and reported.
func addLocked(sink format.Sink, e format.Entry, why string) error {
	e.Incomplete = "unsupported: " + why
	if err := sink.Add(e, strings.NewReader("")); err != nil {
		return err
	}
	sink.Problem(e.Path, format.Unsupported(why))
	return nil
}
