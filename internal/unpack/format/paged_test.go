package format

import (
	"context"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func TestPagedReader(t *testing.T) {
	var calls []int64
	r := NewPagedReader(context.Background(), 10, 4, func(i int64, page []byte) error {
		calls = append(calls, i)
		if i == 1 {
			return nil // a hole
		}
		for k := range page {
			page[k] = byte('a' + i)
		}
		return nil
	})
	b, err := io.ReadAll(iotest.OneByteReader(r))
	if err != nil || string(b) != "aaaa\x00\x00\x00\x00cc" || len(calls) != 3 {
		t.Fatalf("%q %v %v", b, err, calls)
	}

	bad := errors.New("bad block")
	r = NewPagedReader(context.Background(), 10, 4, func(i int64, page []byte) error {
		if i == 1 {
			return bad
		}
		return nil
	})
	if b, err := io.ReadAll(r); !errors.Is(err, bad) || len(b) != 4 {
		t.Errorf("%d bytes, %v", len(b), err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := io.ReadAll(NewPagedReader(ctx, 10, 4, func(int64, []byte) error { return nil })); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
