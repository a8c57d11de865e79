package squashfs

import (
	"context"
	"fmt"
	"io"
	"runtime"
)

// fileReader streams a regular file block by block: full blocks from the
// block list, then the tail from its fragment. Blocks of one file are
// decoded ahead by a few goroutines (decoding only reads the input and
// allocates its own buffers); the caches, block list and output order stay
// on the reading goroutine.
type fileReader struct {
	ctx    context.Context
	img    *image
	n      *inode
	list   cursor
	next   uint64 // disk offset of the next block to schedule
	blocks uint64 // blocks still to schedule
	sched  uint64 // bytes of the file covered by scheduled blocks
	ahead  []chan blockResult
	buf    []byte
	cur    []byte // the block buf is part of, when it goes back to img.bufs
	left   uint64 // bytes still to yield
	zero   []byte
	tail   bool // fragment tail still to read
	err    error
}

type blockResult struct {
	data   []byte
	err    error
	pooled bool // data is a buffer of img.bufs
}

// readAhead is the number of blocks decoded in advance.
var readAhead = min(4, runtime.GOMAXPROCS(0))

func (img *image) newFileReader(ctx context.Context, n *inode) *fileReader {
	bs := uint64(img.sb.blockSize)
	f := &fileReader{ctx: ctx, img: img, n: n, list: n.blockList, next: n.blocksStart, left: n.fileSize}
	f.blocks = n.fileSize / bs
	if n.fileSize%bs != 0 {
		if n.frag == noFragment {
			f.blocks++
		} else {
			f.tail = true
		}
	}
	return f
}

func (f *fileReader) Read(p []byte) (int, error) {
	for len(f.buf) == 0 {
		if f.err != nil {
			return 0, f.err
		}
		if f.left == 0 {
			return 0, io.EOF
		}
		f.err = f.fill()
	}
	k := copy(p, f.buf)
	f.buf = f.buf[k:]
	f.left -= uint64(k)
	if len(f.buf) == 0 && f.cur != nil {
		// The block is copied out: its buffer is free.
		f.img.bufs.put(f.cur)
		f.cur = nil
	}
	return k, nil
}

// schedule starts decoding the next block; sparse blocks and list errors
// resolve at once.
func (f *fileReader) schedule() { f.scheduleOn(false) }

// scheduleAsync starts decoding the next block on another goroutine
// whatever the file's size: the file is prepared ahead of its turn.
func (f *fileReader) scheduleAsync() { f.scheduleOn(true) }

func (f *fileReader) scheduleOn(async bool) {
	bs := uint64(f.img.sb.blockSize)
	want := min(f.n.fileSize-f.sched, bs)
	f.blocks--
	f.sched += want
	ch := make(chan blockResult, 1)
	f.ahead = append(f.ahead, ch)
	size, err := f.list.u32()
	if err != nil {
		f.blocks = 0
		ch <- blockResult{err: fmt.Errorf("block list: %w", err)}
		return
	}
	if size == 0 { // sparse block
		if f.zero == nil {
			f.zero = make([]byte, bs)
		}
		ch <- blockResult{data: f.zero[:want]}
		return
	}
	off := f.next
	f.next += uint64(size &^ sizeUncompressed)
	decode := func() {
		d, err := f.img.dataBlock(off, size, int(bs), int(want))
		if err == nil && uint64(len(d)) < want {
			err = errShortData
		}
		if err != nil {
			f.img.bufs.put(d)
			ch <- blockResult{err: err}
			return
		}
		ch <- blockResult{data: d[:want], pooled: true}
	}
	if async || readAhead > 1 && f.blocks+uint64(len(f.ahead)) > 1 {
		go decode()
	} else {
		decode()
	}
}

// fill loads the next block (or the fragment tail) into buf.
func (f *fileReader) fill() error {
	if err := f.ctx.Err(); err != nil {
		return err
	}
	for f.blocks > 0 && len(f.ahead) < readAhead {
		f.schedule()
	}
	if len(f.ahead) > 0 {
		r := <-f.ahead[0]
		f.ahead = f.ahead[1:]
		f.buf = r.data
		if r.pooled {
			f.cur = r.data
		}
		return r.err
	}
	if f.tail {
		f.tail = false
		want := f.left
		d, err := f.img.fragment(f.n.frag)
		if err != nil {
			return err
		}
		if uint64(f.n.fragOff) > uint64(len(d)) || uint64(len(d))-uint64(f.n.fragOff) < want {
			return corrupt("file tail beyond its fragment")
		}
		f.buf = d[f.n.fragOff : uint64(f.n.fragOff)+want]
		return nil
	}
	return errShortData
}
