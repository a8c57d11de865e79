package engine

import "syscall"

// madvHugepage is MADV_HUGEPAGE: back the range with transparent huge
// pages where the system allows it ("madvise" mode, the usual default).
const madvHugepage = 14

// allocReadBuf maps size bytes of its own, advised to use huge pages; a
// failed mapping falls back to the Go heap.
func allocReadBuf(size int) []byte {
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return make([]byte, size)
	}
	_ = syscall.Madvise(b, madvHugepage) // without huge pages: as the heap
	return b
}
