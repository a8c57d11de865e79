// Package kernel unpacks Linux kernel images: x86 bzImage (boot protocol
// 2.x) and ARM zImage (little endian, big endian and word-swapped BE32).
// The compressed payload (gzip, xz, lzma, bzip2, lz4 legacy, lzop, zstd)
// is found and yielded decompressed as "vmlinux".
package kernel

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/compress"
	"github.com/thingsec/thingsec/internal/unpack/decomp"
	"github.com/thingsec/thingsec/internal/unpack/format"
)

// maxImage bounds the bytes of a kernel image read into memory.
const maxImage = 64 << 20

var (
	hdrS     = []byte("HdrS")
	armLE    = []byte{0x18, 0x28, 0x6f, 0x01}
	armBE    = []byte{0x01, 0x6f, 0x28, 0x18}
	errNoPay = errors.New("kernel: no compressed payload found")
)

type kernel struct{}

// New returns the kernel image format.
func New() format.Format { return kernel{} }

func (kernel) Name() string      { return "kernel" }
func (kernel) Kind() format.Kind { return format.Container }
func (kernel) Signatures() []format.Signature {
	return []format.Signature{{Magic: hdrS, Offset: 0x202}, {Magic: armLE, Offset: 0x24}, {Magic: armBE, Offset: 0x24}}
}

// image is a parsed kernel image and its payload.
type image struct {
	kind    string
	size    int64  // bytes the image spans, 0 when unknown
	data    []byte // the image (word-swapped for BE32)
	payload payload
}

type payload struct {
	off    int64
	method string
}

func parse(r io.ReaderAt, size int64) (*image, error) {
	var h [0x250]byte
	n, _ := r.ReadAt(h[:], 0)
	switch {
	case n >= 0x250 && bytes.Equal(h[0x202:0x206], hdrS):
		return parseX86(r, size, h[:])
	case n >= 0x30 && (bytes.Equal(h[0x24:0x28], armLE) || bytes.Equal(h[0x24:0x28], armBE)):
		return parseARM(r, size, h[:n])
	}
	return nil, fmt.Errorf("%w: kernel magic", format.ErrNotMatch)
}

func parseX86(r io.ReaderAt, size int64, h []byte) (*image, error) {
	version := binary.LittleEndian.Uint16(h[0x206:])
	if h[0x1fe] != 0x55 || h[0x1ff] != 0xaa || version < 0x200 || version > 0x2ff {
		return nil, fmt.Errorf("%w: bzImage boot sector", format.ErrNotMatch)
	}
	setup := int64(h[0x1f1])
	if setup == 0 {
		setup = 4
	}
	base := (setup + 1) * 512
	syssize := int64(binary.LittleEndian.Uint32(h[0x1f4:])) * 16
	im := &image{kind: fmt.Sprintf("x86 bzImage, boot protocol %d.%02d", version>>8, version&0xff)}
	end := base + syssize
	if syssize == 0 || end > size {
		end = size
	} else {
		im.size = end
	}
	if base >= end || end-base > maxImage {
		return nil, fmt.Errorf("%w: bzImage sizes", format.ErrNotMatch)
	}
	data := make([]byte, end)
	if err := format.ReadFull(r, data, 0); err != nil {
		return nil, err
	}
	im.data = data
	if version >= 0x208 {
		po := int64(binary.LittleEndian.Uint32(h[0x248:]))
		pl := int64(binary.LittleEndian.Uint32(h[0x24c:]))
		if pl > 0 && base+po+pl <= end {
			if p, ok := find(data[:base+po+pl], base+po, base+po+1); ok {
				im.data = data[:base+po+pl]
				im.payload = p
				return im, nil
			}
		}
	}
	p, ok := find(data, base, int64(len(data)))
	if !ok {
		return nil, fmt.Errorf("%w: %w", format.ErrNotMatch, errNoPay)
	}
	im.payload = p
	return im, nil
}

func parseARM(r io.ReaderAt, size int64, h []byte) (*image, error) {
	be := bytes.Equal(h[0x24:0x28], armBE)
	order := binary.ByteOrder(binary.LittleEndian)
	if be {
		order = binary.BigEndian
	}
	start, end := int64(order.Uint32(h[0x28:])), int64(order.Uint32(h[0x2c:]))
	im := &image{kind: "ARM zImage"}
	n := size
	if end > start && end-start <= size {
		n = end - start
		im.size = n
	}
	if n > maxImage {
		return nil, fmt.Errorf("%w: zImage larger than %d bytes", format.ErrNotMatch, maxImage)
	}
	data, err := format.ReadGrow(r, 0, n) // grown as read: n may be the rest of a large file
	if err != nil {
		return nil, err
	}
	if p, ok := find(data, 0x30, n); ok {
		im.data, im.payload = data, p
		if be {
			im.kind += " big endian"
		}
		return im, nil
	}
	if be {
		// A BE32 image stores every 32-bit word byte-swapped.
		sw := make([]byte, n&^3)
		for i := 0; i+4 <= len(sw); i += 4 {
			binary.LittleEndian.PutUint32(sw[i:], binary.BigEndian.Uint32(data[i:]))
		}
		if p, ok := find(sw, 0x30, int64(len(sw))); ok {
			im.data, im.payload, im.kind = sw, p, im.kind+" BE32 (word-swapped)"
			return im, nil
		}
	}
	return nil, fmt.Errorf("%w: %w", format.ErrNotMatch, errNoPay)
}

// candidates are the magics of the payload compressors, with the format
// whose Identify validates a candidate and the method that decodes it.
var candidates = []struct {
	magic  []byte
	f      format.Format
	method string
}{
	{[]byte{0x1f, 0x8b, 0x08}, compress.Gzip(), "gzip"},
	{[]byte{0xfd, '7', 'z', 'X', 'Z', 0}, compress.XZ(), "xz"},
	{[]byte{0x5d, 0x00, 0x00}, compress.LZMA(), "lzma"},
	{[]byte("BZh"), compress.Bzip2(), "bzip2"},
	{[]byte{0x02, 0x21, 0x4c, 0x18}, compress.LZ4(), decomp.LZ4Legacy},
	{[]byte{0x89, 'L', 'Z', 'O', 0, '\r', '\n', 0x1a, '\n'}, compress.Lzop(), decomp.Lzop},
	{[]byte{0x28, 0xb5, 0x2f, 0xfd}, compress.Zstd(), "zstd"},
}

// find returns the first validated payload starting in data[from:to].
func find(data []byte, from, to int64) (payload, bool) {
	best := payload{off: -1}
	for _, c := range candidates {
		for off := from; off < to; {
			i := bytes.Index(data[off:], c.magic)
			if i < 0 || off+int64(i) >= to || (best.off >= 0 && off+int64(i) >= best.off) {
				break
			}
			p := off + int64(i)
			// The payload is decoded by Extract: a check of its first
			// bytes decides, its length is not measured.
			if compress.Check(c.f, bytes.NewReader(data[p:]), int64(len(data))-p) == nil {
				best = payload{off: p, method: c.method}
				break
			}
			off = p + 1
		}
	}
	return best, best.off >= 0
}

func (kernel) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	im, err := parse(r, size)
	if err != nil {
		return format.Match{}, err
	}
	return format.Match{
		Size:        im.size,
		Extractable: true,
		Description: fmt.Sprintf("Linux kernel, %s, %s payload at %#x", im.kind, im.payload.method, im.payload.off),
	}, nil
}

func (kernel) Extract(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	im, err := parse(r, size)
	if err != nil {
		return err
	}
	rd, err := decomp.NewReader(im.payload.method, bytes.NewReader(im.data[im.payload.off:]))
	if err != nil {
		sink.Problem("vmlinux", fmt.Errorf("kernel %s payload: %w", im.payload.method, err))
		return nil
	}
	return compress.AddStream(ctx, sink, "vmlinux", rd)
}
