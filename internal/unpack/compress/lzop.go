package compress

import (
	"fmt"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/decomp"
	"github.com/thingsec/thingsec/internal/unpack/format"
)

var lzopMagic = []byte(decomp.LzopMagic)

// Lzop is the lzop file format (LZO1X blocks).
func Lzop() format.Format {
	return &stream{
		name:     "lzop",
		sigs:     []format.Signature{{Magic: lzopMagic}},
		identify: identifyLzop,
		open: func(r io.ReaderAt, size int64) (io.Reader, string, error) {
			if m, err := identifyLzop(r, size); err == nil && m.Size > 0 {
				size = m.Size
			}
			z, err := decomp.NewLzopReader(io.NewSectionReader(r, 0, size))
			if err != nil {
				return nil, "", err
			}
			return decomp.Metered(decomp.Lzop, z), gzipName(z.Name), nil
		},
	}
}

func identifyLzop(r io.ReaderAt, size int64) (format.Match, error) {
	cr := newCountReader(io.NewSectionReader(r, 0, size))
	z, err := decomp.NewLzopReader(cr)
	if err != nil {
		return format.Match{}, notMatch(err.Error())
	}
	m := format.Match{Extractable: true, Description: "lzop compressed data"}
	if z.Name != "" {
		m.Description += fmt.Sprintf(", original name %q", gzipName(z.Name))
	}
	// Walk the block headers (without decoding) to find the end.
	for {
		n, err := z.SkipBlock()
		if err != nil {
			return m, nil
		}
		if n == 0 {
			m.Size = cr.n
			return m, nil
		}
	}
}
