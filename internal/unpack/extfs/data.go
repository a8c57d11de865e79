package extfs

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"sort"
)

var errNoInline = errors.New("inline data attribute missing")

// contents returns a reader over a file's bytes: inline data, or its block
// map with holes as zeros.
func (f *fsys) contents(ctx context.Context, in *inode) (io.Reader, error) {
	if in.flags&flagInline != 0 {
		b, err := inlineData(in)
		if err != nil {
			return nil, err
		}
		return bytes.NewReader(b[:min(in.size, uint64(len(b)))]), nil
	}
	bs := uint64(f.sb.blockSize)
	nblocks := in.size/bs + 1
	runs, err := f.blockRuns(in, nblocks)
	sort.Slice(runs, func(i, j int) bool { return runs[i].logical < runs[j].logical })
	return &fileReader{ctx: ctx, f: f, runs: runs, size: in.size}, err
}

// inlineData returns i_block followed by the "system.data" extended
// attribute stored in the inode's extra space (ext4 inline_data).
func inlineData(in *inode) ([]byte, error) {
	out := append([]byte(nil), in.block[:]...)
	if uint64(len(out)) >= in.size {
		return out, nil
	}
	le := binary.LittleEndian
	raw := in.raw
	if len(raw) <= 128+4 {
		return nil, errNoInline
	}
	start := 128 + int(le.Uint16(raw[0x80:]))
	if start+4 > len(raw) || le.Uint32(raw[start:]) != 0xEA020000 {
		return nil, errNoInline
	}
	base := start + 4
	for p := base; p+16 <= len(raw); {
		nameLen := int(raw[p])
		if le.Uint32(raw[p:]) == 0 {
			break
		}
		if p+16+nameLen > len(raw) {
			break
		}
		idx := raw[p+1]
		voff := int(le.Uint16(raw[p+2:]))
		vsize := int(le.Uint32(raw[p+8:]))
		if idx == 7 && string(raw[p+16:p+16+nameLen]) == "data" {
			if base+voff+vsize > len(raw) || vsize < 0 {
				return nil, errNoInline
			}
			return append(out, raw[base+voff:base+voff+vsize]...), nil
		}
		p += (16 + nameLen + 3) &^ 3
	}
	return nil, errNoInline
}

// fileReader streams a file through its block runs.
type fileReader struct {
	ctx  context.Context
	f    *fsys
	runs []run
	size uint64
	pos  uint64
}

func (fr *fileReader) Read(p []byte) (int, error) {
	if fr.pos >= fr.size {
		return 0, io.EOF
	}
	if err := fr.ctx.Err(); err != nil {
		return 0, err
	}
	bs := uint64(fr.f.sb.blockSize)
	lb := fr.pos / bs
	off := fr.pos % bs
	want := min(uint64(len(p)), fr.size-fr.pos)
	i := sort.Search(len(fr.runs), func(i int) bool { return fr.runs[i].logical+fr.runs[i].count > lb })
	if i < len(fr.runs) && fr.runs[i].logical <= lb {
		r := fr.runs[i]
		want = min(want, (r.logical+r.count-lb)*bs-off)
		phys := r.phys + (lb - r.logical)
		if phys >= fr.f.sb.blocksCount {
			return 0, errBadBlock
		}
		at := phys*bs + off
		n, err := fr.f.r.ReadAt(p[:want], int64(at))
		fr.pos += uint64(n)
		if n < int(want) {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return n, err
		}
		return n, nil
	}
	// A hole up to the next run (or the end).
	if i < len(fr.runs) {
		want = min(want, fr.runs[i].logical*bs-fr.pos)
	}
	clear(p[:want])
	fr.pos += want
	return int(want), nil
}
