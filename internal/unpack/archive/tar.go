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

func (tarFormat) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	b := make([]byte, 512)
	if size < 512 || format.ReadFull(r, b, 0) != nil || !tarHeaderOK(b) {
		return format.Match{}, notMatch("tar header")
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

func (tarFormat) Extract(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	tr := tar.NewReader(io.NewSectionReader(r, 0, size))
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				err = fmt.Errorf("truncated archive: %w", err)
			}
			sink.Problem("", fmt.Errorf("tar: %w", err))
			return nil
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
				return err
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
			return err
		}
	}
}
