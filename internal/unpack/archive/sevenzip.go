package archive

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"strings"

	"github.com/bodgit/sevenzip"

	"github.com/thingsec/thingsec/internal/unpack/compress"
	"github.com/thingsec/thingsec/internal/unpack/format"
)

var sevenZipMagic = []byte{'7', 'z', 0xbc, 0xaf, 0x27, 0x1c}

type sevenZip struct{}

// SevenZip unpacks 7-Zip archives (LZMA, LZMA2, PPMd, Deflate, BZip2 and
// the other coders of github.com/bodgit/sevenzip, with the BCJ/BCJ2 and
// other branch filters). Encrypted entries are listed, not decrypted.
func SevenZip() format.Format { return sevenZip{} }

func (sevenZip) Name() string                   { return "7z" }
func (sevenZip) Kind() format.Kind              { return format.Archive }
func (sevenZip) Signatures() []format.Signature { return []format.Signature{{Magic: sevenZipMagic}} }

func (sevenZip) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	var h [32]byte
	if size < 32 || format.ReadFull(r, h[:], 0) != nil || string(h[:6]) != string(sevenZipMagic) || h[6] != 0 {
		return format.Match{}, notMatch("7z signature header")
	}
	if crc32.ChecksumIEEE(h[12:32]) != binary.LittleEndian.Uint32(h[8:12]) {
		return format.Match{}, notMatch("7z start header CRC")
	}
	// The header database sits at the end: an archive cut before it is
	// not worth a layer.
	off, n := binary.LittleEndian.Uint64(h[12:20]), binary.LittleEndian.Uint64(h[20:28])
	if off >= uint64(size) || n >= uint64(size) || 32+off+n > uint64(size) {
		return format.Match{}, notMatch("7z header beyond the end of the data")
	}
	return format.Match{Size: int64(32 + off + n), Extractable: true, Description: fmt.Sprintf("7-Zip archive, version 0.%d", h[7])}, nil
}

// ErrEncrypted marks 7-Zip content (or a whole header) that needs a
// password.
var ErrEncrypted = errors.New("encrypted")

func (sevenZip) Extract(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) (err error) {
	// The decoders are a third party's: a panic on hostile bytes becomes
	// an error of this layer instead of ending the scan.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("7z: decoder failure: %v", p)
		}
	}()
	zr, err := sevenzip.NewReader(io.NewSectionReader(r, 0, size), size)
	if err != nil {
		var re *sevenzip.ReadError
		if errors.As(err, &re) && re.Encrypted {
			// The names themselves are encrypted (7z a -mhe=on).
			sink.Problem("", fmt.Errorf("7z: %w: the archive header is encrypted, entry names and contents cannot be read without the password", ErrEncrypted))
			return nil
		}
		return fmt.Errorf("7z: %w", err)
	}
	x := &sevenZipExtractor{sink: sink, lockedStream: map[int]bool{}}
	for _, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := x.entry(ctx, f); err != nil {
			return err
		}
	}
	if len(x.encrypted) > 0 {
		sink.Problem("", fmt.Errorf("7z: %w: %d entries need a password: %s", ErrEncrypted, len(x.encrypted), strings.Join(x.encrypted, ", ")))
	}
	return nil
}

type sevenZipExtractor struct {
	sink format.Sink
	// lockedStream remembers the solid blocks found encrypted.
	lockedStream map[int]bool
	encrypted    []string
}

func (x *sevenZipExtractor) entry(ctx context.Context, f *sevenzip.File) error {
	mode := f.Mode()
	e := format.Entry{Path: strings.TrimSuffix(cName(f.Name), "/"), Mode: mode, ModTime: f.Modified, Size: int64(f.UncompressedSize)}
	if mode.IsDir() {
		return x.sink.Add(e, nil)
	}
	// Each try of an encrypted block pays the key derivation (up to 2^24
	// SHA-256 rounds): once one block is locked, so are the others.
	if f.UncompressedSize > 0 && len(x.lockedStream) > 0 {
		return x.locked(e)
	}
	rc, err := f.Open()
	if err != nil {
		var re *sevenzip.ReadError
		if errors.As(err, &re) && re.Encrypted {
			x.lockedStream[f.Stream] = true
			return x.locked(e)
		}
		e.Incomplete = "7z: " + err.Error()
		return x.sink.Add(e, nil)
	}
	defer rc.Close()
	if mode&fs.ModeSymlink != 0 {
		target, err := io.ReadAll(io.LimitReader(rc, 4096))
		if err != nil {
			if isEncrypted(err) {
				x.lockedStream[f.Stream] = true
				return x.locked(e)
			}
			x.sink.Problem(e.Path, fmt.Errorf("7z: %w", err))
			return nil
		}
		e.Linkname, e.Size = cName(string(target)), 0
		return x.sink.Add(e, nil)
	}
	if !mode.IsRegular() {
		// Devices and the like have no meaning in 7z; keep the bytes.
		e.Mode = mode.Perm()
	}
	cr := &szCRCReader{r: rc, h: crc32.NewIEEE(), want: f.CRC32, check: f.CRC32 != 0}
	// Decrypting with no password yields bytes the decoder rejects at
	// once: read ahead so that such a file is listed as locked rather
	// than written as garbage.
	head := make([]byte, min(f.UncompressedSize, 64<<10))
	n, err := io.ReadFull(cr, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		if cr.encrypted {
			x.lockedStream[f.Stream] = true
			return x.locked(e)
		}
	}
	body := io.MultiReader(bytes.NewReader(head[:n]), errReader{err})
	if err == nil {
		body = io.MultiReader(bytes.NewReader(head), cr)
	}
	err = compress.AddFile(ctx, x.sink, e, body)
	if cr.encrypted {
		x.lockedStream[f.Stream] = true
		x.encrypted = append(x.encrypted, e.Path)
	}
	return err
}

// errReader ends a MultiReader with err (io.EOF when err is nil or a
// short read at the end of the file).
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) {
	if r.err == nil || r.err == io.ErrUnexpectedEOF {
		return 0, io.EOF
	}
	return 0, r.err
}

// locked records an entry whose content needs the password: it is listed,
// empty and marked incomplete.
func (x *sevenZipExtractor) locked(e format.Entry) error {
	x.encrypted = append(x.encrypted, e.Path)
	e.Incomplete = "encrypted: content needs the archive password"
	return x.sink.Add(e, strings.NewReader(""))
}

func isEncrypted(err error) bool {
	var re *sevenzip.ReadError
	return errors.As(err, &re) && re.Encrypted
}

// szCRCReader checks a file's CRC-32 at its end: the library checks the
// headers' CRCs but not the files'.
type szCRCReader struct {
	r         io.Reader
	h         hash.Hash32
	want      uint32
	check     bool
	encrypted bool
}

func (c *szCRCReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	if err == io.EOF && c.check && c.h.Sum32() != c.want {
		return n, fmt.Errorf("7z: CRC mismatch (stored %08x, content %08x)", c.want, c.h.Sum32())
	}
	if err != nil && err != io.EOF && isEncrypted(err) {
		c.encrypted = true
		return n, fmt.Errorf("7z: %w: content needs the archive password", ErrEncrypted)
	}
	return n, err
}
