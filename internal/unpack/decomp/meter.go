package decomp

import (
	"io"
	"sync"
	"sync/atomic"
)

// Meter counts the bytes every decoder yields, one count per decoder
// opened, so a test can prove that identification decodes only a bounded
// prefix and that a stream is decoded once. Without a meter installed a
// decoder costs one atomic load more.
type Meter struct {
	mu     sync.Mutex
	counts []*Decoded
}

// Decoded is what one decoder yielded.
type Decoded struct {
	Method string
	n      atomic.Int64
}

// Bytes is the output so far.
func (d *Decoded) Bytes() int64 { return d.n.Load() }

// Decoders returns one count per decoder opened, in opening order.
func (m *Meter) Decoders() []*Decoded {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*Decoded(nil), m.counts...)
}

func (m *Meter) open(method string) *Decoded {
	d := &Decoded{Method: method}
	m.mu.Lock()
	m.counts = append(m.counts, d)
	m.mu.Unlock()
	return d
}

var meter atomic.Pointer[Meter]

// SetMeter installs m for every decoder opened from now on (nil removes
// it) and returns a function that restores the previous one. Tests only:
// the meter is process-wide.
func SetMeter(m *Meter) (restore func()) {
	old := meter.Swap(m)
	return func() { meter.Store(old) }
}

// Metered wraps a decoder opened outside this package (the stream formats
// check their own gzip and zlib readers) so the meter counts it too.
func Metered(method string, r io.Reader) io.Reader {
	m := meter.Load()
	if m == nil {
		return r
	}
	return &meteredReader{r: r, d: m.open(method)}
}

// meterBlock counts a block decoded in one call.
func meterBlock(method string, out []byte) {
	if m := meter.Load(); m != nil {
		m.open(method).n.Add(int64(len(out)))
	}
}

type meteredReader struct {
	r io.Reader
	d *Decoded
}

func (m *meteredReader) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	m.d.n.Add(int64(n))
	return n, err
}

// meteredCloser keeps the Close of a metered io.ReadCloser.
type meteredCloser struct {
	meteredReader
	c io.Closer
}

func (m *meteredCloser) Close() error { return m.c.Close() }

func meteredRC(method string, rc io.ReadCloser) io.ReadCloser {
	m := meter.Load()
	if m == nil {
		return rc
	}
	return &meteredCloser{meteredReader{r: rc, d: m.open(method)}, rc}
}
