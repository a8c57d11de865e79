// Package jffs2 unpacks JFFS2 images of either byte order, with none, zero,
// rtime, zlib, lzo and (OpenWrt) lzma compressed nodes; rubin compressors
// are reported as unsupported.
package jffs2

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

type jffs2Format struct{}

// New returns the JFFS2 unpacker.
func New() format.Format { return jffs2Format{} }

func (jffs2Format) Name() string      { return "jffs2" }
func (jffs2Format) Kind() format.Kind { return format.FileSystem }

func (jffs2Format) Signatures() []format.Signature {
	var sigs []format.Signature
	// Images start with a clean marker, a directory entry or an inode.
	for _, t := range []uint16{0x2003, typeDirent, typeInode} {
		le := []byte{0x85, 0x19, byte(t), byte(t >> 8)}
		be := []byte{0x19, 0x85, byte(t >> 8), byte(t)}
		sigs = append(sigs, format.Signature{Magic: le}, format.Signature{Magic: be})
	}
	return sigs
}

// byteOrder tells the byte order from the first node header, which must
// be valid.
func byteOrder(r io.ReaderAt) (binary.ByteOrder, error) {
	var h [hdrSize]byte
	if err := format.ReadFull(r, h[:], 0); err != nil {
		return nil, format.ErrNotMatch
	}
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		if hd, ok := parseHeader(h[:], bo); ok && hd.totlen >= hdrSize && hd.totlen <= maxNode {
			return bo, nil
		}
	}
	return nil, fmt.Errorf("%w: no valid JFFS2 node header", format.ErrNotMatch)
}

func orderName(bo binary.ByteOrder) string {
	if bo == binary.BigEndian {
		return "big endian"
	}
	return "little endian"
}

func (jffs2Format) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	bo, err := byteOrder(r)
	if err != nil {
		return format.Match{}, err
	}
	st, err := scan(context.Background(), r, size, bo, nil)
	if err != nil || st.nodes == 0 {
		return format.Match{}, fmt.Errorf("%w: no complete node", format.ErrNotMatch)
	}
	return format.Match{Size: st.end, Extractable: true,
		Description: fmt.Sprintf("JFFS2 %s, %d nodes", orderName(bo), st.nodes)}, nil
}

func (jffs2Format) Extract(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	bo, err := byteOrder(r)
	if err != nil {
		return err
	}
	fs := newFsys(r, bo, sink)
	st, err := scan(ctx, r, size, bo, fs.visit)
	if err != nil {
		return err
	}
	st.badNode, st.badData = fs.badNode, fs.badData
	for _, c := range []struct {
		n    int
		what string
	}{{st.badHeader, "node headers"}, {st.badNode, "nodes"}, {st.badData, "data areas"}} {
		if c.n > 0 {
			sink.Problem("", fmt.Errorf("jffs2: %d %s with bad CRC skipped", c.n, c.what))
		}
	}
	if len(fs.dents) == 0 {
		return errors.New("jffs2: no directory entries")
	}
	return fs.tree(ctx)
}
