// Package yaffs2 unpacks YAFFS2 NAND images (page data followed by spare
// bytes holding packed tags), in either byte order. The page/spare
// geometry and tag position are detected from the first chunks; yaffs2 has
// no magic, so Identify demands a run of consistent chunks.
package yaffs2

import (
	"context"
	"fmt"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// New returns the yaffs2 unpacker.
func New() format.Format { return yaffsFormat{} }

type yaffsFormat struct{}

func (yaffsFormat) Name() string      { return "yaffs2" }
func (yaffsFormat) Kind() format.Kind { return format.FileSystem }

// Signatures: a root-level file or directory header starts with its type and
// parent id 1 (the root), in either byte order. The engine may also offer
// whole files to Identify; these only make carving candidates.
func (yaffsFormat) Signatures() []format.Signature {
	var s []format.Signature
	for _, typ := range []byte{typFile, typDir, typSymlink} {
		s = append(s,
			format.Signature{Magic: []byte{typ, 0, 0, 0, rootID, 0, 0, 0}},
			format.Signature{Magic: []byte{0, 0, 0, typ, 0, 0, 0, rootID}})
	}
	return s
}

func (yaffsFormat) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	l, ok := detect(r, size)
	if !ok {
		return format.Match{}, format.ErrNotMatch
	}
	n, headers := l.extent(r, size)
	order := "little"
	if l.bo.Uint32([]byte{1, 0, 0, 0}) != 1 {
		order = "big"
	}
	return format.Match{
		Size:        n * l.stride(),
		Extractable: true,
		Description: fmt.Sprintf("yaffs2, %s endian, page %d + spare %d, %d chunks, %d object headers", order, l.page, l.spare, n, headers),
	}, nil
}

// maxBadRun is how many consecutive chunks with insane tags end the image
// (an isolated damaged chunk does not).
const maxBadRun = 4

// extent counts the chunks up to the last sane one before a run of bad ones.
func (l layout) extent(r io.ReaderAt, size int64) (n, headers int64) {
	total := size / l.stride()
	bad := 0
	for i := int64(0); i < total && bad < maxBadRun; i++ {
		_, k := l.readTags(r, i)
		if k == kindBad {
			bad++
			continue
		}
		bad = 0
		n = i + 1
		if k == kindHeader {
			headers++
		}
	}
	return n, headers
}

func (yaffsFormat) Extract(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	l, ok := detect(r, size)
	if !ok {
		return format.ErrNotMatch
	}
	img, err := scan(ctx, r, size, l, sink)
	if err != nil {
		return err
	}
	return img.emit(ctx, sink)
}
