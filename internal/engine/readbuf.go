package engine

import "sync"

// readBufs are the workers' read buffers, kept for the life of the
// process and handed from scan to scan: a buffer is never unmapped or
// collected, so a program that runs many scans holds at most as many as
// it ever ran workers at once. On Linux each is a mapping of its own
// that the kernel backs with huge pages (allocReadBuf): the kernel maps
// a 2 MiB page on first touch where it would take 512 page faults, each
// of which costs far more than the bytes it maps on a virtual machine.
var readBufs struct {
	sync.Mutex
	free [][]byte
}

// getReadBuf returns an empty buffer of capacity size or more.
func getReadBuf(size int) []byte {
	readBufs.Lock()
	for i, b := range readBufs.free {
		if cap(b) >= size {
			last := len(readBufs.free) - 1
			readBufs.free[i] = readBufs.free[last]
			readBufs.free = readBufs.free[:last]
			readBufs.Unlock()
			return b[:0]
		}
	}
	readBufs.Unlock()
	return allocReadBuf(size)[:0]
}

// putReadBuf gives b back for the next worker.
func putReadBuf(b []byte) {
	readBufs.Lock()
	readBufs.free = append(readBufs.free, b[:0])
	readBufs.Unlock()
}
