package compress

import (
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/thingsec/thingsec/internal/unpack/decomp"
	"github.com/thingsec/thingsec/internal/unpack/format"
)

// Gzip is RFC 1952 gzip; consecutive members are decoded as one stream.
func Gzip() format.Format {
	return &stream{
		name:     "gzip",
		sigs:     []format.Signature{{Magic: []byte{0x1f, 0x8b, 0x08}}},
		identify: func(r io.ReaderAt, size int64) (format.Match, error) { return identifyGzip(r, size, probeOut, true) },
		check: func(r io.ReaderAt, size int64) error {
			_, err := identifyGzip(r, size, checkOut, false)
			return err
		},
		open: func(r io.ReaderAt, size int64) (io.Reader, string, error) {
			g, err := newGzipReader(r, size)
			if err != nil {
				return nil, "", err
			}
			return decomp.Metered(decomp.Gzip, g), gzipName(g.name), nil
		},
	}
}

func gzipHeaderOK(b []byte) bool {
	return len(b) >= 10 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8 && b[3]&0xe0 == 0
}

// identifyGzip decodes up to max bytes: probeOut measures the stream,
// checkOut is enough to decide. With keep the match holds what it decoded
// (held.go).
func identifyGzip(r io.ReaderAt, size, max int64, keep bool) (format.Match, error) {
	if !gzipHeaderOK(header(r, size, 10)) {
		return format.Match{}, notMatch("gzip header")
	}
	in := &rebind{r: r}
	g, err := newGzipReader(in, size)
	if err != nil {
		return format.Match{}, notMatch("gzip header: " + err.Error())
	}
	rd := decomp.Metered("gzip-identify", g)
	var c capture
	p := probeKeep(&c, rd, max, keep)
	if p.err != nil && p.out < 64<<10 {
		return format.Match{}, notMatch("gzip data: " + p.err.Error())
	}
	m := format.Match{Extractable: true, Description: "gzip compressed data"}
	if g.name != "" {
		m.Description += fmt.Sprintf(", original name %q", gzipName(g.name))
	}
	if p.ended {
		m.Size = g.end
	}
	if keep {
		m.Held = hand(p, &c, rd, in, size, gzipName(g.name), flateState)
	}
	return m, nil
}

// gzipName keeps the base name of a stored FNAME, or "data".
func gzipName(n string) string {
	n = path.Base(strings.ReplaceAll(n, "\\", "/"))
	n = strings.Map(func(r rune) rune {
		if r < 0x20 {
			return -1
		}
		return r
	}, n)
	if n == "" || n == "." || n == "/" || n == ".." {
		return "data"
	}
	return n
}

// gzipReader decodes consecutive gzip members and remembers where the last
// complete one ended; it stops before bytes that do not start a member.
type gzipReader struct {
	cr   *countReader
	z    *gzip.Reader
	name string
	end  int64
	done bool
}

func newGzipReader(r io.ReaderAt, size int64) (*gzipReader, error) {
	cr := newCountReader(io.NewSectionReader(r, 0, size))
	z, err := gzip.NewReader(cr)
	if err != nil {
		return nil, err
	}
	z.Multistream(false)
	return &gzipReader{cr: cr, z: z, name: z.Name}, nil
}

func (g *gzipReader) Read(p []byte) (int, error) {
	for !g.done {
		n, err := g.z.Read(p)
		if err != io.EOF {
			return n, err
		}
		g.end = g.cr.n
		if !g.next() {
			g.done = true
		}
		if n > 0 {
			return n, nil
		}
	}
	return 0, io.EOF
}

// next starts the following member when one follows.
func (g *gzipReader) next() bool {
	b, _ := g.cr.br.Peek(10)
	if !gzipHeaderOK(b) {
		return false
	}
	if g.z.Reset(g.cr) != nil {
		return false
	}
	g.z.Multistream(false)
	return true
}
