package lzmadec

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/ulikunitz/xz/lzma"
)

// benchStreams are lzma-alone and raw LZMA2 streams made by the xz
// command from a real binary (the test binary itself) and generated data.
func benchStreams(b *testing.B) (data, alone, raw2 []byte) {
	needXZ(b)
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	bin, err := os.ReadFile(exe)
	if err != nil {
		b.Fatal(err)
	}
	data = append(bin[:min(len(bin), 4<<20)], sample(2<<20, 1)...)
	return data, xzCLI(b, data, "--format=lzma", "-6"), xzCLI(b, data, "--format=raw", "--lzma2=preset=6")
}

func BenchmarkAlone(b *testing.B) {
	data, alone, _ := benchStreams(b)
	b.Run("lzmadec-reader", func(b *testing.B) {
		run(b, len(data), func() {
			r, _ := NewAloneReader(bytes.NewReader(alone), 64<<20)
			if n, err := io.Copy(io.Discard, r); err != nil || n != int64(len(data)) {
				b.Fatal(err, n)
			}
		})
	})
	b.Run("lzmadec-block", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		var d Decoder
		dst := make([]byte, len(data))
		run(b, len(data), func() {
			if n, err := d.DecodeBlock(dst, alone[HeaderSize:], alone[0], -1); err != nil || n != len(data) {
				b.Fatal(err, n)
			}
		})
	})
	b.Run("ulikunitz", func(b *testing.B) {
		run(b, len(data), func() {
			r, _ := lzma.NewReader(bytes.NewReader(alone))
			if n, err := io.Copy(io.Discard, r); err != nil || n != int64(len(data)) {
				b.Fatal(err, n)
			}
		})
	})
}

func BenchmarkLZMA2(b *testing.B) {
	data, _, raw2 := benchStreams(b)
	b.Run("lzmadec", func(b *testing.B) {
		run(b, len(data), func() {
			r := NewReader2(bytes.NewReader(raw2), 8<<20)
			if n, err := io.Copy(io.Discard, r); err != nil || n != int64(len(data)) {
				b.Fatal(err, n)
			}
		})
	})
	b.Run("ulikunitz", func(b *testing.B) {
		run(b, len(data), func() {
			r, _ := lzma.Reader2Config{DictCap: 8 << 20}.NewReader2(bytes.NewReader(raw2))
			if n, err := io.Copy(io.Discard, r); err != nil || n != int64(len(data)) {
				b.Fatal(err, n)
			}
		})
	})
}

// cpuTime is the process's user+system time: the machine running the
// benchmarks is shared, so wall time (ns/op) is noisy and MB per CPU
// second is the figure to compare.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// run times f b.N times and reports output MB per CPU second.
func run(b *testing.B, size int, f func()) {
	b.SetBytes(int64(size))
	b.ResetTimer()
	t0 := cpuTime()
	for i := 0; i < b.N; i++ {
		f()
	}
	b.ReportMetric(float64(size)*float64(b.N)/1e6/(cpuTime()-t0).Seconds(), "MB/cpu-s")
}

// xzDecode runs xz -dc on comp and returns the child's CPU time.
func xzDecode(b *testing.B, comp []byte, args ...string) time.Duration {
	cmd := exec.Command("xz", append([]string{"-dc"}, args...)...)
	cmd.Stdin = bytes.NewReader(comp)
	cmd.Stdout = io.Discard
	if err := cmd.Run(); err != nil {
		b.Fatal(err)
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// BenchmarkXZCLI is the reference: the same streams decoded by xz -dc,
// in MB per CPU second of the xz process.
func BenchmarkXZCLI(b *testing.B) {
	data, alone, raw2 := benchStreams(b)
	for _, c := range []struct {
		name string
		comp []byte
		args []string
	}{{"alone", alone, []string{"--format=lzma"}}, {"lzma2", raw2, []string{"--format=raw", "--lzma2=preset=6"}}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				cpu += xzDecode(b, c.comp, c.args...)
			}
			b.ReportMetric(float64(len(data))*float64(b.N)/1e6/cpu.Seconds(), "MB/cpu-s")
		})
	}
}

// BenchmarkFile decodes an lzma-alone file named by $THINGSEC_LZMA_BENCH
// (a kernel payload, say) with both decoders and xz -dc.
func BenchmarkFile(b *testing.B) {
	name := os.Getenv("THINGSEC_LZMA_BENCH")
	if name == "" {
		b.Skip("set THINGSEC_LZMA_BENCH to an lzma-alone file")
	}
	comp, err := os.ReadFile(name)
	if err != nil {
		b.Fatal(err)
	}
	r, err := NewAloneReader(bytes.NewReader(comp), 64<<20)
	if err != nil {
		b.Fatal(err)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		b.Fatal(err)
	}
	comp = comp[:HeaderSize+r.Consumed()] // xz refuses trailing data
	b.Run("lzmadec-reader", func(b *testing.B) {
		run(b, len(data), func() {
			r, _ := NewAloneReader(bytes.NewReader(comp), 64<<20)
			if n, err := io.Copy(io.Discard, r); err != nil || n != int64(len(data)) {
				b.Fatal(err, n)
			}
		})
	})
	b.Run("ulikunitz", func(b *testing.B) {
		run(b, len(data), func() {
			r, _ := lzma.NewReader(bytes.NewReader(comp))
			if n, err := io.Copy(io.Discard, r); err != nil || n != int64(len(data)) {
				b.Fatal(err, n)
			}
		})
	})
	b.Run("xz-cli", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		var cpu time.Duration
		for i := 0; i < b.N; i++ {
			cpu += xzDecode(b, comp, "--format=lzma")
		}
		b.ReportMetric(float64(len(data))*float64(b.N)/1e6/cpu.Seconds(), "MB/cpu-s")
	})
}
