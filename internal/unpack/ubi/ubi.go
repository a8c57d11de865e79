// Package ubi unpacks UBI images (UBI version 1, as written by ubinize or
// dumped from NAND): every volume, static or dynamic, becomes one file named
// after the volume.
package ubi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

type ubiFormat struct{}

// New returns the UBI unpacker.
func New() format.Format { return ubiFormat{} }

func (ubiFormat) Name() string      { return "ubi" }
func (ubiFormat) Kind() format.Kind { return format.Container }

func (ubiFormat) Signatures() []format.Signature {
	return []format.Signature{{Magic: ecMagic, Offset: 0}}
}

func (ubiFormat) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	im, err := scan(context.Background(), r, size)
	if err != nil {
		return format.Match{}, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "UBI v%d, PEB %s, %d volumes", im.version, kib(im.peb), len(im.vols))
	for i, v := range im.vols {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s (%s, %d LEBs)", v.name, typeName(v.volType), v.mapped)
	}
	return format.Match{Size: im.size, Description: b.String(), Extractable: true}, nil
}

func kib(n int64) string {
	if n%1024 == 0 {
		return fmt.Sprintf("%d KiB", n/1024)
	}
	return fmt.Sprintf("%d bytes", n)
}

func (ubiFormat) Extract(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	im, err := scan(ctx, r, size)
	if err != nil {
		return err
	}
	if !im.vtblOK {
		sink.Problem("", errors.New("ubi: no valid volume table, volumes named by id"))
	}
	if im.vtblBadCopy {
		sink.Problem("", errors.New("ubi: a copy of the volume table is damaged"))
	}
	if im.badVID > 0 {
		sink.Problem("", fmt.Errorf("ubi: %d erase blocks with a damaged VID header skipped", im.badVID))
	}
	used := map[string]bool{}
	for _, v := range im.vols {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := strings.ReplaceAll(v.name, "/", "_")
		if name == "" || name == "." || name == ".." || used[name] {
			name = fmt.Sprintf("volume%d", v.id)
		}
		used[name] = true
		rd, n := im.volumeReader(r, v, name, sink)
		if err := sink.Add(format.Entry{Path: name, Mode: 0o644, Size: n}, rd); err != nil {
			return err
		}
	}
	return nil
}

// volumeReader concatenates the LEBs of v in lnum order. Unmapped LEBs of a
// dynamic volume read as 0xFF (erased flash) up to the last mapped LEB.
func (im *image) volumeReader(r io.ReaderAt, v volume, name string, sink format.Sink) (io.Reader, int64) {
	m := im.lebs[v.id]
	usable := im.lebSize() - int64(v.dataPad)
	if usable <= 0 {
		sink.Problem(name, fmt.Errorf("ubi: data_pad %d leaves no room in LEB", v.dataPad))
		return bytes.NewReader(nil), 0
	}
	var count uint32
	static := v.volType == volStatic
	for lnum, ls := range m {
		if uint64(lnum) >= uint64(im.npeb) {
			sink.Problem(name, fmt.Errorf("ubi: LEB %d beyond the %d PEBs of the image, ignored", lnum, im.npeb))
			continue
		}
		if lnum+1 > count {
			count = lnum + 1
		}
		if static && ls[0].vid.usedEBs > count && uint64(ls[0].vid.usedEBs) <= uint64(im.npeb) {
			count = ls[0].vid.usedEBs
		}
	}
	var parts []io.Reader
	var total int64
	missing := 0
	for lnum := uint32(0); lnum < count; lnum++ {
		l, ok := im.pick(r, m[lnum], static, name, sink)
		if !ok {
			if static {
				missing++
			}
			parts = append(parts, ffReader(usable))
			total += usable
			continue
		}
		n := usable
		if static {
			n = min(int64(l.vid.dataSize), usable)
		}
		parts = append(parts, io.NewSectionReader(r, l.peb+im.dataOff, n))
		total += n
	}
	if missing > 0 {
		sink.Problem(name, fmt.Errorf("ubi: static volume misses %d of %d LEBs (filled with 0xFF)", missing, count))
	}
	return io.MultiReader(parts...), total
}

// pick chooses among the copies of one LEB the newest whose data CRC holds
// (static volumes and copies made by wear levelling carry one).
func (im *image) pick(r io.ReaderAt, copies []leb, static bool, name string, sink format.Sink) (leb, bool) {
	if len(copies) == 0 {
		return leb{}, false
	}
	cs := sortedCopies(copies)
	for _, l := range cs {
		if !static && l.vid.copyFlag == 0 {
			return l, true
		}
		if im.dataCRCOK(r, l) {
			return l, true
		}
	}
	sink.Problem(name, fmt.Errorf("ubi: LEB %d: data CRC mismatch", cs[0].vid.lnum))
	return cs[0], true
}

func (im *image) dataCRCOK(r io.ReaderAt, l leb) bool {
	n := int64(l.vid.dataSize)
	if n > im.lebSize() {
		return false
	}
	p, err := format.Bytes(r, l.peb+im.dataOff, n, im.lebSize())
	return err == nil && crc(p) == l.vid.dataCRC
}

// ffReader yields n bytes of 0xFF.
func ffReader(n int64) io.Reader { return io.LimitReader(ffSource{}, n) }

type ffSource struct{}

func (ffSource) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 0xFF
	}
	return len(p), nil
}
