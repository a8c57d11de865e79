package jffs2

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

const (
	rootIno  = 1
	pageSize = 4096
	// maxDsize bounds the data of one node (the kernel writes at most a
	// page per node; allow large pages).
	maxDsize = 64 << 10
	// maxHole bounds zeros after the last data of a file.
	maxHole       = 64 << 20
	maxLinkTarget = 4096
)

type dirent struct {
	version uint32
	ino     uint32
	name    string
}

// dataNode is one inode node: metadata plus a fragment of file data.
type dataNode struct {
	version  uint32
	mode     uint32
	uid, gid uint16
	isize    uint32
	mtime    uint32
	offset   uint32
	dsize    uint32
	csize    uint32
	compr    uint8
	dataOff  int64 // absolute offset of the compressed data
}

type fsys struct {
	r       io.ReaderAt
	bo      binary.ByteOrder
	sink    format.Sink
	dents   map[uint32]map[string]*dirent
	nodes   map[uint32][]*dataNode
	badNode int
	badData int
	unsup   map[uint8]bool
}

func newFsys(r io.ReaderAt, bo binary.ByteOrder, sink format.Sink) *fsys {
	return &fsys{r: r, bo: bo, sink: sink, dents: map[uint32]map[string]*dirent{},
		nodes: map[uint32][]*dataNode{}, unsup: map[uint8]bool{}}
}

// visit records dirent and inode nodes whose node (and data) CRCs hold.
// Obsolete nodes (accurate bit cleared) are ignored.
func (f *fsys) visit(off int64, h header, p []byte) {
	bo := f.bo
	switch h.typ {
	case typeDirent:
		if len(p) < direntSize || crc(p[:direntSize-8]) != bo.Uint32(p[32:]) {
			f.badNode++
			return
		}
		n := int(p[28])
		if direntSize+n > len(p) || crc(p[direntSize:direntSize+n]) != bo.Uint32(p[36:]) {
			f.badData++
			return
		}
		d := &dirent{version: bo.Uint32(p[16:]), ino: bo.Uint32(p[20:]), name: string(p[direntSize : direntSize+n])}
		pino := bo.Uint32(p[12:])
		m := f.dents[pino]
		if m == nil {
			m = map[string]*dirent{}
			f.dents[pino] = m
		}
		if old := m[d.name]; old == nil || d.version >= old.version {
			m[d.name] = d
		}
	case typeInode:
		if len(p) < inodeSize || crc(p[:inodeSize-8]) != bo.Uint32(p[64:]) {
			f.badNode++
			return
		}
		n := &dataNode{
			version: bo.Uint32(p[16:]),
			mode:    bo.Uint32(p[20:]),
			uid:     bo.Uint16(p[24:]),
			gid:     bo.Uint16(p[26:]),
			isize:   bo.Uint32(p[28:]),
			mtime:   bo.Uint32(p[36:]),
			offset:  bo.Uint32(p[44:]),
			csize:   bo.Uint32(p[48:]),
			dsize:   bo.Uint32(p[52:]),
			compr:   p[56],
			dataOff: off + inodeSize,
		}
		if int64(inodeSize)+int64(n.csize) > int64(len(p)) || n.dsize > maxDsize {
			f.badNode++
			return
		}
		if crc(p[inodeSize:inodeSize+n.csize]) != bo.Uint32(p[60:]) {
			f.badData++
			return
		}
		ino := bo.Uint32(p[12:])
		f.nodes[ino] = append(f.nodes[ino], n)
	}
}

// sortNodes orders the nodes of every inode by version, once.
func (f *fsys) sortNodes() {
	for _, ns := range f.nodes {
		sort.SliceStable(ns, func(i, j int) bool { return ns[i].version < ns[j].version })
	}
}

// latest returns the nodes of ino (sorted by sortNodes) and the newest one.
func (f *fsys) latest(ino uint32) ([]*dataNode, *dataNode) {
	ns := f.nodes[ino]
	if len(ns) == 0 {
		return nil, nil
	}
	return ns, ns[len(ns)-1]
}

// data reads and decompresses the data of one node.
func (f *fsys) data(n *dataNode) ([]byte, error) {
	src, err := format.Bytes(f.r, n.dataOff, int64(n.csize), maxNode)
	if err != nil {
		return nil, err
	}
	return decompress(n.compr, src, int(n.dsize))
}

// tree walks the directories from the root inode and emits every entry.
func (f *fsys) tree(ctx context.Context) error {
	type item struct {
		ino  uint32
		path string
	}
	f.sortNodes()
	visited := map[uint32]bool{rootIno: true}
	links := map[uint32]string{}
	stack := []item{{rootIno, ""}}
	for len(stack) > 0 {
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		var names []string
		for name, de := range f.dents[d.ino] {
			if de.ino != 0 { // ino 0: the name was unlinked
				names = append(names, name)
			}
		}
		sort.Strings(names)
		for _, name := range names {
			if err := ctx.Err(); err != nil {
				return err
			}
			de := f.dents[d.ino][name]
			p := path.Join(d.path, name)
			if name == "." || name == ".." || name == "" || strings.ContainsAny(name, "/\x00") {
				f.sink.Problem(p, errors.New("jffs2: invalid directory entry name"))
				continue
			}
			ns, in := f.latest(de.ino)
			if in == nil {
				f.sink.Problem(p, fmt.Errorf("jffs2: inode %d not found", de.ino))
				continue
			}
			e := format.Entry{Path: p, Mode: format.UnixMode(in.mode), UID: int(in.uid), GID: int(in.gid),
				ModTime: time.Unix(int64(in.mtime), 0).UTC()}
			switch {
			case e.Mode.IsDir():
				if visited[de.ino] {
					f.sink.Problem(p, errors.New("jffs2: directory linked twice (loop)"))
					continue
				}
				visited[de.ino] = true
				if err := f.sink.Add(e, nil); err != nil {
					return err
				}
				stack = append(stack, item{de.ino, p})
			case e.Mode&fs.ModeSymlink != 0:
				t, err := f.data(in)
				if err != nil {
					f.sink.Problem(p, fmt.Errorf("jffs2: symlink target: %w", err))
				}
				e.Linkname = string(t[:min(len(t), maxLinkTarget)])
				if err := f.sink.Add(e, nil); err != nil {
					return err
				}
			case e.Mode.IsRegular():
				if first, ok := links[de.ino]; ok {
					e.Hardlink, e.Linkname = true, first
					if err := f.sink.Add(e, nil); err != nil {
						return err
					}
					continue
				}
				links[de.ino] = p
				rd := f.fileReader(ns, in.isize, p)
				e.Size = rd.size
				if err := f.sink.Add(e, rd.reader(ctx)); err != nil {
					return err
				}
			default:
				if e.Mode&fs.ModeDevice != 0 {
					f.device(&e, in)
				}
				if err := f.sink.Add(e, nil); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// device reads a device node's number: its data is the 16-bit old or the
// 32-bit new Linux encoding.
func (f *fsys) device(e *format.Entry, in *dataNode) {
	b, err := f.data(in)
	switch {
	case err != nil:
		f.sink.Problem(e.Path, fmt.Errorf("jffs2: device number: %w", err))
	case len(b) == 2:
		e.DevMajor, e.DevMinor = format.LinuxDev(uint32(f.bo.Uint16(b)))
	case len(b) == 4:
		e.DevMajor, e.DevMinor = format.LinuxDev(f.bo.Uint32(b))
	}
}
