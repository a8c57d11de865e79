package accounts

import (
	"context"
	"math/bits"
	"sync"
	"sync/atomic"
)

// sha512Block8 is the compression function that SHA-512-crypt hashes
// are cracked with, eight candidates at a time; nil where only the
// portable one exists, which is slower than checking candidates one by
// one with crypto/sha512.
var sha512Block8 = func() block8Func {
	if hasBlock8Asm {
		return block8Asm
	}
	return nil
}()

// crackSHA512 tries cands against a SHA-512-crypt hash in multi-buffer
// runs of up to eight, spread over the shared workers, and lowers best to
// the index of the earliest match. The candidates tried are the same as
// one by one, and so is the result: a run is skipped only when all its
// candidates come after a match already found.
func (a *Analyzer) crackSHA512(ctx context.Context, j crackJob, cands []string, block block8Func, best *atomic.Int64) {
	b := newSHA512Batch(j.hash, block)
	var wg sync.WaitGroup
	for _, run := range b.batches(cands) {
		wg.Go(func() {
			a.sem <- struct{}{}
			defer func() { <-a.sem }()
			if int64(run[0]) >= best.Load() || ctx.Err() != nil {
				return
			}
			var m uint8
			if len(run) == 1 {
				// one candidate alone: crypto/sha512 does it for less
				// than a run of eight lanes
				if j.verify(cands[run[0]]) {
					m = 1
				}
			} else {
				pws := make([]string, len(run))
				for l, i := range run {
					pws[l] = cands[i]
				}
				m = b.check(ctx, pws)
			}
			if m == 0 {
				return
			}
			i := int64(run[bits.TrailingZeros8(m)])
			for {
				old := best.Load()
				if i >= old || best.CompareAndSwap(old, i) {
					return
				}
			}
		})
	}
	wg.Wait()
}
