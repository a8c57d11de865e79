package fit

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Flattened device tree structure tokens.
const (
	tokBeginNode = 1
	tokEndNode   = 2
	tokProp      = 3
	tokNop       = 4
	tokEnd       = 9

	maxDepth = 64
	maxNodes = 100000
	hdrLen   = 40
)

var fdtMagic = []byte{0xd0, 0x0d, 0xfe, 0xed}

type prop struct {
	name  string
	value []byte
}

type node struct {
	name     string
	props    []prop
	children []*node
}

func (n *node) prop(name string) ([]byte, bool) {
	for _, p := range n.props {
		if p.name == name {
			return p.value, true
		}
	}
	return nil, false
}

// str returns a property as a string (up to the first NUL).
func (n *node) str(name string) string {
	v, _ := n.prop(name)
	if i := bytes.IndexByte(v, 0); i >= 0 {
		v = v[:i]
	}
	return string(v)
}

// u32 returns a one-cell property.
func (n *node) u32(name string) (uint32, bool) {
	v, ok := n.prop(name)
	if !ok || len(v) != 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(v), true
}

func (n *node) child(name string) *node {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

type tree struct {
	totalSize uint32
	root      *node
	nodes     int
	reserve   [][2]uint64 // memory reservations: address, size
}

// maxReserve bounds the memory reservation entries read.
const maxReserve = 1024

// parseFDT parses a device tree blob; b may extend past its totalsize.
func parseFDT(b []byte) (*tree, error) {
	if len(b) < hdrLen || !bytes.Equal(b[:4], fdtMagic) {
		return nil, errors.New("fdt: bad magic")
	}
	be := binary.BigEndian
	total := be.Uint32(b[4:])
	offStruct, offStrings := be.Uint32(b[8:]), be.Uint32(b[12:])
	version, lastComp := be.Uint32(b[20:]), be.Uint32(b[24:])
	sizeStrings, sizeStruct := be.Uint32(b[32:]), be.Uint32(b[36:])
	if total < hdrLen || uint64(total) > uint64(len(b)) {
		return nil, fmt.Errorf("fdt: total size %d beyond the %d bytes available", total, len(b))
	}
	if version < 16 || lastComp > 17 {
		return nil, fmt.Errorf("fdt: version %d (compatible %d)", version, lastComp)
	}
	if version < 17 {
		sizeStruct = total - min(offStruct, total)
	}
	if offStruct%4 != 0 || uint64(offStruct)+uint64(sizeStruct) > uint64(total) ||
		uint64(offStrings)+uint64(sizeStrings) > uint64(total) {
		return nil, errors.New("fdt: blocks outside the blob")
	}
	offRsv := be.Uint32(b[16:])
	st := b[offStruct : offStruct+sizeStruct]
	strs := b[offStrings : offStrings+sizeStrings]
	t := &tree{totalSize: total}
	for i := 0; ; i++ {
		o := uint64(offRsv) + uint64(i)*16
		if i >= maxReserve || o+16 > uint64(total) {
			return nil, errors.New("fdt: memory reservation block not terminated")
		}
		addr, size := be.Uint64(b[o:]), be.Uint64(b[o+8:])
		if addr == 0 && size == 0 {
			break
		}
		t.reserve = append(t.reserve, [2]uint64{addr, size})
	}
	var stack []*node
	off := 0
	u32 := func() (uint32, error) {
		if off+4 > len(st) {
			return 0, errors.New("fdt: structure block truncated")
		}
		v := be.Uint32(st[off:])
		off += 4
		return v, nil
	}
	for {
		tok, err := u32()
		if err != nil {
			return nil, err
		}
		switch tok {
		case tokBeginNode:
			end := bytes.IndexByte(st[off:], 0)
			if end < 0 {
				return nil, errors.New("fdt: unterminated node name")
			}
			n := &node{name: string(st[off : off+end])}
			off += (end + 4) &^ 3
			if len(stack) == 0 {
				if t.root != nil {
					return nil, errors.New("fdt: second root node")
				}
				t.root = n
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			}
			if len(stack) >= maxDepth {
				return nil, errors.New("fdt: nodes nested too deep")
			}
			if t.nodes++; t.nodes > maxNodes {
				return nil, errors.New("fdt: too many nodes")
			}
			stack = append(stack, n)
		case tokEndNode:
			if len(stack) == 0 {
				return nil, errors.New("fdt: unbalanced end of node")
			}
			stack = stack[:len(stack)-1]
		case tokProp:
			l, err := u32()
			if err != nil {
				return nil, err
			}
			no, err := u32()
			if err != nil {
				return nil, err
			}
			if len(stack) == 0 || uint64(l) > uint64(len(st)-off) || no >= uint32(len(strs)) {
				return nil, errors.New("fdt: bad property")
			}
			ne := bytes.IndexByte(strs[no:], 0)
			if ne < 0 {
				return nil, errors.New("fdt: unterminated property name")
			}
			p := stack[len(stack)-1]
			p.props = append(p.props, prop{name: string(strs[no : int(no)+ne]), value: st[off : off+int(l)]})
			off += (int(l) + 3) &^ 3
		case tokNop:
		case tokEnd:
			if len(stack) != 0 || t.root == nil {
				return nil, errors.New("fdt: structure ends inside a node")
			}
			return t, nil
		default:
			return nil, fmt.Errorf("fdt: bad token %#x", tok)
		}
	}
}
