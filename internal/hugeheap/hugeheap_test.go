package hugeheap

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

// TestAdvise checks the advice on the kernel's side: the mapping holding
// the advised part carries the "hg" (huge pages advised) flag in
// /proc/self/smaps. Whether the kernel then finds free huge pages is its
// business, and not asserted.
func TestAdvise(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("huge page advice is for Linux only")
	}
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skip("this kernel has no transparent huge pages")
	}
	b := make([]byte, 8<<20)
	part := advise(b)
	if len(part) < 4<<20 || len(part)%hugePage != 0 {
		t.Fatalf("advised %d bytes of an 8 MiB object, want at least the 4 MiB of whole huge pages in it", len(part))
	}
	beg := uintptr(unsafe.Pointer(unsafe.SliceData(part)))
	flags := vmFlags(t, beg)
	runtime.KeepAlive(b)
	if !strings.Contains(" "+flags+" ", " hg ") {
		t.Errorf("mapping at %#x has VmFlags %q, want hg", beg, flags)
	}
}

func TestAdviseSmall(t *testing.T) {
	if part := advise(make([]byte, 4096)); part != nil {
		t.Errorf("advised %d bytes of a 4 KiB object", len(part))
	}
}

// TestReserve checks that the heap works as before after Reserve, and
// that GODEBUG=disablethp=1 leaves it alone.
func TestReserve(t *testing.T) {
	Reserve(0)
	Reserve(16 << 20)
	t.Setenv("GODEBUG", "disablethp=1")
	Reserve(16 << 20)
	var keep [][]byte
	for i := range 1000 {
		b := make([]byte, 1+i*37%5000)
		b[len(b)-1] = byte(i)
		keep = append(keep, b)
	}
	for i, b := range keep {
		if b[len(b)-1] != byte(i) {
			t.Fatalf("object %d lost its byte", i)
		}
	}
}

// vmFlags returns the VmFlags line of the mapping holding addr.
func vmFlags(t *testing.T, addr uintptr) string {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps: %v", err)
	}
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var lo, hi uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x ", &lo, &hi); n == 2 {
			in = lo <= addr && addr < hi
			continue
		}
		if in && strings.HasPrefix(line, "VmFlags:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmFlags:"))
		}
	}
	t.Fatalf("no mapping holds %#x", addr)
	return ""
}
