package decomp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/adler32"
	"hash/crc32"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// LzopMagic starts an lzop file.
const LzopMagic = "\x89LZO\x00\r\n\x1a\n"

// lzop header flags.
const (
	lzopAdlerD   = 0x1
	lzopAdlerC   = 0x2
	lzopExtra    = 0x40
	lzopCRCD     = 0x100
	lzopCRCC     = 0x200
	lzopFilter   = 0x800
	lzopHdrCRC   = 0x1000
	lzopMaxBlock = 64 << 20
)

// LzopReader decodes an lzop stream; Name is the stored file name.
type LzopReader struct {
	Name  string
	r     io.Reader
	flags uint32
	buf   []byte // decoded block, reused
	chunks
}

// NewLzopReader reads and verifies the lzop header at the start of r.
func NewLzopReader(r io.Reader) (*LzopReader, error) {
	var magic [9]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil || string(magic[:]) != LzopMagic {
		return nil, errors.New("lzop: bad magic")
	}
	// Everything after the magic up to the header checksum is checksummed.
	var hdr []byte
	read := func(n int) ([]byte, error) {
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, io.ErrUnexpectedEOF
		}
		hdr = append(hdr, b...)
		return b, nil
	}
	b, err := read(4)
	if err != nil {
		return nil, err
	}
	version := binary.BigEndian.Uint16(b)
	if version < 0x0900 || version > 0x2000 {
		return nil, errors.New("lzop: bad version")
	}
	if version >= 0x0940 {
		if _, err := read(2); err != nil { // version needed to extract
			return nil, err
		}
	}
	if b, err = read(1); err != nil {
		return nil, err
	}
	if method := b[0]; method < 1 || method > 3 {
		return nil, format.Unsupported(fmt.Sprintf("lzop method %d", method))
	}
	if version >= 0x0940 {
		if _, err := read(1); err != nil { // level
			return nil, err
		}
	}
	if b, err = read(4); err != nil {
		return nil, err
	}
	z := &LzopReader{r: r, flags: binary.BigEndian.Uint32(b)}
	if z.flags&lzopFilter != 0 {
		return nil, format.Unsupported("lzop filter")
	}
	n := 8 // mode, mtime low
	if version >= 0x0940 {
		n += 4 // mtime high
	}
	if _, err := read(n); err != nil {
		return nil, err
	}
	if b, err = read(1); err != nil {
		return nil, err
	}
	name, err := read(int(b[0]))
	if err != nil {
		return nil, err
	}
	z.Name = string(name)
	var sum [4]byte
	if _, err := io.ReadFull(r, sum[:]); err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	want := adler32.Checksum(hdr)
	if z.flags&lzopHdrCRC != 0 {
		want = crc32.ChecksumIEEE(hdr)
	}
	if binary.BigEndian.Uint32(sum[:]) != want {
		return nil, errors.New("lzop: header checksum mismatch")
	}
	if z.flags&lzopExtra != 0 {
		var l [4]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return nil, io.ErrUnexpectedEOF
		}
		// extra field data and its checksum
		if _, err := io.CopyN(io.Discard, r, int64(binary.BigEndian.Uint32(l[:]))+4); err != nil {
			return nil, io.ErrUnexpectedEOF
		}
	}
	return z, nil
}

// blockHeader reads one block header: uncompressed and compressed sizes and
// the checksums that follow them.
func (z *LzopReader) blockHeader() (dst, src uint32, dsum, csum []uint32, err error) {
	var b [4]byte
	next := func() uint32 {
		if err != nil {
			return 0
		}
		if _, e := io.ReadFull(z.r, b[:]); e != nil {
			err = io.ErrUnexpectedEOF
		}
		return binary.BigEndian.Uint32(b[:])
	}
	if dst = next(); err != nil || dst == 0 {
		return
	}
	src = next()
	// LZO1X expands at most ~255:1, so a larger claim is corrupt (and
	// would make us allocate the claimed size).
	if dst > lzopMaxBlock || src > dst || uint64(dst) > uint64(src)*256+4096 {
		return 0, 0, nil, nil, errors.New("lzop: bad block size")
	}
	if z.flags&lzopAdlerD != 0 {
		dsum = append(dsum, next())
	}
	if z.flags&lzopCRCD != 0 {
		dsum = append(dsum, next())
	}
	if src < dst {
		if z.flags&lzopAdlerC != 0 {
			csum = append(csum, next())
		}
		if z.flags&lzopCRCC != 0 {
			csum = append(csum, next())
		}
	}
	return
}

// SkipBlock skips a block without decoding it and returns its
// uncompressed size (0 at the end marker).
func (z *LzopReader) SkipBlock() (uint32, error) {
	dst, src, _, _, err := z.blockHeader()
	if err != nil || dst == 0 {
		return 0, err
	}
	if _, err := io.CopyN(io.Discard, z.r, int64(src)); err != nil {
		return 0, io.ErrUnexpectedEOF
	}
	return dst, nil
}

func (z *LzopReader) Read(p []byte) (int, error) { return z.read(p, z.next) }

func (z *LzopReader) next() error {
	dst, src, dsum, _, err := z.blockHeader()
	if err != nil {
		return err
	}
	if dst == 0 {
		return io.EOF
	}
	data := make([]byte, src)
	if _, err := io.ReadFull(z.r, data); err != nil {
		return io.ErrUnexpectedEOF
	}
	if src < dst {
		// The output buffer is reused: a block is consumed before the next.
		if data, err = (lzoBlocks{}).DecodeBlock(z.buf[:0], data, int(dst)); err != nil {
			return fmt.Errorf("lzop block: %w", err)
		}
		z.buf = data
		if len(data) != int(dst) {
			return errors.New("lzop: block size mismatch")
		}
	}
	i := 0
	if z.flags&lzopAdlerD != 0 {
		if adler32.Checksum(data) != dsum[i] {
			return errors.New("lzop: block checksum mismatch")
		}
		i++
	}
	if z.flags&lzopCRCD != 0 && crc32.ChecksumIEEE(data) != dsum[i] {
		return errors.New("lzop: block checksum mismatch")
	}
	z.out = data
	return nil
}
