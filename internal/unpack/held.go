package unpack

import (
	"sync/atomic"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// heldTotal bounds the memory that the decoded output handed from
// identification to extraction (format.Match.Held) may take in one
// session. One stream holds at most the 4 MiB its identification decodes
// plus its decoder; a flood of streams holds at most heldTotal, and those
// past it are decoded again by their extraction, as when memory is short.
const heldTotal = 32 << 20

// heldBudget accounts for the held outputs of a session.
type heldBudget struct{ used, peak atomic.Int64 }

// reserve takes h's cost from the budget; false (h is then to be dropped)
// when it does not fit. A nil h fits.
func (b *heldBudget) reserve(h format.Held) bool {
	if h == nil {
		return true
	}
	c := h.Cost()
	u := b.used.Add(c)
	if u > heldTotal {
		b.used.Add(-c)
		return false
	}
	for p := b.peak.Load(); u > p && !b.peak.CompareAndSwap(p, u); p = b.peak.Load() {
	}
	return true
}

// release gives h's cost back.
func (b *heldBudget) release(h format.Held) {
	if h != nil {
		b.used.Add(-h.Cost())
	}
}
