package decomp

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"sync"

	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/thingsec/thingsec/internal/unpack/lzmadec"
)

// The .xz container is parsed here: real streams (kernels, squashfs built
// with -Xbcj, xz --x86/--arm/--delta ...) put BCJ and Delta filters before
// LZMA2, whose data package lzmadec decodes.

// xzMagic starts a stream header; a footer ends with "YZ".
var xzMagic = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}

const (
	xzFilterDelta = 0x03
	xzFilterLZMA2 = 0x21
	xzMaxFilters  = 4
)

var (
	errXZCorrupt = errors.New("xz: corrupt data")
	crc64Table   = crc64.MakeTable(crc64.ECMA)
)

func xzCorrupt(what string) error { return fmt.Errorf("%w: %s", errXZCorrupt, what) }

// xzFilter is one entry of a block's filter chain.
type xzFilter struct {
	id    uint64
	props []byte
}

// xzBlockHeader is a parsed block header.
type xzBlockHeader struct {
	filters      []xzFilter // the last is LZMA2
	dictSize     int64
	compressed   int64 // -1 when absent
	uncompressed int64 // -1 when absent
}

// xzVarint reads the format's multibyte integer (7 bits a byte, at most 9
// bytes, no superfluous zero byte).
func xzVarint(b []byte) (uint64, int, bool) {
	var v uint64
	for i := 0; i < 9 && i < len(b); i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			if i > 0 && b[i] == 0 {
				return 0, 0, false
			}
			return v, i + 1, true
		}
	}
	return 0, 0, false
}

// parseXZBlockHeader parses h, a whole block header (size byte to CRC).
func parseXZBlockHeader(h []byte) (xzBlockHeader, error) {
	bh := xzBlockHeader{compressed: -1, uncompressed: -1}
	if len(h) < 8 || len(h) != (int(h[0])+1)*4 {
		return bh, xzCorrupt("bad block header size")
	}
	if crc32.ChecksumIEEE(h[:len(h)-4]) != binary.LittleEndian.Uint32(h[len(h)-4:]) {
		return bh, xzCorrupt("block header CRC mismatch")
	}
	flags := h[1]
	if flags&0x3c != 0 {
		return bh, format.Unsupported("xz block flags")
	}
	b := h[2 : len(h)-4]
	next := func() (uint64, error) {
		v, n, ok := xzVarint(b)
		if !ok {
			return 0, xzCorrupt("bad block header")
		}
		b = b[n:]
		return v, nil
	}
	if flags&0x40 != 0 {
		v, err := next()
		if err != nil || v == 0 || v > 1<<62 {
			return bh, xzCorrupt("bad compressed size")
		}
		bh.compressed = int64(v)
	}
	if flags&0x80 != 0 {
		v, err := next()
		if err != nil || v > 1<<62 {
			return bh, xzCorrupt("bad uncompressed size")
		}
		bh.uncompressed = int64(v)
	}
	n := int(flags&3) + 1
	for i := 0; i < n; i++ {
		id, err := next()
		if err != nil {
			return bh, err
		}
		size, err := next()
		if err != nil || size > uint64(len(b)) {
			return bh, xzCorrupt("bad filter properties")
		}
		f := xzFilter{id: id, props: b[:size]}
		b = b[size:]
		last := i == n-1
		switch _, isBCJ := bcjFilters[id]; {
		case id == xzFilterLZMA2:
			if !last {
				return bh, xzCorrupt("LZMA2 is not the last filter")
			}
			if size != 1 || f.props[0] > 40 {
				return bh, xzCorrupt("bad LZMA2 properties")
			}
			bh.dictSize = lzma2DictSize(f.props[0])
		case last:
			return bh, format.Unsupported(fmt.Sprintf("xz filter %#x as last filter", id))
		case isBCJ:
			if size != 0 && size != 4 {
				return bh, xzCorrupt("bad BCJ properties")
			}
			if size == 4 {
				spec := bcjFilters[id]
				if binary.LittleEndian.Uint32(f.props)%spec.align != 0 {
					return bh, format.Unsupported(fmt.Sprintf("xz %s filter start offset not aligned", spec.name))
				}
			}
		case id == xzFilterDelta:
			if size != 1 {
				return bh, xzCorrupt("bad Delta properties")
			}
		default:
			return bh, format.Unsupported(fmt.Sprintf("xz filter %#x", id))
		}
		bh.filters = append(bh.filters, f)
	}
	for _, c := range b {
		if c != 0 {
			return bh, xzCorrupt("block header padding")
		}
	}
	return bh, nil
}

// lzma2DictSize is the dictionary size an LZMA2 property byte (<= 40)
// stands for.
func lzma2DictSize(p byte) int64 {
	if p == 40 {
		return 1<<32 - 1
	}
	return int64(2|p&1) << (p/2 + 11)
}

// xzCheckSize is the size of each check type (0 none, 1 CRC32, 4 CRC64,
// 10 SHA-256; the others are reserved but have a defined size).
func xzCheckSize(c byte) int {
	return [16]int{0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64}[c]
}

// countReader counts the bytes read through it.
type countReader struct {
	r *bufio.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

func (c *countReader) full(p []byte) error {
	if _, err := io.ReadFull(c, p); err != nil {
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	return nil
}

type xzRecord struct{ unpadded, uncompressed int64 }

// xzReader decodes one .xz stream; data after its footer is not read
// beyond the bufio buffer and is ignored.
type xzReader struct {
	in        *countReader
	dictLimit int64 // the largest dictionary allocated
	outLimit  int64 // dictionaries are clamped to this (a block's maximal size), 0 if none
	flags     [2]byte
	check     byte

	block     io.Reader // the current block's decoded data
	lz        *lzmadec.Reader2
	hdr       xzBlockHeader
	hdrLen    int64
	dataStart int64 // input offset of the block's compressed data
	out       int64 // bytes of the block decoded
	sum       hash.Hash
	records   []xzRecord
	err       error
}

// newXZReader opens an xz stream. Dictionaries above dictLimit are refused;
// with outLimit > 0 (a block that may decode to at most that many bytes)
// larger dictionaries are clamped to it, as no match can reach further.
func newXZReader(r io.Reader, dictLimit, outLimit int64) (*xzReader, error) {
	x := &xzReader{in: &countReader{r: bufio.NewReaderSize(r, 64<<10)}, dictLimit: dictLimit, outLimit: outLimit}
	var h [12]byte
	if err := x.in.full(h[:]); err != nil {
		return nil, err
	}
	if !bytes.Equal(h[:6], xzMagic) {
		return nil, xzCorrupt("bad stream magic")
	}
	if crc32.ChecksumIEEE(h[6:8]) != binary.LittleEndian.Uint32(h[8:]) {
		return nil, xzCorrupt("stream header CRC mismatch")
	}
	if h[6] != 0 || h[7] > 0x0f {
		return nil, format.Unsupported("xz stream flags")
	}
	copy(x.flags[:], h[6:8])
	x.check = h[7]
	return x, nil
}

func (x *xzReader) Read(p []byte) (int, error) {
	if x.err != nil {
		return 0, x.err
	}
	for {
		if x.block == nil {
			if err := x.nextBlock(); err != nil {
				x.err = err
				return 0, err
			}
			if x.block == nil { // index and footer read
				x.err = io.EOF
				return 0, io.EOF
			}
		}
		n, err := x.block.Read(p)
		if n > 0 {
			x.out += int64(n)
			if x.sum != nil {
				x.sum.Write(p[:n])
			}
			if x.hdr.uncompressed >= 0 && x.out > x.hdr.uncompressed {
				x.err = xzCorrupt("block larger than its header says")
				return n, x.err
			}
		}
		if err == io.EOF {
			if err = x.endBlock(); err == nil && n == 0 {
				continue
			}
		}
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			x.err = err
		}
		if n > 0 || err != nil {
			return n, err
		}
	}
}

// nextBlock reads a block header and sets up the decoder chain, or reads
// the index and footer when the blocks are done.
func (x *xzReader) nextBlock() error {
	size, err := x.in.ReadByte()
	if err != nil {
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	if size == 0 {
		return x.readIndex()
	}
	h := make([]byte, (int(size)+1)*4)
	h[0] = size
	if err := x.in.full(h[1:]); err != nil {
		return err
	}
	bh, err := parseXZBlockHeader(h)
	if err != nil {
		return err
	}
	dict := bh.dictSize
	if bh.uncompressed >= 0 {
		dict = min(dict, bh.uncompressed)
	}
	if x.outLimit > 0 {
		dict = min(dict, x.outLimit)
	}
	if dict > x.dictLimit {
		return format.Unsupported(fmt.Sprintf("xz dictionary of %d MiB (limit %d MiB)", dict>>20, x.dictLimit>>20))
	}
	x.hdr, x.hdrLen, x.dataStart, x.out = bh, int64(len(h)), x.in.n, 0
	var src io.Reader = x.in
	if bh.compressed >= 0 {
		src = io.LimitReader(x.in, bh.compressed)
	}
	x.lz = getReader2(src, int(dict))
	x.block = x.lz
	for i := len(bh.filters) - 2; i >= 0; i-- {
		f := bh.filters[i]
		if f.id == xzFilterDelta {
			x.block = &deltaReader{r: x.block, dist: int(f.props[0]) + 1}
			continue
		}
		var start uint32
		if len(f.props) == 4 {
			start = binary.LittleEndian.Uint32(f.props)
		}
		x.block = newBCJReader(x.block, bcjFilters[f.id], start)
	}
	switch x.check {
	case 1:
		x.sum = crc32.NewIEEE()
	case 4:
		x.sum = crc64.New(crc64Table)
	case 10:
		x.sum = sha256.New()
	default:
		x.sum = nil // none, or a reserved type: not verified
	}
	return nil
}

// endBlock checks the block's sizes, padding and check field.
func (x *xzReader) endBlock() error {
	comp := x.in.n - x.dataStart
	if x.hdr.compressed >= 0 && comp != x.hdr.compressed {
		return xzCorrupt("compressed size differs from the block header")
	}
	if x.hdr.uncompressed >= 0 && x.out != x.hdr.uncompressed {
		return xzCorrupt("uncompressed size differs from the block header")
	}
	var pad [3]byte
	if err := x.in.full(pad[:(4-comp%4)%4]); err != nil {
		return err
	}
	if pad != [3]byte{} {
		return xzCorrupt("block padding")
	}
	sum := make([]byte, xzCheckSize(x.check))
	if err := x.in.full(sum); err != nil {
		return err
	}
	if x.sum != nil {
		got := x.sum.Sum(nil)
		if x.check != 10 { // CRC32 and CRC64 are stored little endian
			for i, j := 0, len(got)-1; i < j; i, j = i+1, j-1 {
				got[i], got[j] = got[j], got[i]
			}
		}
		if !bytes.Equal(got, sum) {
			return xzCorrupt("block check mismatch")
		}
	}
	x.records = append(x.records, xzRecord{x.hdrLen + comp + int64(len(sum)), x.out})
	x.block = nil
	putReader2(x.lz)
	x.lz = nil
	return nil
}

// reader2s reuses LZMA2 decoders with their windows across the blocks of
// a file system (squashfs xz decodes one stream per block); windows above
// pooledWindow (a kernel's 32 MiB dictionary) are left to the collector.
var reader2s sync.Pool

const pooledWindow = 2 << 20

func getReader2(src io.Reader, dict int) *lzmadec.Reader2 {
	if r, ok := reader2s.Get().(*lzmadec.Reader2); ok {
		r.Reset(src, dict)
		return r
	}
	return lzmadec.NewReader2(src, dict)
}

func putReader2(r *lzmadec.Reader2) {
	if r != nil && r.WindowSize() <= pooledWindow {
		r.Reset(nil, 0)
		reader2s.Put(r)
	}
}

// readIndex reads the index (its indicator byte already read) and the
// stream footer, and checks them against the blocks decoded.
func (x *xzReader) readIndex() error {
	start := x.in.n - 1
	crc := crc32.NewIEEE()
	crc.Write([]byte{0})
	tee := io.TeeReader(x.in, crc)
	varint := func() (int64, error) {
		var b [9]byte
		for i := range b {
			if _, err := io.ReadFull(tee, b[i:i+1]); err != nil {
				return 0, io.ErrUnexpectedEOF
			}
			if b[i]&0x80 == 0 {
				v, _, ok := xzVarint(b[:i+1])
				if !ok || v > 1<<62 {
					break
				}
				return int64(v), nil
			}
		}
		return 0, xzCorrupt("bad index")
	}
	n, err := varint()
	if err != nil {
		return err
	}
	if n != int64(len(x.records)) {
		return xzCorrupt("index does not match the blocks")
	}
	for _, r := range x.records {
		u, err := varint()
		if err != nil {
			return err
		}
		c, err := varint()
		if err != nil {
			return err
		}
		if u != r.unpadded || c != r.uncompressed {
			return xzCorrupt("index does not match the blocks")
		}
	}
	var pad [3]byte
	if _, err := io.ReadFull(tee, pad[:(4-(x.in.n-start)%4)%4]); err != nil {
		return io.ErrUnexpectedEOF
	}
	if pad != [3]byte{} {
		return xzCorrupt("index padding")
	}
	size := x.in.n - start + 4
	var f [16]byte // index CRC32, then the 12-byte footer
	if err := x.in.full(f[:]); err != nil {
		return err
	}
	if binary.LittleEndian.Uint32(f[:4]) != crc.Sum32() {
		return xzCorrupt("index CRC mismatch")
	}
	foot := f[4:]
	switch {
	case string(foot[10:]) != "YZ":
		return xzCorrupt("bad stream footer magic")
	case crc32.ChecksumIEEE(foot[4:10]) != binary.LittleEndian.Uint32(foot[:4]):
		return xzCorrupt("stream footer CRC mismatch")
	case (int64(binary.LittleEndian.Uint32(foot[4:8]))+1)*4 != size:
		return xzCorrupt("stream footer backward size")
	case foot[8] != x.flags[0] || foot[9] != x.flags[1]:
		return xzCorrupt("stream footer flags differ from the header")
	}
	return nil
}

// xzProbeDict is the dictionary a probe decodes with. The first decoding
// step fills it from the first LZMA2 chunk and stops there, so a probe
// costs this much output whatever dictionary the stream asks for (a
// kernel's asks for 32 MiB and its first chunk holds up to 2 MiB). It
// exceeds the BCJ filter's 64 KiB window, so the filter's first read is
// served by that step too; no match can reach further back than what was
// decoded, so the smaller dictionary changes nothing about the bytes.
const xzProbeDict = 80 << 10

// ProbeXZ says whether an xz stream's first bytes decode (or the stream
// ends cleanly at once), decoding a bounded prefix: identification calls
// it, extraction decodes the stream for real.
func ProbeXZ(r io.Reader) bool {
	x, err := newXZReader(r, MaxDict, xzProbeDict)
	if err != nil {
		return false
	}
	var b [1]byte
	n, err := io.ReadFull(Metered("xz-probe", x), b[:])
	return n == 1 || err == io.EOF
}
