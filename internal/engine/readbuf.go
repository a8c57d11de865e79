package engine

import "sync"

// readBufs are the workers' read buffers, kept for the life of the
// process and handed from scan to scan: a buffer is never unmapped or
// collected, so a program that runs many scans holds at most as many as
// it ever ran workers at once. On Linux each is a mapping of its own
// that the kernel backs with huge pages (allocReadBuf): the kernel maps
// a 2 MiB page on first touch where it would take 512 page faults, each
// of which costs far more than the bytes it maps on a virtual machine.
var readBufs bufPool

func getReadBuf(size int) []byte { return readBufs.get(size) }
func putReadBuf(b []byte)        { readBufs.put(b) }

// bufPool is a free list of read buffers.
type bufPool struct {
	mu   sync.Mutex
	free [][]byte
}

// get returns an empty buffer of capacity size or more.
func (p *bufPool) get(size int) []byte {
	p.mu.Lock()
	for i, b := range p.free {
		if cap(b) >= size {
			last := len(p.free) - 1
			p.free[i] = p.free[last]
			p.free = p.free[:last]
			p.mu.Unlock()
			return b[:0]
		}
	}
	p.mu.Unlock()
	return allocReadBuf(size)[:0]
}

// put gives b back for the next worker.
func (p *bufPool) put(b []byte) {
	p.mu.Lock()
	p.free = append(p.free, b[:0])
	p.mu.Unlock()
}
