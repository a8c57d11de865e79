package ubifs

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

const (
	maxDepth   = 64
	maxNodes   = 1 << 22 // leaves taken from the index and the journal
	maxDataLen = dataHdrSize + 2*blockSize
)

// fsys holds the nodes that make up the current file system state: the
// committed index plus the replayed journal, newest node per key.
type fsys struct {
	r       io.ReaderAt
	size    int64
	sb      superblock
	inodes  map[uint32]*inode
	dents   map[uint32]map[string]*dent
	data    map[uint32]map[uint32]dataRef
	leaves  int
	visited map[int64]bool
	sink    format.Sink
	bad     int
}

func (f *fsys) leb() int64 { return int64(f.sb.lebSize) }

// readNode reads and validates the node at (lnum, offs); want is the node
// length when known (index branches carry it), else 0.
func (f *fsys) readNode(lnum, offs, want uint32) ([]byte, chdr, error) {
	if int64(lnum) >= f.size/f.leb() || int64(offs)+chSize > f.leb() {
		return nil, chdr{}, fmt.Errorf("%w: address %d:%d outside the image", errNode, lnum, offs)
	}
	base := int64(lnum)*f.leb() + int64(offs)
	n := int64(want)
	if n == 0 {
		var hb [chSize]byte
		if err := format.ReadFull(f.r, hb[:], base); err != nil {
			return nil, chdr{}, err
		}
		n = int64(binary.LittleEndian.Uint32(hb[16:]))
	}
	if n < chSize || int64(offs)+n > f.leb() {
		return nil, chdr{}, fmt.Errorf("%w: length %d at %d:%d", errNode, n, lnum, offs)
	}
	p, err := format.Bytes(f.r, base, n, f.leb())
	if err != nil {
		return nil, chdr{}, err
	}
	h, err := checkNode(p)
	if err != nil {
		return nil, h, fmt.Errorf("%w at %d:%d", err, lnum, offs)
	}
	return p[:h.len], h, nil
}

// problem reports a damaged node; only the first few are listed.
func (f *fsys) problem(err error) {
	f.bad++
	if f.bad <= 10 {
		f.sink.Problem("", err)
	} else if f.bad == 11 {
		f.sink.Problem("", errors.New("ubifs: further node errors not listed"))
	}
}

// findMaster returns the newest valid master node of LEBs 1 and 2. Master
// nodes sit at min_io_size boundaries, so the whole LEB is searched.
func (f *fsys) findMaster() (master, error) {
	step := uint32(mstSize)
	if io := f.sb.minIO; io > mstSize && io&(io-1) == 0 && int64(io) <= f.leb() {
		step = io
	}
	var best master
	found := false
	for lnum := uint32(1); lnum <= 2; lnum++ {
		for offs := uint32(0); int64(offs)+mstSize <= f.leb(); offs += step {
			p, h, err := f.readNode(lnum, offs, 0)
			if err != nil {
				continue
			}
			if m, ok := parseMaster(p, h); ok && (!found || m.sqnum > best.sqnum) {
				best, found = m, true
			}
		}
	}
	if !found {
		return master{}, errors.New("ubifs: no valid master node")
	}
	return best, nil
}

// nodes calls fn for each node of LEB lnum from offs on, in the order they
// were written, stepping over padding nodes and 0xCE padding bytes; it
// stops at the first byte that is neither (free space or damage).
func (f *fsys) nodes(ctx context.Context, lnum, offs uint32, fn func(p []byte, h chdr, addr int64)) {
	for int64(offs)+chSize <= f.leb() && ctx.Err() == nil {
		p, h, err := f.readNode(lnum, offs, 0)
		if err != nil {
			var b [1]byte
			if format.ReadFull(f.r, b[:], int64(lnum)*f.leb()+int64(offs)) != nil || b[0] != padByte {
				return
			}
			offs = (offs + 8) &^ 7 // a gap too small for a padding node
			continue
		}
		next := int64(offs) + int64((h.len+7)&^7)
		if h.typ == padNode && len(p) >= chSize+4 {
			next = int64(offs) + int64(h.len) + int64(binary.LittleEndian.Uint32(p[chSize:]))
			next = (next + 7) &^ 7
		} else {
			fn(p, h, int64(lnum)*f.leb()+int64(offs))
		}
		if next <= int64(offs) || next > f.leb() {
			return
		}
		offs = uint32(next)
	}
}

// walkIndex visits the index B-tree from the root named in the master node.
func (f *fsys) walkIndex(ctx context.Context, lnum, offs, ln uint32, depth int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	addr := int64(lnum)*f.leb() + int64(offs)
	if f.visited[addr] || depth > maxDepth {
		f.problem(fmt.Errorf("ubifs: index loop at %d:%d", lnum, offs))
		return nil
	}
	f.visited[addr] = true
	p, h, err := f.readNode(lnum, offs, ln)
	if err != nil {
		f.problem(err)
		return nil
	}
	if h.typ != idxNode {
		f.addLeaf(p, h, addr)
		return nil
	}
	if len(p) < 28 {
		f.problem(fmt.Errorf("%w: short index node at %d:%d", errNode, lnum, offs))
		return nil
	}
	cnt := int(binary.LittleEndian.Uint16(p[24:]))
	if 28+cnt*branchSize > len(p) {
		f.problem(fmt.Errorf("%w: index node with %d branches at %d:%d", errNode, cnt, lnum, offs))
		cnt = (len(p) - 28) / branchSize
	}
	for i := 0; i < cnt; i++ {
		b := p[28+i*branchSize:]
		le := binary.LittleEndian
		if err := f.walkIndex(ctx, le.Uint32(b), le.Uint32(b[4:]), le.Uint32(b[8:]), depth+1); err != nil {
			return err
		}
	}
	return nil
}

// addLeaf records an inode, directory entry or data node when it is newer
// than what is known for its key.
func (f *fsys) addLeaf(p []byte, h chdr, addr int64) {
	if f.leaves >= maxNodes {
		return
	}
	le := binary.LittleEndian
	switch h.typ {
	case inoNode:
		if len(p) < inoHdrSize {
			return
		}
		k := parseKey(p[24:])
		if old := f.inodes[k.inum]; old != nil && old.sqnum > h.sqnum {
			return
		}
		n := int(le.Uint32(p[112:]))
		if inoHdrSize+n > len(p) {
			n = len(p) - inoHdrSize
		}
		f.inodes[k.inum] = &inode{
			sqnum:   h.sqnum,
			size:    le.Uint64(p[48:]),
			mtime:   int64(le.Uint64(p[72:])),
			mtimeNs: le.Uint32(p[88:]),
			nlink:   le.Uint32(p[92:]),
			uid:     le.Uint32(p[96:]),
			gid:     le.Uint32(p[100:]),
			mode:    le.Uint32(p[104:]),
			data:    append([]byte(nil), p[inoHdrSize:inoHdrSize+n]...),
		}
	case dentNode:
		if len(p) < dentHdrSize {
			return
		}
		k := parseKey(p[24:])
		nl := int(le.Uint16(p[50:]))
		if dentHdrSize+nl > len(p) || nl == 0 {
			f.problem(fmt.Errorf("%w: directory entry name length %d", errNode, nl))
			return
		}
		d := &dent{sqnum: h.sqnum, inum: le.Uint64(p[40:]), typ: p[49], name: string(p[dentHdrSize : dentHdrSize+nl])}
		m := f.dents[k.inum]
		if m == nil {
			m = map[string]*dent{}
			f.dents[k.inum] = m
		}
		if old := m[d.name]; old != nil && old.sqnum > d.sqnum {
			return
		}
		m[d.name] = d
	case dataNode:
		if len(p) < dataHdrSize {
			return
		}
		k := parseKey(p[24:])
		m := f.data[k.inum]
		if m == nil {
			m = map[uint32]dataRef{}
			f.data[k.inum] = m
		}
		if old, ok := m[k.val]; ok && old.sqnum > h.sqnum {
			return
		}
		m[k.val] = dataRef{sqnum: h.sqnum, off: addr, len: h.len}
	default:
		return
	}
	f.leaves++
}

// replayJournal applies the buds referenced from the log after the commit
// start node of the current commit: nodes written since the last commit
// are not in the index yet.
func (f *fsys) replayJournal(ctx context.Context, m master) {
	nlog := f.sb.logLEBs
	if nlog == 0 || int64(logLnum+nlog) > f.size/f.leb() {
		return
	}
	var csSqnum uint64
	started := false
	seen := map[int64]bool{}
	for i := uint32(0); i < nlog; i++ {
		lnum := logLnum + (m.logLnum-logLnum+i)%nlog
		if m.logLnum < logLnum {
			lnum = logLnum + i
		}
		f.nodes(ctx, lnum, 0, func(p []byte, h chdr, _ int64) {
			switch {
			case h.typ == csNode && len(p) >= 32:
				if binary.LittleEndian.Uint64(p[24:]) == m.cmtNo {
					started, csSqnum = true, h.sqnum
				}
			case h.typ == refNode && started && h.sqnum > csSqnum && len(p) >= 36:
				bl, bo := binary.LittleEndian.Uint32(p[24:]), binary.LittleEndian.Uint32(p[28:])
				addr := int64(bl)*f.leb() + int64(bo)
				if !seen[addr] {
					seen[addr] = true
					// A bud's nodes are not in the index yet.
					f.nodes(ctx, bl, bo, func(p []byte, h chdr, addr int64) { f.addLeaf(p, h, addr) })
				}
			}
		})
	}
}
