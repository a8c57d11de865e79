package sparse

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// unsparser streams the expanded image chunk by chunk, checking crc32
// chunks against the bytes produced so far. Problems are collected and
// reported by Extract after the sink has consumed the stream.
type unsparser struct {
	ctx      context.Context
	r        io.ReaderAt
	blkSz    int64
	segs     []segment
	i        int   // current segment
	pos      int64 // bytes produced of the current segment
	fill     [4]byte
	crc      hash.Hash32
	problems []error
	done     bool
}

func (u *unsparser) Read(p []byte) (int, error) {
	for u.i < len(u.segs) {
		if err := u.ctx.Err(); err != nil {
			return 0, err
		}
		s := u.segs[u.i]
		n := s.blocks*u.blkSz - u.pos
		if s.typ == chunkCRC {
			u.checkCRC(s)
		}
		if n <= 0 {
			u.i++
			u.pos = 0
			continue
		}
		if int64(len(p)) < n {
			n = int64(len(p))
		}
		q := p[:n]
		switch s.typ {
		case chunkRaw:
			if err := format.ReadFull(u.r, q, s.dataOff+u.pos); err != nil {
				return 0, err
			}
		case chunkFill:
			if u.pos == 0 {
				if err := format.ReadFull(u.r, u.fill[:], s.dataOff); err != nil {
					return 0, err
				}
			}
			for j := range q {
				q[j] = u.fill[(u.pos+int64(j))%4]
			}
		default:
			clear(q)
		}
		u.pos += n
		u.crc.Write(q)
		return int(n), nil
	}
	u.done = true
	return 0, io.EOF
}

func (u *unsparser) checkCRC(s segment) {
	var b [4]byte
	if err := format.ReadFull(u.r, b[:], s.dataOff); err != nil {
		u.problems = append(u.problems, err)
		return
	}
	if want, got := binary.LittleEndian.Uint32(b[:]), u.crc.Sum32(); want != got {
		u.problems = append(u.problems, fmt.Errorf("android sparse: crc32 chunk %#x, data gives %#x", want, got))
	}
}
