// Package bcjtest gives tests inputs that exercise the branch/call/jump
// filters: real executables of each architecture from the Debian cross
// toolchains, and, for the architectures Debian has no toolchain for
// (SPARC, IA-64), bytes that carry the instructions those filters convert
// among random data.
package bcjtest

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Arches are the architectures Input knows, named as xz and mksquashfs
// name their filters.
var Arches = []string{"x86", "powerpc", "ia64", "arm", "armthumb", "arm64", "sparc", "riscv"}

// libs are real shared libraries of each architecture (armhf is built as
// Thumb-2, so it exercises the ARM-Thumb filter).
var libs = map[string]string{
	"x86":      "/usr/i686-linux-gnu/lib/libc.so.6",
	"powerpc":  "/usr/powerpc-linux-gnu/lib/libc.so.6",
	"armthumb": "/usr/arm-linux-gnueabihf/lib/libc.so.6",
	"arm64":    "/usr/aarch64-linux-gnu/lib/libc.so.6",
	"riscv":    "/usr/riscv64-linux-gnu/lib/libc.so.6",
}

// Input returns at most max bytes of code for arch, 16-byte aligned
// within its executable so that instructions keep their alignment. It skips the test
// when the toolchain that provides it is not installed.
func Input(t testing.TB, arch string, max int) []byte {
	t.Helper()
	var b []byte
	switch arch {
	case "arm":
		b = compileARM(t)
	case "sparc":
		b = sparc(max)
	case "ia64":
		b = ia64(max)
	default:
		p, ok := libs[arch]
		if !ok {
			t.Fatalf("bcjtest: unknown architecture %q", arch)
		}
		var err error
		if b, err = os.ReadFile(p); err != nil {
			t.Skipf("bcjtest: %v (install the %s cross toolchain)", err, arch)
		}
	}
	if len(b) > max {
		// A window from the first half, which is mostly code (.text)
		// in these libraries, rather than their leading symbol tables.
		off := (len(b) - max) / 3 &^ 15
		b = b[off : off+max]
	}
	return b
}

// compileARM links a library in ARM (A32) state, as Debian's own armhf
// libraries are Thumb-2: many small functions calling each other give
// many BL instructions (linked, so each holds its real displacement).
func compileARM(t testing.TB) []byte {
	t.Helper()
	armOnce.Lock()
	defer armOnce.Unlock()
	if armObj != nil {
		return append([]byte(nil), armObj...)
	}
	gcc := "arm-linux-gnueabihf-gcc"
	if _, err := exec.LookPath(gcc); err != nil {
		t.Skipf("bcjtest: %s not installed", gcc)
	}
	var src strings.Builder
	const n = 400
	for i := 0; i < n; i++ {
		fmt.Fprintf(&src, "int f%d(int x);\n", i)
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&src, "int f%d(int x) { if (x < %d) return x * %d; return f%d(x - 1) + f%d(x / 2) + f%d(x ^ %d); }\n",
			i, i%7, i+3, (i*7+1)%n, (i*13+5)%n, (i*31+11)%n, i)
	}
	dir := t.TempDir()
	c := filepath.Join(dir, "calls.c")
	o := filepath.Join(dir, "calls.so")
	if err := os.WriteFile(c, []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(gcc, "-marm", "-O1", "-fno-inline", "-fPIC", "-fvisibility=hidden",
		"-shared", "-nostdlib", "-o", o, c).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", gcc, err, out)
	}
	b, err := os.ReadFile(o)
	if err != nil {
		t.Fatal(err)
	}
	armObj = b
	return append([]byte(nil), b...)
}

// armObj caches the compiled object for the tests of one process.
var (
	armOnce sync.Mutex
	armObj  []byte
)

// sparc is random data with a "call" (op 01) every few words, forward and
// backward displacements within the filter's +/-8 MiB range.
func sparc(n int) []byte {
	rng := rand.New(rand.NewSource(9))
	b := make([]byte, n&^3)
	rng.Read(b)
	for i := 0; i+4 <= len(b); i += 4 {
		switch rng.Intn(4) {
		case 0:
			disp := uint32(rng.Intn(1 << 21))
			binary.BigEndian.PutUint32(b[i:], 0x40000000|disp)
		case 1:
			disp := uint32(-rng.Intn(1<<21)) & 0x3fffffff
			binary.BigEndian.PutUint32(b[i:], 0x40000000|disp)
		default:
			b[i] = byte(rng.Intn(0x40)) // an ordinary instruction word
		}
	}
	return b
}

// ia64 is code-like bundles: a few recurring bundles, some of branch
// templates whose branch slots hold IP-relative branches (opcode 5, btype
// 0) to a few recurring targets, as calls to common functions are.
func ia64(n int) []byte {
	rng := rand.New(rand.NewSource(64))
	b := make([]byte, n&^15)
	templates := []byte{0x10, 0x11, 0x12, 0x13, 0x16, 0x17, 0x18, 0x19, 0x1c, 0x1d}
	bundles := make([][16]byte, 12)
	for i := range bundles {
		rng.Read(bundles[i][:])
		bundles[i][0] = bundles[i][0]&^0x1f | templates[i%len(templates)]
	}
	targets := make([]int, 16)
	for i := range targets {
		targets[i] = rng.Intn(len(b)) &^ 15
	}
	for i := 0; i+16 <= len(b); i += 16 {
		copy(b[i:], bundles[rng.Intn(len(bundles))][:])
		if rng.Intn(3) == 0 {
			continue // no branch
		}
		for slot, bit := 0, 5; slot < 3; slot, bit = slot+1, bit+41 {
			p, shift := i+bit/8, uint(bit%8)
			var ins uint64
			for j := 0; j < 6; j++ {
				ins |= uint64(b[p+j]) << (8 * j)
			}
			disp := uint64(int64(targets[rng.Intn(len(targets))]-i)>>4) & 0x1fffff
			norm := ins >> shift
			norm = norm&^(0xf<<37) | 5<<37 // opcode 5
			norm &^= 7 << 9                // btype 0
			norm = norm&^(0x8fffff<<13) | (disp&0xfffff)<<13 | (disp>>20)<<36
			ins = ins&(1<<shift-1) | norm<<shift
			for j := 0; j < 6; j++ {
				b[p+j] = byte(ins >> (8 * j))
			}
		}
	}
	return b
}

// Samples is 16-bit stereo PCM-like data (a slow wave plus noise), the
// kind of input the Delta filter is for.
func Samples(n int) []byte {
	rng := rand.New(rand.NewSource(3))
	b := make([]byte, n&^3)
	for i := 0; i+4 <= len(b); i += 4 {
		l := int16(8000*sinApprox(i/4) + float64(rng.Intn(64)))
		r := int16(6000*sinApprox(i/4+500) + float64(rng.Intn(64)))
		binary.LittleEndian.PutUint16(b[i:], uint16(l))
		binary.LittleEndian.PutUint16(b[i+2:], uint16(r))
	}
	return b
}

// sinApprox is a triangle wave in [-1, 1] with a period of 1000 samples.
func sinApprox(i int) float64 {
	x := float64(i%1000) / 250
	switch {
	case x < 1:
		return x
	case x < 3:
		return 2 - x
	default:
		return x - 4
	}
}
