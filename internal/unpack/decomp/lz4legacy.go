package decomp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/pierrec/lz4/v4"
)

// LZ4LegacyMagic starts the legacy lz4 format (lz4 -l, Linux kernels).
const LZ4LegacyMagic = "\x02\x21\x4c\x18"

const (
	lz4LegacyBlock = 8 << 20 // uncompressed size of a legacy block
	// LZ4LegacyMaxBlock is the largest compressed legacy block.
	LZ4LegacyMaxBlock = lz4LegacyBlock + lz4LegacyBlock/255 + 16
)

// LZ4BlockBound bounds the output of an lz4 block of n bytes (lz4 expands at
// most ~255:1), so a small block does not cost an 8 MiB buffer.
func LZ4BlockBound(n int64) int {
	return int(min(lz4LegacyBlock, n*256+64))
}

// NewLZ4LegacyReader decodes the legacy lz4 format (magic 0x184C2102 then
// blocks of a 4-byte little-endian compressed size and an lz4 block of up
// to 8 MiB). r must start at the magic.
func NewLZ4LegacyReader(r io.Reader) io.Reader {
	return &lz4Legacy{r: r}
}

type lz4Legacy struct {
	r        io.Reader
	started  bool
	src, dst []byte
	chunks
}

var errLZ4Legacy = errors.New("lz4 legacy: bad magic")

func (l *lz4Legacy) Read(p []byte) (int, error) { return l.read(p, l.next) }

func (l *lz4Legacy) next() error {
	var b [4]byte
	if !l.started {
		if _, err := io.ReadFull(l.r, b[:]); err != nil || string(b[:]) != LZ4LegacyMagic {
			return errLZ4Legacy
		}
		l.started = true
	}
	for {
		if _, err := io.ReadFull(l.r, b[:]); err != nil {
			if err == io.ErrUnexpectedEOF {
				return io.EOF // a short trailer is not a block
			}
			return err
		}
		if string(b[:]) != LZ4LegacyMagic {
			break
		}
	}
	n := binary.LittleEndian.Uint32(b[:])
	if n == 0 || n > LZ4LegacyMaxBlock {
		return io.EOF
	}
	if len(l.dst) < LZ4BlockBound(int64(n)) {
		l.dst = make([]byte, LZ4BlockBound(int64(n)))
	}
	if cap(l.src) < int(n) {
		l.src = make([]byte, n)
	}
	l.src = l.src[:n]
	if _, err := io.ReadFull(l.r, l.src); err != nil {
		if err == io.EOF {
			return io.EOF // a trailing size field, as the kernel appends
		}
		return io.ErrUnexpectedEOF
	}
	k, err := lz4.UncompressBlock(l.src, l.dst)
	if err != nil {
		return fmt.Errorf("lz4 legacy block: %w", err)
	}
	l.out = l.dst[:k]
	if k == 0 {
		return io.EOF
	}
	return nil
}
