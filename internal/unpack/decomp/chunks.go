package decomp

// chunks is the Read loop of a decoder that makes its output a chunk at a
// time: next sets out to the following chunk, or returns the error that
// ends the stream (io.EOF at the end), which every later Read returns.
type chunks struct {
	out []byte
	err error
}

func (c *chunks) read(p []byte, next func() error) (int, error) {
	for len(c.out) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		c.err = next()
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}
