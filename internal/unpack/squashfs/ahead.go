package squashfs

import "context"

// ahead overlaps files: while one file is written, the first blocks and
// the fragment tails of the files that follow it in its directory are
// decoded by other goroutines. Blocks of one file are decoded ahead
// already (fileReader); this matters for trees of many files of a block or
// less, which are most of a root file system. Everything but the decoding
// stays on the walking goroutine: inodes, block lists and the caches.
type ahead struct {
	img     *image
	ctx     context.Context
	inodes  map[uint64]*inode
	readers map[uint64]*fileReader
	// frags are the fragment blocks being decoded, by disk offset.
	frags map[int64]chan blockResult
}

// lookAhead is how many directory entries past the current one are
// prepared.
const lookAhead = 8

func newAhead(ctx context.Context, img *image) *ahead {
	return &ahead{img: img, ctx: ctx, inodes: map[uint64]*inode{}, readers: map[uint64]*fileReader{}, frags: map[int64]chan blockResult{}}
}

// inflight counts the blocks decoded ahead and not yet taken: they are
// bounded like one file's read-ahead, so memory stays a few blocks.
func (a *ahead) inflight() int {
	n := len(a.frags)
	for _, r := range a.readers {
		n += len(r.ahead)
	}
	return n
}

// prepare starts decoding for the entries that follow (refs, in order);
// seen says which references were emitted already (hard links).
func (a *ahead) prepare(refs []uint64, seen func(uint64) bool) {
	if readAhead < 2 {
		return
	}
	for i, ref := range refs {
		if i >= lookAhead || a.inflight() >= readAhead || a.ctx.Err() != nil {
			return
		}
		if seen(ref) || a.inodes[ref] != nil {
			continue
		}
		n, err := a.img.readInode(ref)
		if err != nil {
			return // read again, and reported, in order
		}
		a.inodes[ref] = n
		if n.kind != typeFile {
			continue
		}
		f := a.img.newFileReader(a.ctx, n)
		a.readers[ref] = f
		if f.blocks > 0 {
			f.scheduleAsync()
		} else if f.tail {
			a.fragment(n.frag)
		}
	}
}

// reset drops what was prepared for a directory and not taken (entries
// skipped for a bad name): their decoding finishes unread.
func (a *ahead) reset() {
	clear(a.inodes)
	clear(a.readers)
}

// inode returns the inode of ref, read ahead or now.
func (a *ahead) inode(ref uint64) (*inode, error) {
	if n := a.inodes[ref]; n != nil {
		delete(a.inodes, ref)
		return n, nil
	}
	return a.img.readInode(ref)
}

// reader returns the content reader of file n at ref, started ahead or
// new.
func (a *ahead) reader(ref uint64, n *inode) *fileReader {
	if f := a.readers[ref]; f != nil && f.n == n {
		delete(a.readers, ref)
		return f
	}
	return a.img.newFileReader(a.ctx, n)
}

// fragment starts decoding fragment block i unless it is cached, being
// decoded or unreadable; loadFragment takes the result.
func (a *ahead) fragment(i uint32) {
	if _, bad := a.img.badFrag[i]; bad {
		return
	}
	start, size, err := a.img.fragmentEntry(i)
	if err != nil || a.img.frags.get(int64(start)) != nil || a.frags[int64(start)] != nil {
		return
	}
	ch := make(chan blockResult, 1)
	a.frags[int64(start)] = ch
	bs := int(a.img.sb.blockSize)
	go func() {
		d, err := a.img.dataBlock(start, size, bs, -1)
		ch <- blockResult{data: d, err: err}
	}()
}

// takeFragment returns the fragment at start when it was decoded ahead.
func (a *ahead) takeFragment(start int64) (blockResult, bool) {
	if a == nil {
		return blockResult{}, false
	}
	ch := a.frags[start]
	if ch == nil {
		return blockResult{}, false
	}
	delete(a.frags, start)
	return <-ch, true
}
