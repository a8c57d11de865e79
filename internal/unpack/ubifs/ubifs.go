// Package ubifs unpacks UBIFS volume images (as made by mkfs.ubifs or read
// from a UBI volume): the committed index plus the replayed journal, with
// lzo, zlib (raw deflate) and zstd compressed data.
package ubifs

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

type ubifsFormat struct{}

// New returns the UBIFS unpacker.
func New() format.Format { return ubifsFormat{} }

func (ubifsFormat) Name() string      { return "ubifs" }
func (ubifsFormat) Kind() format.Kind { return format.FileSystem }

func (ubifsFormat) Signatures() []format.Signature {
	// The superblock node: magic then, at offset 20, the node type.
	return []format.Signature{{Magic: magicBytes, Offset: 0}}
}

var errNotSuper = format.NotMatch("no UBIFS superblock node")

func readSuperblock(r io.ReaderAt, size int64) (superblock, error) {
	// The common header first: a candidate that is not a superblock node
	// is rejected from 24 bytes, not the 4 KiB its CRC covers.
	var ch [chSize]byte
	if format.ReadFull(r, ch[:], 0) != nil || binary.LittleEndian.Uint32(ch[:]) != nodeMagic || ch[20] != sbNode {
		return superblock{}, errNotSuper
	}
	if l := binary.LittleEndian.Uint32(ch[16:]); l < 128 || l > sbSize {
		return superblock{}, errNotSuper
	}
	p := make([]byte, sbSize)
	n, _ := r.ReadAt(p, 0)
	sb, err := parseSuperblock(p[:n])
	if err != nil {
		return sb, fmt.Errorf("%w: %v", format.ErrNotMatch, err)
	}
	if size < 3*int64(sb.lebSize) {
		return sb, fmt.Errorf("%w: image smaller than 3 LEBs", format.ErrNotMatch)
	}
	return sb, nil
}

func (ubifsFormat) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	sb, err := readSuperblock(r, size)
	if err != nil {
		return format.Match{}, err
	}
	m := format.Match{Extractable: true,
		Description: fmt.Sprintf("UBIFS v%d, LEB %d bytes, %d LEBs, %s", sb.fmtVersion, sb.lebSize, sb.lebCnt, compName(sb.defComp))}
	if total := int64(sb.lebCnt) * int64(sb.lebSize); total > 0 && total <= size {
		m.Size = total
	}
	return m, nil
}

func (ubifsFormat) Extract(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	sb, err := readSuperblock(r, size)
	if err != nil {
		return err
	}
	f := &fsys{r: r, size: size, sb: sb, sink: sink,
		inodes: map[uint32]*inode{}, dents: map[uint32]map[string]*dent{},
		data: map[uint32]map[uint32]dataRef{}, visited: map[int64]bool{}}
	m, err := f.findMaster()
	if err != nil {
		return err
	}
	if err := f.walkIndex(ctx, m.rootLnum, m.rootOffs, m.rootLen, 0); err != nil {
		return err
	}
	f.replayJournal(ctx, m)
	if err := ctx.Err(); err != nil {
		return err
	}
	return f.tree(ctx)
}
