package formattest

// Generators of hostile input. Each expands a small seed into an input of
// a class that once hurt the unpacker; the random variation (spacing,
// order, sizes, names) makes a fix that only handles one sample fail.

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"math/rand/v2"
	"strconv"
)

// Rand returns a deterministic random source for a generator seed.
func Rand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// MagicFlood returns size bytes made of the given magics, each picked at
// random and followed by 0 to gap random bytes: a carver that keeps or
// validates every signature hit drowns in it.
func MagicFlood(rng *rand.Rand, size, gap int, magics ...[]byte) []byte {
	out := make([]byte, 0, size+64)
	for len(out) < size {
		out = append(out, magics[rng.IntN(len(magics))]...)
		for n := rng.IntN(gap + 1); n > 0; n-- {
			out = append(out, byte(rng.Uint32()))
		}
	}
	return out[:size]
}

// emptyStored is an empty, non-final deflate stored block.
var emptyStored = []byte{0x00, 0x00, 0x00, 0xff, 0xff}

// DeflateChain returns size bytes of candidates of a compressed format
// (header is a gzip or zlib header) chained so that every candidate's
// deflate stream runs through all the rest of the file: each header sits
// in a stored block of the stream before it and is followed by an empty
// stored block that brings its own decoder in step with the others; long
// runs of empty stored blocks (no output) separate them; the file ends in
// an invalid block. Every candidate decodes little and fails at the very
// end, so trying them one after another costs the square of the size.
func DeflateChain(rng *rand.Rand, size int, header []byte) []byte {
	out := append([]byte(nil), header...)
	unit := append(append([]byte(nil), header...), emptyStored...)
	for len(out) < size-64 {
		// A stored block holding the next candidate.
		n := len(unit)
		out = append(out, 0x00, byte(n), byte(n>>8), ^byte(n), ^byte(n>>8))
		out = append(out, unit...)
		for k := 1 + rng.IntN(400); k > 0; k-- {
			out = append(out, emptyStored...)
		}
	}
	return append(out, 0x07) // final block of the reserved type 3
}

// GzipHeader is a minimal gzip member header (no name, OS unknown).
var GzipHeader = []byte{0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff}

// ZlibHeader is a zlib header for deflate with a 32 KiB window.
var ZlibHeader = []byte{0x78, 0x01}

// TinyGzipStreams returns n complete gzip streams of a few random bytes
// each, back to back: n valid, tiny formats.
func TinyGzipStreams(rng *rand.Rand, n int) []byte {
	var out bytes.Buffer
	for i := 0; i < n; i++ {
		payload := make([]byte, 1+rng.IntN(16))
		for j := range payload {
			payload[j] = byte(rng.Uint32())
		}
		var raw bytes.Buffer
		fw, _ := flate.NewWriter(&raw, flate.BestSpeed)
		fw.Write(payload)
		fw.Close()
		out.Write(GzipHeader)
		out.Write(raw.Bytes())
		var tail [8]byte
		binary.LittleEndian.PutUint32(tail[:], crc32.ChecksumIEEE(payload))
		binary.LittleEndian.PutUint32(tail[4:], uint32(len(payload)))
		out.Write(tail[:])
	}
	return out.Bytes()
}

// zeroStream returns a raw deflate stream of n zero bytes (n a multiple
// of 1 MiB) and its CRC-32, built from one compressed megabyte repeated.
func zeroStream(n int64) ([]byte, uint32) {
	var mb bytes.Buffer
	fw, _ := flate.NewWriter(&mb, flate.BestCompression)
	zero := make([]byte, 1<<20)
	fw.Write(zero)
	fw.Flush() // ends in an empty non-final stored block: copies chain
	one := mb.Bytes()
	var out bytes.Buffer
	crc := uint32(0)
	for i := int64(0); i < n>>20; i++ {
		out.Write(one)
		crc = crc32.Update(crc, crc32.IEEETable, zero)
	}
	out.Write([]byte{0x03, 0x00}) // an empty final fixed-Huffman block
	return out.Bytes(), crc
}

// NestedZipBomb returns a 42.zip-style archive: levels of zips holding
// fanout zips each, the innermost holding fanout files of leaf zero bytes
// (leaf a multiple of 1 MiB). A few tens of KB expand to
// fanout^(levels+1) x leaf bytes.
func NestedZipBomb(rng *rand.Rand, levels, fanout int, leaf int64) []byte {
	stream, crc := zeroStream(leaf)
	inner := zipOf(rng, fanout, func(w *zip.Writer, name string) {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc, CompressedSize64: uint64(len(stream)), UncompressedSize64: uint64(leaf)}
		fw, _ := w.CreateRaw(h)
		fw.Write(stream)
	})
	for l := 0; l < levels; l++ {
		prev := inner
		inner = zipOf(rng, fanout, func(w *zip.Writer, name string) {
			fw, _ := w.Create(name + ".zip")
			fw.Write(prev)
		})
	}
	return inner
}

func zipOf(rng *rand.Rand, n int, add func(w *zip.Writer, name string)) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for i := 0; i < n; i++ {
		add(w, string(rune('a'+i%26))+string(rune('a'+rng.IntN(26)))+strconv.Itoa(i))
	}
	w.Close()
	return buf.Bytes()
}

// OverlapZipBomb returns a zip whose central directory lists entries
// entries that all point at one local file of kernel zero bytes (a
// multiple of 1 MiB): overlapping entries, the trick of non-recursive zip
// bombs. Its size is about kernel/1000 + 50 bytes per entry.
func OverlapZipBomb(rng *rand.Rand, entries int, kernel int64) []byte {
	stream, crc := zeroStream(kernel)
	var buf bytes.Buffer
	le := binary.LittleEndian
	name := []byte("k" + strconv.Itoa(rng.IntN(1000)))
	local := make([]byte, 30)
	le.PutUint32(local, 0x04034b50)
	le.PutUint16(local[4:], 20)
	le.PutUint16(local[8:], 8)
	le.PutUint32(local[14:], crc)
	le.PutUint32(local[18:], uint32(len(stream)))
	le.PutUint32(local[22:], uint32(kernel))
	le.PutUint16(local[26:], uint16(len(name)))
	buf.Write(local)
	buf.Write(name)
	buf.Write(stream)
	cdOff := buf.Len()
	for i := 0; i < entries; i++ {
		n := []byte("f" + strconv.Itoa(i))
		c := make([]byte, 46)
		le.PutUint32(c, 0x02014b50)
		le.PutUint16(c[4:], 20)
		le.PutUint16(c[6:], 20)
		le.PutUint16(c[10:], 8)
		le.PutUint32(c[16:], crc)
		le.PutUint32(c[20:], uint32(len(stream)))
		le.PutUint32(c[24:], uint32(kernel))
		le.PutUint16(c[28:], uint16(len(n)))
		// local header offset 0: every entry is the same file
		buf.Write(c)
		buf.Write(n)
	}
	cdSize := buf.Len() - cdOff
	e := make([]byte, 22)
	le.PutUint32(e, 0x06054b50)
	le.PutUint16(e[8:], uint16(entries))
	le.PutUint16(e[10:], uint16(entries))
	le.PutUint32(e[12:], uint32(cdSize))
	le.PutUint32(e[16:], uint32(cdOff))
	buf.Write(e)
	return buf.Bytes()
}

// RandomName returns a file name of 1 to 40 safe characters.
func RandomName(rng *rand.Rand) string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789_-."
	b := make([]byte, 1+rng.IntN(40))
	for i := range b {
		b[i] = chars[rng.IntN(len(chars))]
	}
	if b[0] == '.' {
		b[0] = 'x'
	}
	return string(b)
}

// SquashfsClaim returns a squashfs 4.0 superblock that passes a header
// check and claims claim bytes (its tables point at random places inside
// them), followed by pad random bytes: a junk header whose claimed
// structure covers whatever is placed after it.
func SquashfsClaim(rng *rand.Rand, claim int64, pad int) []byte {
	le := binary.LittleEndian
	b := make([]byte, 96, 96+pad)
	copy(b, "hsqs")
	le.PutUint32(b[4:], uint32(1+rng.IntN(1000))) // inodes
	log := 12 + rng.IntN(9)
	le.PutUint32(b[12:], 1<<log)
	le.PutUint16(b[20:], uint16(1+rng.IntN(6))) // compressor
	le.PutUint16(b[22:], uint16(log))
	le.PutUint16(b[28:], 4)
	le.PutUint64(b[40:], uint64(claim))
	inode := 96 + rng.Int64N(max(claim/4, 1))
	dir := inode + 1 + rng.Int64N(max(claim/4, 1))
	le.PutUint64(b[32:], uint64(rng.IntN(int(min(dir-inode, 1<<16)))<<16)) // root inode: block 0
	le.PutUint64(b[48:], uint64(dir+1+rng.Int64N(max(claim-dir-2, 1))))    // id table
	le.PutUint64(b[56:], ^uint64(0))
	le.PutUint64(b[64:], uint64(inode))
	le.PutUint64(b[72:], uint64(dir))
	le.PutUint64(b[80:], ^uint64(0))
	le.PutUint64(b[88:], ^uint64(0))
	for i := 0; i < pad; i++ {
		b = append(b, byte(rng.Uint32()))
	}
	return b
}
