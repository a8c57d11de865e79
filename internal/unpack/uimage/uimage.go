// Package uimage unpacks U-Boot legacy images (uImage): single images,
// decompressed when compressed with gzip, bzip2, lzma, lzo (lzop), lz4 or
// zstd, and multi-file images (one file per image).
package uimage

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"

	"github.com/thingsec/thingsec/internal/unpack/compress"
	"github.com/thingsec/thingsec/internal/unpack/decomp"
	"github.com/thingsec/thingsec/internal/unpack/format"
)

const hdrSize = 64

var magic = []byte{0x27, 0x05, 0x19, 0x56}

// Image types and compressions used here (U-Boot's image.h numbering).
const (
	typeKernel       = 2
	typeRAMDisk      = 3
	typeMulti        = 4
	typeKernelNoLoad = 14
)

var compressions = []string{"none", "gzip", "bzip2", "lzma", "lzo", "lz4", "zstd"}

// methods maps a compression to a decomp.NewReader method.
var methods = map[string]string{"gzip": "gzip", "bzip2": "bzip2", "lzma": "lzma", "lzo": decomp.Lzop, "lz4": "lz4", "zstd": "zstd"}

var archs = map[byte]string{2: "ARM", 3: "x86", 5: "MIPS", 6: "MIPS64", 7: "PowerPC", 22: "AArch64"}

var types = map[byte]string{1: "standalone", 2: "kernel", 3: "ramdisk", 4: "multi", 5: "firmware", 6: "script", 7: "filesystem", 8: "flat_dt", 14: "kernel_noload"}

type uimage struct{}

// New returns the uImage format.
func New() format.Format { return uimage{} }

func (uimage) Name() string                   { return "uimage" }
func (uimage) Kind() format.Kind              { return format.Container }
func (uimage) Signatures() []format.Signature { return []format.Signature{{Magic: magic}} }

type header struct {
	size              uint32
	dcrc              uint32
	os, arch, typ, cp byte
	name              string
}

func parse(r io.ReaderAt, size int64) (header, error) {
	var b [hdrSize]byte
	if size < hdrSize || format.ReadFull(r, b[:], 0) != nil || !bytes.Equal(b[:4], magic) {
		return header{}, fmt.Errorf("%w: uImage magic", format.ErrNotMatch)
	}
	want := binary.BigEndian.Uint32(b[4:])
	binary.BigEndian.PutUint32(b[4:], 0)
	if crc32.ChecksumIEEE(b[:]) != want {
		return header{}, fmt.Errorf("%w: uImage header CRC", format.ErrNotMatch)
	}
	name := b[32:64]
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	return header{
		size: binary.BigEndian.Uint32(b[12:]), dcrc: binary.BigEndian.Uint32(b[24:]),
		os: b[28], arch: b[29], typ: b[30], cp: b[31], name: string(name),
	}, nil
}

func (h header) compression() string {
	if int(h.cp) < len(compressions) {
		return compressions[h.cp]
	}
	return fmt.Sprintf("compression %d", h.cp)
}

func (uimage) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	h, err := parse(r, size)
	if err != nil {
		return format.Match{}, err
	}
	arch := archs[h.arch]
	if arch == "" {
		arch = fmt.Sprintf("arch %d", h.arch)
	}
	typ := types[h.typ]
	if typ == "" {
		typ = fmt.Sprintf("type %d", h.typ)
	}
	m := format.Match{Extractable: true, Description: fmt.Sprintf("uImage %q, %s %s, %s, %d bytes", h.name, arch, typ, h.compression(), h.size)}
	if end := hdrSize + int64(h.size); end <= size {
		m.Size = end
	} else {
		m.Description += ", truncated"
	}
	return m, nil
}

// fileName names the payload: kernel and ramdisk by their role, anything
// else after the image name.
func (h header) fileName() string {
	switch h.typ {
	case typeKernel, typeKernelNoLoad:
		return "kernel"
	case typeRAMDisk:
		return "ramdisk"
	}
	n := strings.Map(func(r rune) rune {
		if r < 0x20 || r >= 0x7f || r == '/' || r == '\\' {
			return '_'
		}
		return r
	}, strings.TrimSpace(h.name))
	if n == "" || n == "." || n == ".." {
		return "data"
	}
	return n
}

func (uimage) Extract(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	h, err := parse(r, size)
	if err != nil {
		return err
	}
	n := int64(h.size)
	if hdrSize+n > size {
		sink.Problem("", fmt.Errorf("uImage: data size %d beyond the %d bytes available", n, size-hdrSize))
		n = size - hdrSize
	} else if c, err := crc(io.NewSectionReader(r, hdrSize, n)); err != nil {
		return err
	} else if c != h.dcrc {
		sink.Problem("", fmt.Errorf("uImage: data CRC mismatch: header %#08x, computed %#08x", h.dcrc, c))
	}
	data := io.NewSectionReader(r, hdrSize, n)
	if h.typ == typeMulti {
		return multi(ctx, data, n, sink)
	}
	name := h.fileName()
	if h.cp == 0 {
		return sink.Add(format.Entry{Path: name, Mode: 0o644, Size: n}, data)
	}
	method, ok := methods[h.compression()]
	if !ok {
		sink.Problem(name, format.Unsupported("uImage "+h.compression()))
		return sink.Add(format.Entry{Path: name, Mode: 0o644, Size: n}, data)
	}
	// A payload that does not decode is kept raw rather than as a broken
	// prefix; it is decoded once.
	return compress.AddChecked(ctx, sink, name, method, data, n, func(err error) error {
		return fmt.Errorf("uImage %s payload does not decode, kept raw: %w", h.compression(), err)
	})
}

func crc(r io.Reader) (uint32, error) {
	h := crc32.NewIEEE()
	if _, err := io.Copy(h, r); err != nil {
		return 0, err
	}
	return h.Sum32(), nil
}

// multi splits a multi-file image: a zero-terminated table of big-endian
// sizes, then the images, each padded to 4 bytes.
func multi(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	var sizes []int64
	off := int64(0)
	for {
		var b [4]byte
		if format.ReadFull(r, b[:], off) != nil {
			sink.Problem("", errors.New("uImage multi: size table runs past the data"))
			return nil
		}
		off += 4
		s := binary.BigEndian.Uint32(b[:])
		if s == 0 {
			break
		}
		sizes = append(sizes, int64(s))
		if off > size || len(sizes) > 1024 {
			sink.Problem("", errors.New("uImage multi: size table too long"))
			return nil
		}
	}
	for i, s := range sizes {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := fmt.Sprintf("image%d", i)
		if off+s > size {
			sink.Problem(name, fmt.Errorf("uImage multi: image of %d bytes runs past the data", s))
			s = size - off
			if s <= 0 {
				return nil
			}
		}
		if err := sink.Add(format.Entry{Path: name, Mode: 0o644, Size: s}, io.NewSectionReader(r, off, s)); err != nil {
			return err
		}
		off += (s + 3) &^ 3
	}
	return nil
}
