package yaffs2

import (
	"context"
	"fmt"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// located is the newest copy of a chunk: yaffs2 is log structured, so a
// later sequence number (or, within one block, a later chunk) wins.
type located struct {
	seq    uint32
	index  int64 // chunk index in the image
	nbytes uint32
}

func (a located) newer(b located) bool {
	return a.seq > b.seq || a.seq == b.seq && a.index > b.index
}

type object struct {
	id  uint32
	at  located
	hdr *objHeader
}

type dataKey struct{ obj, chunk uint32 }

// image is the result of scanning every chunk's tags.
type image struct {
	r       io.ReaderAt
	l       layout
	objects map[uint32]*object
	data    map[dataKey]located
	maxData map[uint32]uint32 // highest data chunk id per object
}

func scan(ctx context.Context, r io.ReaderAt, size int64, l layout, sink format.Sink) (*image, error) {
	img := &image{r: r, l: l, objects: map[uint32]*object{}, data: map[dataKey]located{}, maxData: map[uint32]uint32{}}
	total := size / l.stride()
	if rest := size % l.stride(); rest != 0 {
		sink.Problem("", fmt.Errorf("yaffs2: %d trailing bytes after the last whole chunk", rest))
	}
	hb := make([]byte, hdrLen)
	bad := 0
	for i := int64(0); i < total; i++ {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		t, k := l.readTags(r, i)
		at := located{seq: t.seq, index: i, nbytes: t.nbytes}
		switch k {
		case kindBad:
			bad++
		case kindHeader:
			if err := format.ReadFull(r, hb, i*l.stride()); err != nil {
				bad++
				continue
			}
			h, err := parseHeader(hb, l.bo)
			if err != nil {
				bad++
				continue
			}
			if o := img.objects[t.obj]; o == nil || at.newer(o.at) {
				img.objects[t.obj] = &object{id: t.obj, at: at, hdr: h}
			}
		case kindData:
			key := dataKey{t.obj, t.chunk}
			if old, ok := img.data[key]; !ok || at.newer(old) {
				img.data[key] = at
			}
			img.maxData[t.obj] = max(img.maxData[t.obj], t.chunk)
		}
	}
	if bad > 0 {
		sink.Problem("", fmt.Errorf("yaffs2: %d chunks with bad tags or headers skipped", bad))
	}
	return img, nil
}
