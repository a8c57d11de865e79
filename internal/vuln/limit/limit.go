// Package limit bounds how much of a feed one record or one line may
// take: a decoder buffers a whole record (json.Decoder) or line
// (csv.Reader) before it can look at it, so without a bound a single
// 300 MB record costs gigabytes of memory. Past the bound the import fails
// with an error naming the record; the database is left as it was.
package limit

import (
	"errors"
	"fmt"
	"io"
)

const (
	// MaxRecord bounds one JSON record (an NVD CVE item, an OSV advisory,
	// a KEV entry). The largest real NVD records are a few MB.
	MaxRecord = 16 << 20
	// MaxLine bounds one CSV line (EPSS rows are ~40 bytes).
	MaxLine = 1 << 20
	// slack covers the read-ahead of the decoder's own buffer.
	slack = 64 << 10
)

// ErrTooLarge is wrapped by the error of a read past the bound.
var ErrTooLarge = errors.New("record too large")

// Reader counts what is read from the underlying reader and refuses to
// read past the bound set for the current record.
type Reader struct {
	r     io.Reader
	n     int64 // bytes read so far
	start int64
	max   int64
}

// NewReader returns a Reader without a bound until Allow is called.
func NewReader(r io.Reader) *Reader { return &Reader{r: r} }

// Allow bounds the record that starts at stream offset start (as the
// decoder counts it) to max bytes.
func (l *Reader) Allow(start, max int64) { l.start, l.max = start, max }

func (l *Reader) Read(p []byte) (int, error) {
	if l.max > 0 {
		left := l.start + l.max + slack - l.n
		if left <= 0 {
			return 0, fmt.Errorf("%w: more than %d bytes (a limit of this importer)", ErrTooLarge, l.max)
		}
		if int64(len(p)) > left {
			p = p[:left]
		}
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	return n, err
}
