package fat

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

const (
	attrReadOnly = 0x01
	attrVolume   = 0x08
	attrDir      = 0x10
	attrLFN      = 0x0F

	maxDirBytes = 65536 * 32 // the FAT limit of 65536 entries per directory
)

var (
	errChainLoop  = errors.New("cluster chain loops")
	errBadCluster = errors.New("cluster chain points outside the volume")
	errShortChain = errors.New("cluster chain shorter than the file")
	errDirLoop    = errors.New("directory visited twice (loop)")
	errBadName    = errors.New("file name holds a NUL or slash")
	errDirBudget  = errors.New("directories larger than the image (merged chains)")
)

type extractor struct {
	ctx  context.Context
	r    io.ReaderAt
	v    *volume
	fat  []byte
	seen []byte // cluster bitset, cleared after each chain
	sink format.Sink
	dirs map[uint32]bool
	// dirBudget bounds the directory bytes read in total: directories
	// never share clusters, so more than the image size means chains
	// that merge into each other.
	dirBudget int64
}

func (Format) Extract(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	v, err := readVolume(r, size)
	if err != nil {
		return err
	}
	if want := v.totalSectors * v.bps; size < want {
		sink.Problem("", fmt.Errorf("image truncated: %d of %d bytes", size, want))
	}
	fat, err := format.Bytes(r, v.fatOff, v.fatBytes, size)
	if err != nil {
		return fmt.Errorf("reading the FAT: %w", err)
	}
	x := &extractor{ctx: ctx, r: r, v: v, fat: fat, sink: sink, dirs: map[uint32]bool{},
		seen: make([]byte, (int64(v.clusters)+2+7)/8), dirBudget: size + 1<<20}
	var root []byte
	if v.bits == 32 {
		x.dirs[v.rootCluster] = true
		root, err = x.dirBytes(v.rootCluster)
	} else {
		root, err = format.Bytes(r, v.rootOff, v.rootEntries*32, size)
	}
	if err != nil {
		sink.Problem("", fmt.Errorf("root directory: %w", err))
	}
	type dir struct {
		path string
		data []byte
	}
	stack := []dir{{"", root}}
	for len(stack) > 0 {
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, e := range parseDir(d.data) {
			if v.bits != 32 {
				e.cluster &= 0xFFFF // the high word is not a cluster number there
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			p := path.Join(d.path, e.name)
			if strings.ContainsAny(e.name, "/\x00") {
				sink.Problem(d.path, errBadName)
				continue
			}
			ent := format.Entry{Path: p, ModTime: e.mtime, Mode: 0o644}
			if e.attr&attrReadOnly != 0 {
				ent.Mode = 0o444
			}
			if e.attr&attrDir != 0 {
				ent.Mode = fs.ModeDir | 0o755
				if e.cluster == 0 || x.dirs[e.cluster] {
					sink.Problem(p, errDirLoop)
					continue
				}
				x.dirs[e.cluster] = true
				if err := sink.Add(ent, nil); err != nil {
					return err
				}
				data, err := x.dirBytes(e.cluster)
				if err != nil {
					sink.Problem(p, err)
				}
				stack = append(stack, dir{p, data})
				continue
			}
			ent.Size = int64(e.size)
			rd, err := x.file(e)
			if err != nil {
				sink.Problem(p, err)
			}
			if err := sink.Add(ent, rd); err != nil {
				return err
			}
		}
	}
	return nil
}

// next returns the FAT entry of cluster c.
func (x *extractor) next(c uint32) uint32 {
	switch x.v.bits {
	case 12:
		off := int(c) + int(c)/2
		if off+2 > len(x.fat) {
			return 0
		}
		val := uint32(binary.LittleEndian.Uint16(x.fat[off:]))
		if c&1 == 1 {
			return val >> 4
		}
		return val & 0xFFF
	case 16:
		if int(c)*2+2 > len(x.fat) {
			return 0
		}
		return uint32(binary.LittleEndian.Uint16(x.fat[2*c:]))
	}
	if int(c)*4+4 > len(x.fat) {
		return 0
	}
	return binary.LittleEndian.Uint32(x.fat[4*c:]) & 0x0FFFFFFF
}

func (x *extractor) isEOC(c uint32) bool {
	switch x.v.bits {
	case 12:
		return c >= 0xFF8
	case 16:
		return c >= 0xFFF8
	}
	return c >= 0x0FFFFFF8
}

// chain follows a cluster chain from start, at most max clusters long.
func (x *extractor) chain(start uint32, max int64) ([]uint32, error) {
	var out []uint32
	defer func() {
		for _, c := range out {
			x.seen[c/8] &^= 1 << (c % 8)
		}
	}()
	c := start
	for int64(len(out)) < max {
		if c < 2 || c >= x.v.clusters+2 {
			return append([]uint32(nil), out...), errBadCluster
		}
		if x.seen[c/8]&(1<<(c%8)) != 0 {
			return append([]uint32(nil), out...), errChainLoop
		}
		x.seen[c/8] |= 1 << (c % 8)
		out = append(out, c)
		n := x.next(c)
		if x.isEOC(n) {
			break
		}
		c = n
	}
	return append([]uint32(nil), out...), nil
}

func (x *extractor) clusterOff(c uint32) int64 {
	return x.v.dataOff + int64(c-2)*x.v.clusterSize
}

func (x *extractor) dirBytes(start uint32) ([]byte, error) {
	cl, err := x.chain(start, max(1, maxDirBytes/x.v.clusterSize))
	if x.dirBudget -= int64(len(cl)) * x.v.clusterSize; x.dirBudget < 0 {
		return nil, errDirBudget
	}
	buf := make([]byte, 0, int64(len(cl))*x.v.clusterSize)
	for _, c := range cl {
		b := make([]byte, x.v.clusterSize)
		if rerr := format.ReadFull(x.r, b, x.clusterOff(c)); rerr != nil {
			return buf, rerr
		}
		buf = append(buf, b...)
	}
	return buf, err
}

// file returns a reader over a file's clusters; a damaged chain yields
// what could be read and an error.
func (x *extractor) file(e dirent) (io.Reader, error) {
	if e.size == 0 {
		return strings.NewReader(""), nil
	}
	need := (int64(e.size) + x.v.clusterSize - 1) / x.v.clusterSize
	cl, err := x.chain(e.cluster, need)
	if err == nil && int64(len(cl)) < need {
		err = errShortChain
	}
	var rs []io.Reader
	left := int64(e.size)
	for _, c := range cl {
		n := min(left, x.v.clusterSize)
		rs = append(rs, io.NewSectionReader(x.r, x.clusterOff(c), n))
		left -= n
	}
	return io.MultiReader(rs...), err
}

type dirent struct {
	name    string
	attr    byte
	cluster uint32
	size    uint32
	mtime   time.Time
}

// parseDir decodes the live entries of a directory, joining VFAT long
// names whose checksum matches their 8.3 entry.
func parseDir(b []byte) []dirent {
	var out []dirent
	var lfn [20][13]uint16
	lfnCount, lfnNext, lfnSum := 0, 0, byte(0)
	le := binary.LittleEndian
	for p := 0; p+32 <= len(b); p += 32 {
		e := b[p : p+32]
		attr := e[0x0B]
		switch {
		case e[0] == 0:
			return out
		case e[0] == 0xE5:
			lfnNext = 0
			continue
		case attr&0x3F == attrLFN:
			ord := int(e[0] & 0x1F)
			if e[0]&0x40 != 0 {
				lfnCount, lfnNext, lfnSum = ord, ord, e[13]
			}
			if ord == 0 || ord > len(lfn) || ord != lfnNext || e[13] != lfnSum {
				lfnNext = 0
				continue
			}
			part := &lfn[ord-1]
			for i := 0; i < 5; i++ {
				part[i] = le.Uint16(e[1+2*i:])
			}
			for i := 0; i < 6; i++ {
				part[5+i] = le.Uint16(e[14+2*i:])
			}
			for i := 0; i < 2; i++ {
				part[11+i] = le.Uint16(e[28+2*i:])
			}
			lfnNext--
			if lfnNext == 0 {
				lfnNext = -1 // complete: waiting for the 8.3 entry
			}
			continue
		case attr&attrVolume != 0:
			lfnNext = 0
			continue
		}
		complete := lfnNext == -1
		lfnNext = 0
		name := shortName(e)
		if name == "." || name == ".." || name == "" {
			continue
		}
		if complete && checksum(e[:11]) == lfnSum {
			var u []uint16
		parts:
			for i := 0; i < lfnCount; i++ {
				for _, c := range lfn[i] {
					if c == 0 {
						break parts
					}
					u = append(u, c)
				}
			}
			if n := string(utf16.Decode(u)); n != "." && n != ".." && n != "" {
				name = n
			}
		}
		d := dirent{
			name:    name,
			attr:    attr,
			cluster: uint32(le.Uint16(e[0x14:]))<<16 | uint32(le.Uint16(e[0x1A:])),
			size:    le.Uint32(e[0x1C:]),
			mtime:   dosTime(le.Uint16(e[0x18:]), le.Uint16(e[0x16:])),
		}
		out = append(out, d)
	}
	return out
}

func checksum(name []byte) byte {
	var s byte
	for _, c := range name {
		s = (s&1)<<7 + s>>1 + c
	}
	return s
}

// shortName decodes an 8.3 name, honouring the NT lower-case flags.
func shortName(e []byte) string {
	raw := append([]byte(nil), e[:11]...)
	if raw[0] == 0x05 {
		raw[0] = 0xE5
	}
	base := strings.TrimRight(latin1(raw[:8]), " ")
	ext := strings.TrimRight(latin1(raw[8:11]), " ")
	if e[0x0C]&0x08 != 0 {
		base = strings.ToLower(base)
	}
	if e[0x0C]&0x10 != 0 {
		ext = strings.ToLower(ext)
	}
	if ext != "" {
		return base + "." + ext
	}
	return base
}

func latin1(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// dosTime decodes a FAT date and time (local time of the writer; kept as UTC).
func dosTime(date, tm uint16) time.Time {
	if date == 0 {
		return time.Time{}
	}
	y, mo, d := 1980+int(date>>9), time.Month(date>>5&0xF), int(date&0x1F)
	h, mi, s := int(tm>>11), int(tm>>5&0x3F), int(tm&0x1F)*2
	if mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 {
		return time.Time{}
	}
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}
