package unpack_test

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/unpack"
	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// maxPeak is the documented bound on the memory of unpacking any input.
const maxPeak = 512 << 20

// resetPeak makes the next peakRSS report the peak from now on (Linux
// resets VmHWM on "5" > clear_refs); it returns false when it cannot.
// With THINGSEC_WHOLE_PEAK set (scripts/hostile) the peak is not reset:
// the kernel's peak of the whole process, which the script reads from
// outside, would otherwise cover only the last case.
func resetPeak() bool {
	runtime.GC()
	debug.FreeOSMemory()
	if os.Getenv("THINGSEC_WHOLE_PEAK") != "" {
		return false
	}
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// runImage unpacks image with lim and returns the session (closed), its
// peak RSS and its duration.
func runImage(t testing.TB, image []byte, lim unpack.Limits) (*unpack.Session, int64, time.Duration) {
	t.Helper()
	dir := t.TempDir()
	img := filepath.Join(dir, "image.bin")
	if err := os.WriteFile(img, image, 0o644); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := unpack.NewSession(unpack.Options{WorkDir: work, Limits: lim, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.AddFile(img); err != nil {
		t.Fatal(err)
	}
	resetPeak()
	start := time.Now()
	if err := s.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s, peakRSS(), time.Since(start)
}

// carvable lists every registered format that has signatures.
func carvable() []format.Format {
	var out []format.Format
	for _, f := range unpack.Registry() {
		if len(f.Signatures()) > 0 {
			out = append(out, f)
		}
	}
	return out
}

func magicsOf(fs ...format.Format) [][]byte {
	var m [][]byte
	for _, f := range fs {
		for _, s := range f.Signatures() {
			m = append(m, s.Magic)
		}
	}
	return m
}

func seed(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

// floodSize is the flood of the tests: 16 MiB, thinner under -race and
// -short (the 64 MiB cases are in BenchmarkHostileFlood).
func floodSize() int {
	switch {
	case formattest.Race:
		return 256 << 10
	case testing.Short():
		return 1 << 20
	}
	return 16 << 20
}

// raceThin keeps a few representative cases under the race detector,
// which makes identification ~20 times slower.
func raceThin(name string) bool {
	if !formattest.Race {
		return false
	}
	switch name {
	case "mixed", "squashfs", "gzip", "compress":
		return false
	}
	return true
}

// TestHostileMagicFlood: a file made of one format's magics (and one of
// every magic) must unpack in bounded memory; the budget that skipped
// candidates is listed as a problem.
func TestHostileMagicFlood(t *testing.T) {
	size := floodSize()
	cases := map[string][][]byte{"mixed": magicsOf(carvable()...)}
	for _, f := range carvable() {
		cases[f.Name()] = magicsOf(f)
	}
	for name, magics := range cases {
		t.Run(name, func(t *testing.T) {
			if raceThin(name) {
				t.Skip("thinned under -race")
			}
			rng := formattest.Rand(seed(name))
			image := formattest.MagicFlood(rng, size, rng.IntN(4), magics...)
			s, peak, d := runImage(t, image, unpack.DefaultLimits())
			t.Logf("%s %d MiB: peak RSS %d MiB, %.1f MB/s, %d layers, %d problems", name, size>>20, peak>>20, float64(size)/1e6/d.Seconds(), len(s.Layers()), len(s.Problems()))
			if peak > maxPeak {
				t.Errorf("peak RSS %d MiB, want < %d MiB", peak>>20, maxPeak>>20)
			}
		})
	}
}

// TestHostileDeflateChain: gzip and zlib candidates chained so that each
// one's stream runs to the end of the file (identification in file order
// is quadratic) must be abandoned within the budget, with a problem.
func TestHostileDeflateChain(t *testing.T) {
	if formattest.Race {
		t.Skip("the quadratic chain is slow to decode under -race: TestCarveDeflateChain covers it at small scale")
	}
	size := floodSize()
	for name, hdr := range map[string][]byte{"gzip": formattest.GzipHeader, "zlib": formattest.ZlibHeader} {
		t.Run(name, func(t *testing.T) {
			if raceThin(name) {
				t.Skip("thinned under -race")
			}
			image := formattest.DeflateChain(formattest.Rand(seed(name)), size, hdr)
			s, peak, d := runImage(t, image, unpack.DefaultLimits())
			t.Logf("%d MiB: peak RSS %d MiB, %.1f MB/s", size>>20, peak>>20, float64(size)/1e6/d.Seconds())
			if peak > maxPeak {
				t.Errorf("peak RSS %d MiB, want < %d MiB", peak>>20, maxPeak>>20)
			}
			if !hasProblem(s, "limit", name+" candidates") {
				t.Errorf("no problem lists the skipped candidates: %+v", s.Problems())
			}
		})
	}
}

func hasProblem(s *unpack.Session, kind, text string) bool {
	for _, p := range s.Problems() {
		if p.Kind == kind && strings.Contains(p.Message, text) {
			return true
		}
	}
	return false
}

// squashTree makes a squashfs image (mksquashfs) of a small random tree
// and returns it with the tree's files.
func squashTree(t *testing.T, seedName string) ([]byte, map[string][]byte) {
	t.Helper()
	if _, err := exec.LookPath("mksquashfs"); err != nil {
		t.Skip("mksquashfs not installed")
	}
	rng := formattest.Rand(seed(seedName))
	dir := t.TempDir()
	src := filepath.Join(dir, "root")
	files := map[string][]byte{}
	for i := 0; i < 20; i++ {
		p := filepath.Join(fmt.Sprintf("d%d", rng.IntN(4)), formattest.RandomName(rng))
		data := make([]byte, rng.IntN(20000))
		for j := range data {
			data[j] = byte('a' + rng.IntN(8))
		}
		files["/"+p] = data
		os.MkdirAll(filepath.Join(src, filepath.Dir(p)), 0o755)
		if err := os.WriteFile(filepath.Join(src, p), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	img := filepath.Join(dir, "fs.sqsh")
	if out, err := exec.Command("mksquashfs", src, img, "-noappend", "-quiet", "-no-progress", "-comp", "gzip").CombinedOutput(); err != nil {
		t.Fatalf("mksquashfs: %v\n%s", err, out)
	}
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	return b, files
}

// checkSquash asserts that a squashfs layer was found and extracted with
// exactly the tree's contents (junk before it may make other squashfs
// layers, which fail).
func checkSquash(t *testing.T, s *unpack.Session, files map[string][]byte) {
	t.Helper()
	var formats []string
	for _, l := range s.Layers() {
		formats = append(formats, fmt.Sprintf("%s:%s@%#x+%#x", l.Parent, l.Format, l.Offset, l.Size))
		if l.Format != "squashfs" || l.Dir == "" {
			continue
		}
		bad := 0
		for p, want := range files {
			got, err := os.ReadFile(filepath.Join(l.Dir, p))
			if err != nil || !bytes.Equal(got, want) {
				bad++
			}
		}
		if bad == 0 {
			return
		}
	}
	t.Errorf("the squashfs was not unpacked exactly; %d layers (%v...), problems %+v", len(formats), formats[:min(len(formats), 60)], s.Problems()[:min(len(s.Problems()), 5)])
}

// TestHostileJunkBeforeSquashfs: whatever is placed before a real file
// system (cheap magics of other formats, its own magic, thousands of tiny
// valid streams, a quadratic gzip chain) must not use up the caps that let
// the file system be found.
func TestHostileJunkBeforeSquashfs(t *testing.T) {
	fsImg, files := squashTree(t, "junk-before-squashfs")
	others := magicsOf(carvable()...)
	var notSquash [][]byte
	for _, m := range others {
		if string(m) != "hsqs" && string(m) != "sqsh" {
			notSquash = append(notSquash, m)
		}
	}
	streams, junk := 10_001, 600<<10
	lim := unpack.DefaultLimits()
	switch {
	case formattest.Race:
		streams, lim.MaxLayers, junk = 41, 40, 128<<10
	case testing.Short():
		streams, lim.MaxLayers = 301, 300
	}
	cases := []struct {
		name string
		junk func() []byte
	}{
		{"cheap magics", func() []byte { return formattest.MagicFlood(formattest.Rand(1), junk, 3, notSquash...) }},
		{"every magic", func() []byte { return formattest.MagicFlood(formattest.Rand(2), junk, 3, others...) }},
		{"own magic", func() []byte {
			return formattest.MagicFlood(formattest.Rand(3), 128<<10, 4, []byte("hsqs"))
		}},
		{"dense own magic", func() []byte { return formattest.MagicFlood(formattest.Rand(6), junk, 0, []byte("hsqs")) }},
		{"dense every magic", func() []byte { return formattest.MagicFlood(formattest.Rand(7), junk, 0, others...) }},
		{"tiny gzip streams", func() []byte { return formattest.TinyGzipStreams(formattest.Rand(4), streams) }},
		{"gzip chain", func() []byte { return formattest.DeflateChain(formattest.Rand(5), 4*junk, formattest.GzipHeader) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if formattest.Race && c.name == "gzip chain" {
				t.Skip("slow to decode under -race: TestCarveDeflateChain covers the class")
			}
			junk := c.junk()
			pad := make([]byte, (4096-len(junk)%4096)%4096)
			image := append(append(junk, pad...), fsImg...)
			s, peak, d := runImage(t, image, lim)
			t.Logf("%d KiB of junk: peak RSS %d MiB, %v, %d layers", len(junk)>>10, peak>>20, d.Round(time.Millisecond), len(s.Layers()))
			checkSquash(t, s, files)
		})
	}
}

// TestHostileClaimCoversSquashfs: a junk header that passes its header
// check and claims the bytes of a real file system placed after it must
// not hide it: the failed layer's claimed bytes are carved. A header at
// offset 0 claiming more than the file holds covers nothing.
func TestHostileClaimCoversSquashfs(t *testing.T) {
	fsImg, files := squashTree(t, "claim-covers-squashfs")
	rng := formattest.Rand(seed("claim"))
	runs := 6
	if formattest.Race {
		runs = 2
	}
	for i := 0; i < runs; i++ {
		pad := rng.IntN(64 << 10)
		head := 96 + pad
		head += (4096 - head%4096) % 4096
		total := int64(head + len(fsImg))
		claim := int64(head) + 1 + rng.Int64N(int64(len(fsImg))) // ends inside the file system
		switch i % 3 {
		case 1:
			claim = total // exactly to the end
		case 2:
			claim = total + 1 + rng.Int64N(1<<40) // beyond the file
		}
		junk := formattest.SquashfsClaim(rng, claim, head-96)
		image := append(junk, fsImg...)
		t.Run(fmt.Sprintf("claim %d of %d", claim, total), func(t *testing.T) {
			s, peak, d := runImage(t, image, unpack.DefaultLimits())
			t.Logf("peak RSS %d MiB, %v, %d layers", peak>>20, d.Round(time.Millisecond), len(s.Layers()))
			checkSquash(t, s, files)
		})
	}
}

// BenchmarkHostileFlood unpacks a 16 and a 64 MiB flood of each carvable
// format's magics (and of all of them, and the quadratic deflate chains)
// and reports MB/s and the peak RSS of the run:
//
//	go test ./internal/unpack -run '^$' -bench HostileFlood -benchtime 1x
func BenchmarkHostileFlood(b *testing.B) {
	type gen struct {
		name string
		make func(size int) []byte
	}
	gens := []gen{{"mixed", func(size int) []byte {
		return formattest.MagicFlood(formattest.Rand(1), size, 3, magicsOf(carvable()...)...)
	}}}
	for _, f := range carvable() {
		gens = append(gens, gen{f.Name(), func(size int) []byte {
			return formattest.MagicFlood(formattest.Rand(seed(f.Name())), size, 3, magicsOf(f)...)
		}})
	}
	gens = append(gens,
		gen{"gzip-chain", func(size int) []byte {
			return formattest.DeflateChain(formattest.Rand(2), size, formattest.GzipHeader)
		}},
		gen{"zlib-chain", func(size int) []byte {
			return formattest.DeflateChain(formattest.Rand(3), size, formattest.ZlibHeader)
		}})
	for _, size := range []int{16 << 20, 64 << 20} {
		for _, g := range gens {
			b.Run(fmt.Sprintf("%s/%dMiB", g.name, size>>20), func(b *testing.B) {
				image := g.make(size)
				b.SetBytes(int64(size))
				var peak int64
				cpu0 := cpuTime()
				for b.Loop() {
					_, p, _ := runImage(b, image, unpack.DefaultLimits())
					peak = max(peak, p)
				}
				// CPU time as well as wall time: on a shared machine the
				// wall clock says little about the cost.
				cpu := (cpuTime() - cpu0).Seconds() / float64(b.N)
				b.ReportMetric(float64(size)/1e6/cpu, "MB/cpu-s")
				b.ReportMetric(float64(peak>>20), "peak-MiB")
			})
		}
	}
}

// cpuTime is the user and system time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
