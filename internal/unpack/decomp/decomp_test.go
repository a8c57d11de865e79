package decomp

import (
	"bytes"
	"encoding/binary"
	"io"
	"os/exec"
	"runtime"
	"testing"
)

// compressWith runs a Debian compressor CLI over data.
func compressWith(t *testing.T, data []byte, name string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not installed", name)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

func TestStreams(t *testing.T) {
	data := bytes.Repeat([]byte("thingsec decomp test line\n"), 2000)
	tests := []struct {
		method string
		tool   string
		args   []string
	}{
		{Gzip, "gzip", []string{"-c"}},
		{XZ, "xz", []string{"-c"}},
		{LZMA, "xz", []string{"--format=lzma", "-c"}},
		{Bzip2, "bzip2", []string{"-c"}},
		{Zstd, "zstd", []string{"-c", "-q"}},
		{LZ4, "lz4", []string{"-c", "-q"}},
		{LZ4Legacy, "lz4", []string{"-c", "-q", "-l"}},
		{Lzop, "lzop", []string{"-c"}},
		{Deflate, "gzip", []string{"-c", "-n"}},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			comp := compressWith(t, data, tt.tool, tt.args...)
			if tt.method == Deflate {
				comp = comp[10 : len(comp)-8] // gzip -n: a 10-byte header, an 8-byte trailer
			}
			rc, err := NewReader(tt.method, bytes.NewReader(comp))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("round trip: %d bytes, %v", len(got), err)
			}
			blk, err := Block(tt.method, comp, len(data))
			if err != nil || !bytes.Equal(blk, data) {
				t.Fatalf("Block: %d bytes, %v", len(blk), err)
			}
			if _, err := Block(tt.method, comp, len(data)/2); err == nil {
				t.Fatal("Block beyond max did not fail")
			}
			// Data after the stream is not part of it.
			rc, err = NewReader(tt.method, bytes.NewReader(append(append([]byte(nil), comp...), make([]byte, 64)...)))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := io.ReadAll(rc); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("with trailing data: %d bytes, %v", len(got), err)
			}
			// An input cut inside the stream is an error.
			if rc, err := NewReader(tt.method, bytes.NewReader(comp[:len(comp)*2/3])); err == nil {
				if _, err := io.ReadAll(rc); err == nil {
					t.Fatal("truncated stream read without error")
				}
			}
		})
	}
}

// TestHugeDictionaryHeader: an lzma header that asks for a 4 GiB
// dictionary must not make the decoder allocate it.
func TestHugeDictionaryHeader(t *testing.T) {
	data := bytes.Repeat([]byte("abc"), 1000)
	comp := compressWith(t, data, "xz", "--format=lzma", "-c")
	binary.LittleEndian.PutUint32(comp[1:5], 0xffffffff)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rc, err := NewReader(LZMA, bytes.NewReader(comp))
	if err == nil {
		io.Copy(io.Discard, rc)
	}
	runtime.ReadMemStats(&after)
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 2*MaxDict {
		t.Fatalf("allocated %d MiB for a hostile header", grown>>20)
	}
}
