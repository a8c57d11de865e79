// Package hugeheap backs the Go heap's next tens of MiB with transparent
// huge pages. A page fault costs several microseconds on a virtual
// machine, and a short run that grows its heap to a few tens of MiB takes
// thousands of them, one per 4 KiB page: a tenth of the CPU of a `secrets`
// run of a router's root filesystem. Linux gives huge pages only to
// mappings advised to use them (its usual "madvise" mode), and the Go
// runtime maps its heap in 4 MiB steps without that advice, a new mapping
// each, so advice given to the heap after the fact does not last.
//
// Reserve makes the runtime map the next size bytes of heap at once, by
// allocating one large object of fresh, untouched memory; advises that
// mapping to use huge pages; and frees the object. The allocations that
// follow fill the region one 2 MiB page per fault. Pages never touched
// cost nothing, and the runtime returns unused ones to the system as
// usual.
package hugeheap

import (
	"os"
	"runtime"
)

// Reserve prepares the next size bytes of heap as described above. It
// does nothing where huge pages are unavailable or GODEBUG disablethp=1
// turns them off for the runtime's own memory.
func Reserve(size int) {
	if size <= 0 || contains(os.Getenv("GODEBUG"), "disablethp=1") {
		return
	}
	b := make([]byte, size)
	_ = advise(b)
	runtime.KeepAlive(b)
	b = nil
	// the object is garbage now; collecting it while the heap is small
	// (start-up) costs well under a millisecond and frees the region
	// for the allocations that follow
	runtime.GC()
}

// contains is strings.Contains: the package runs from internal/supervise/boot,
// before most initialisers, and imports as little as it can.
func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
