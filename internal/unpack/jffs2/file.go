package jffs2

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// fileReader streams a file page by page, applying its data nodes in
// version order so that newer data overwrites older.
func (f *fsys) fileReader(ns []*dataNode, isize uint32, p string) *fileReader {
	fr := &fileReader{f: f, pages: map[uint32][]*dataNode{}, path: p, size: int64(isize)}
	var end int64
	for _, n := range ns {
		if n.dsize == 0 {
			continue
		}
		e := int64(n.offset) + int64(n.dsize)
		end = max(end, e)
		for pg := n.offset / pageSize; int64(pg)*pageSize < e; pg++ {
			fr.pages[pg] = append(fr.pages[pg], n)
		}
	}
	if fr.size > end+maxHole {
		f.sink.Problem(p, fmt.Errorf("jffs2: size %d far beyond the data, cut", fr.size))
		fr.size = end + maxHole
	}
	return fr
}

type fileReader struct {
	f      *fsys
	pages  map[uint32][]*dataNode
	size   int64
	path   string
	last   *dataNode // cache of the last decompressed node
	lastD  []byte
	failed map[*dataNode]bool
}

// reader streams the file's pages.
func (fr *fileReader) reader(ctx context.Context) io.Reader {
	return format.NewPagedReader(ctx, fr.size, pageSize, func(i int64, b []byte) error {
		copy(b, fr.page(uint32(i)))
		return nil
	})
}

// page builds one page from the newest node down, skipping nodes whose
// bytes are all overwritten by newer ones (so a pile of stale versions
// costs no decompression).
func (fr *fileReader) page(pg uint32) []byte {
	out := make([]byte, pageSize)
	var done bitmap
	start := int64(pg) * pageSize
	ns := fr.pages[pg]
	for i := len(ns) - 1; i >= 0 && !done.all(); i-- {
		n := ns[i]
		from := max(start, int64(n.offset)) - start
		to := min(start+pageSize, int64(n.offset)+int64(n.dsize)) - start
		if from >= to || done.full(int(from), int(to)) {
			continue
		}
		d, ok := fr.nodeData(n)
		if !ok {
			continue
		}
		base := int64(n.offset) - start // d[k] lands at out[base+k]
		for k := from; k < to; k++ {
			if !done.has(int(k)) {
				out[k] = d[k-base]
			}
		}
		done.set(int(from), int(to))
	}
	return out
}

// bitmap marks the bytes of a page already written by a newer node.
type bitmap [pageSize / 64]uint64

func (b *bitmap) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }

// span calls f for each word touched by [from, to) with the mask of it.
func span(from, to int, f func(w int, mask uint64) bool) bool {
	for i := from; i < to; {
		bit := i % 64
		n := min(64-bit, to-i)
		mask := ^uint64(0)
		if n < 64 {
			mask = (1<<n - 1) << bit
		}
		if !f(i/64, mask) {
			return false
		}
		i += n
	}
	return true
}

func (b *bitmap) full(from, to int) bool {
	return span(from, to, func(w int, m uint64) bool { return b[w]&m == m })
}

func (b *bitmap) set(from, to int) {
	span(from, to, func(w int, m uint64) bool { b[w] |= m; return true })
}

func (b *bitmap) all() bool { return b.full(0, pageSize) }

func (fr *fileReader) nodeData(n *dataNode) ([]byte, bool) {
	if n == fr.last {
		return fr.lastD, true
	}
	if fr.failed[n] {
		return nil, false
	}
	d, err := fr.f.data(n)
	if err != nil {
		if fr.failed == nil {
			fr.failed = map[*dataNode]bool{}
		}
		fr.failed[n] = true
		var u *format.UnsupportedError
		if errors.As(err, &u) {
			if !fr.f.unsup[n.compr] {
				fr.f.unsup[n.compr] = true
				fr.f.sink.Problem(fr.path, err)
			}
		} else {
			fr.f.sink.Problem(fr.path, fmt.Errorf("jffs2: data at offset %d: %w", n.offset, err))
		}
		return nil, false
	}
	fr.last, fr.lastD = n, d
	return d, true
}
