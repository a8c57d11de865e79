package jffs2

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/thingsec/thingsec/internal/unpack/decomp"
	"github.com/thingsec/thingsec/internal/unpack/format"
)

// Compression types of the jffs2_raw_inode compr field.
const (
	comprNone      = 0x00
	comprZero      = 0x01
	comprRtime     = 0x02
	comprRubinMIPS = 0x03
	comprCopy      = 0x04
	comprDynRubin  = 0x05
	comprZlib      = 0x06
	comprLZO       = 0x07
	comprLZMA      = 0x08

	// The lzma compressor of OpenWrt's JFFS2 writes a raw stream with
	// lc=0, lp=0, pb=0 and an 8 KiB dictionary.
	lzmaProps = 0
	lzmaDict  = 0x2000
)

var errShort = errors.New("compressed data ends early")

func comprName(c uint8) string {
	switch c {
	case comprRubinMIPS:
		return "rubinmips"
	case comprDynRubin:
		return "dynrubin"
	}
	return fmt.Sprintf("compressor 0x%02x", c)
}

// decompress expands the data of one inode node to exactly dsize bytes.
func decompress(c uint8, src []byte, dsize int) ([]byte, error) {
	var out []byte
	var err error
	switch c {
	case comprNone, comprCopy:
		out = src
	case comprZero:
		return make([]byte, dsize), nil
	case comprRtime:
		out, err = rtime(src, dsize)
	case comprZlib:
		out, err = decomp.Block(decomp.Zlib, src, dsize)
	case comprLZO:
		out, err = decomp.Block(decomp.LZO, src, dsize)
	case comprLZMA:
		rd, e := decomp.NewRawLZMA(bytes.NewReader(src), lzmaProps, lzmaDict, int64(dsize))
		if e != nil {
			return nil, e
		}
		out, err = decomp.ReadAtMost(rd, dsize)
	default:
		return nil, format.Unsupported("jffs2 " + comprName(c))
	}
	if err != nil {
		return nil, err
	}
	if len(out) < dsize {
		return nil, fmt.Errorf("%w: %d of %d bytes", errShort, len(out), dsize)
	}
	return out[:dsize], nil
}

// rtime decodes JFFS2's "rtime" run-length scheme: pairs of a literal byte
// and a repeat count that copies from just after the previous occurrence of
// that byte.
func rtime(src []byte, dsize int) ([]byte, error) {
	out := make([]byte, 0, dsize)
	var last [256]int
	for i := 0; len(out) < dsize; i += 2 {
		if i+1 >= len(src) {
			return nil, errShort
		}
		v, rep := src[i], int(src[i+1])
		out = append(out, v)
		back := last[v]
		last[v] = len(out)
		for ; rep > 0 && len(out) < dsize; rep-- {
			out = append(out, out[back])
			back++
		}
	}
	return out, nil
}
