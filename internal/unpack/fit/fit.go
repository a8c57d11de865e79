// Package fit unpacks flattened device tree blobs: every blob becomes a
// source listing (devicetree.dts, as dtc -I dtb -O dts prints it), the
// images of a U-Boot FIT (an /images node; embedded or external data,
// optionally compressed) become files, and so does every other embedded
// blob (a "data" property, or any property of 4 KiB or more).
package fit

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strings"

	"github.com/thingsec/thingsec/internal/unpack/compress"
	"github.com/thingsec/thingsec/internal/unpack/decomp"
	"github.com/thingsec/thingsec/internal/unpack/format"
)

// maxBlob bounds the device tree read into memory (a FIT with embedded
// data holds whole kernels and root file systems).
const maxBlob = 256 << 20

// methods maps FIT compression names to decomp.NewReader methods.
var methods = map[string]string{"gzip": "gzip", "bzip2": "bzip2", "lzma": "lzma", "lzo": decomp.Lzop, "lz4": "lz4", "zstd": "zstd"}

type fit struct{}

// New returns the FIT / device tree format.
func New() format.Format { return fit{} }

func (fit) Name() string                   { return "fit" }
func (fit) Kind() format.Kind              { return format.Container }
func (fit) Signatures() []format.Signature { return []format.Signature{{Magic: fdtMagic}} }

// load reads and parses the blob at the start of r.
func load(r io.ReaderAt, size int64) ([]byte, *tree, error) {
	var h [hdrLen]byte
	if size < hdrLen || format.ReadFull(r, h[:], 0) != nil || !bytes.Equal(h[:4], fdtMagic) {
		return nil, nil, fmt.Errorf("%w: fdt magic", format.ErrNotMatch)
	}
	total := int64(binary.BigEndian.Uint32(h[4:]))
	if total < hdrLen || total > size || total > maxBlob {
		return nil, nil, fmt.Errorf("%w: fdt total size %d", format.ErrNotMatch, total)
	}
	// Grown as read: a junk header's total must not cost its size in
	// memory before the (metered) read fails.
	b, err := format.ReadGrow(r, 0, total)
	if err != nil {
		return nil, nil, err
	}
	t, err := parseFDT(b)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", format.ErrNotMatch, err)
	}
	return b, t, nil
}

// fitImage is one /images subnode and where its data is.
type fitImage struct {
	name, compression string
	data              []byte // embedded data, or nil
	off, size         int64  // external data, relative to the FIT start
}

// images lists the images of a FIT; ok is false for a plain device tree.
func images(t *tree) ([]fitImage, bool) {
	imgs := t.root.child("images")
	if imgs == nil {
		return nil, false
	}
	ext := int64(t.totalSize+3) &^ 3
	var out []fitImage
	for _, c := range imgs.children {
		im := fitImage{name: c.name, compression: c.str("compression"), off: -1}
		if d, ok := c.prop("data"); ok {
			im.data = d
		} else if sz, ok := c.u32("data-size"); ok {
			im.size = int64(sz)
			if o, ok := c.u32("data-offset"); ok {
				im.off = ext + int64(o)
			} else if p, ok := c.u32("data-position"); ok {
				im.off = int64(p)
			}
		}
		out = append(out, im)
	}
	return out, len(out) > 0
}

func (fit) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	_, t, err := load(r, size)
	if err != nil {
		return format.Match{}, err
	}
	m := format.Match{Size: int64(t.totalSize), Extractable: true}
	imgs, ok := images(t)
	if !ok {
		desc := "device tree blob"
		if s := t.root.str("model"); s != "" {
			desc += fmt.Sprintf(", model %q", s)
		}
		if v, ok := t.root.prop("compatible"); ok && len(v) > 0 && isStringList(v) {
			desc += fmt.Sprintf(", compatible %q", strings.Join(strings.Split(string(v[:len(v)-1]), "\x00"), ", "))
		}
		m.Description = fmt.Sprintf("%s, %d nodes", desc, t.nodes)
		return m, nil
	}
	var names []string
	for _, im := range imgs {
		names = append(names, im.name)
		if im.off >= 0 && im.off+im.size <= size && im.off+im.size > m.Size {
			m.Size = im.off + im.size // external data follows the tree
		}
	}
	m.Description = fmt.Sprintf("FIT image %q, images: %s", t.root.str("description"), strings.Join(names, ", "))
	return m, nil
}

// DTSName is the layer path of a blob's source listing.
const DTSName = "devicetree.dts"

// blobMin is the size from which a property is an embedded blob, not
// configuration: it is unpacked as a file instead of listed.
const blobMin = 4096

func (fit) Extract(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	_, t, err := load(r, size)
	if err != nil {
		return err
	}
	imgs, _ := images(t)
	// unpacked maps "node path\x00property" to the file holding its bytes.
	unpacked := map[string]string{}
	var blobs []blob
	for _, im := range imgs {
		name := safeName(im.name)
		if im.data != nil {
			unpacked["/images/"+im.name+"\x00data"] = name
		}
	}
	walkProps(t.root, "/", func(path string, p prop) {
		key := path + "\x00" + p.name
		if _, done := unpacked[key]; done || (p.name != "data" && len(p.value) < blobMin) || len(p.value) == 0 {
			return
		}
		name := strings.TrimPrefix(path+"/"+p.name, "/")
		unpacked[key] = name
		blobs = append(blobs, blob{name, p.value})
	})
	listing := source(t, func(path, prop string) (string, bool) {
		to, ok := unpacked[path+"\x00"+prop]
		return to, ok
	})
	if err := sink.Add(format.Entry{Path: DTSName, Mode: 0o644, Size: int64(len(listing))}, strings.NewReader(listing)); err != nil {
		return err
	}
	for _, bl := range blobs {
		if err := sink.Add(format.Entry{Path: bl.name, Mode: 0o644, Size: int64(len(bl.data))}, bytes.NewReader(bl.data)); err != nil {
			return err
		}
	}
	for _, im := range imgs {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := safeName(im.name)
		var data io.ReaderAt
		var n int64
		switch {
		case im.data != nil:
			data, n = bytes.NewReader(im.data), int64(len(im.data))
		case im.off >= 0 && im.off+im.size <= size:
			data, n = io.NewSectionReader(r, im.off, im.size), im.size
		case im.off >= 0:
			sink.Problem(name, fmt.Errorf("fit: external data at %d+%d beyond the %d bytes available", im.off, im.size, size))
			continue
		default:
			sink.Problem(name, fmt.Errorf("fit: image without data"))
			continue
		}
		if err := addImage(ctx, sink, name, im.compression, data, n); err != nil {
			return err
		}
	}
	return nil
}

type blob struct {
	name string
	data []byte
}

// safeName makes a FIT image name one path element.
func safeName(s string) string {
	s = strings.ReplaceAll(s, "/", "_")
	if s == "" || s == "." || s == ".." || s == DTSName {
		return "image"
	}
	return s
}

// walkProps calls f for every property of every node, depth first.
func walkProps(n *node, path string, f func(path string, p prop)) {
	for _, p := range n.props {
		f(path, p)
	}
	for _, c := range n.children {
		walkProps(c, strings.TrimSuffix(path, "/")+"/"+c.name, f)
	}
}

func addImage(ctx context.Context, sink format.Sink, name, comp string, data io.ReaderAt, n int64) error {
	raw := func() error {
		return sink.Add(format.Entry{Path: name, Mode: 0o644, Size: n}, io.NewSectionReader(data, 0, n))
	}
	if comp == "" || comp == "none" {
		return raw()
	}
	method, ok := methods[comp]
	if !ok {
		sink.Problem(name, format.Unsupported("FIT compression "+comp))
		return raw()
	}
	// A payload that does not decode stays raw; it is decoded once.
	return compress.AddChecked(ctx, sink, name, method, data, n, func(err error) error {
		return fmt.Errorf("fit: %s data does not decode, kept raw: %w", comp, err)
	})
}
