package hugeheap

import (
	"syscall"
	"unsafe"
)

const (
	hugePage     = 2 << 20
	madvHugepage = 14 // MADV_HUGEPAGE
)

// advise advises the whole huge pages inside b to be huge pages. It
// returns the advised part (nil if b holds no whole huge page).
func advise(b []byte) []byte {
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	beg := (p + hugePage - 1) &^ (hugePage - 1)
	end := (p + uintptr(len(b))) &^ (hugePage - 1)
	if beg >= end {
		return nil
	}
	part := b[beg-p : end-p]
	if syscall.Madvise(part, madvHugepage) != nil {
		return nil
	}
	return part
}
