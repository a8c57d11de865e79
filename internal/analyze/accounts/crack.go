package accounts

import (
	"cmp"
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// WorkPerSecond converts a cracking time budget into work: the Cost units
// (one MD5 compression each) a reference core does in a second. The
// budget is counted in work, not measured on the clock, so that a report
// does not depend on how busy the machine was: one SHA-512-crypt guess
// (5000 rounds) is 5000 units, 1.5 ms at this rate.
const WorkPerSecond = 3_300_000

// DefaultCrackBudget is the default --crack-budget per hash: about 33
// SHA-512-crypt guesses (the user's own defaults and the most common
// passwords), the whole list for DES and MD5 crypt and unsalted hashes.
// Twenty SHA-512-crypt hashes cost about a second of CPU, half a second
// on two cores.
const DefaultCrackBudget = 50 * time.Millisecond

// crackJob is one hash to try against the default candidates.
type crackJob struct {
	user   string
	scheme Scheme
	hash   string
	verify func(string) bool
}

func (j crackJob) key() string { return j.user + "\x00" + j.scheme.Name + "\x00" + j.hash }

// crackResult is the outcome for one hash: the password found, or how
// much of the candidate list the budget allowed.
type crackResult struct {
	pw           string
	ok           bool
	tried, total int // candidates tried and listed; tried < total: the budget ran out
}

// crackOnce is the shared result of one distinct hash: the first file
// that needs it computes it, later ones (other layers, other commits)
// wait for it instead of cracking again.
type crackOnce struct {
	once sync.Once
	res  crackResult
}

// chunk is how many candidates one task tries: small enough to spread a
// single slow hash over every core, large enough to keep scheduling
// cheap for fast schemes.
const chunk = 4

// crackAll cracks jobs in parallel, cheapest schemes first, each distinct
// hash once per analyzer, and returns their results in jobs' order. The
// whole analyzer shares one pool of GOMAXPROCS workers, so cracking never
// takes more CPUs than there are, however many files ask at once.
func (a *Analyzer) crackAll(ctx context.Context, jobs []crackJob) []crackResult {
	res := make([]crackResult, len(jobs))
	order := make([]int, len(jobs))
	for i := range order {
		order[i] = i
	}
	cost := func(j crackJob) int { return rounds(j.scheme, j.hash) }
	slices.SortStableFunc(order, func(x, y int) int { return cmp.Compare(cost(jobs[x]), cost(jobs[y])) })
	var wg sync.WaitGroup
	for _, i := range order {
		j := jobs[i]
		wg.Go(func() {
			v, _ := a.cracked.LoadOrStore(j.key(), &crackOnce{})
			c := v.(*crackOnce)
			c.once.Do(func() { c.res = a.crackOne(ctx, j) })
			res[i] = c.res
		})
	}
	wg.Wait()
	return res
}

// crackOne tries the candidates of one hash that its budget allows,
// split in chunks over the shared workers. The earliest matching
// candidate wins, so the result does not depend on scheduling (DES crypt
// matches every password that shares its first 8 characters).
func (a *Analyzer) crackOne(ctx context.Context, j crackJob) crackResult {
	all := a.opt.Defaults.Candidates(j.user, 1<<30)
	limit := candidateLimit(a.opt.Budget, rounds(j.scheme, j.hash))
	cands := all[:min(limit, len(all))]
	best := atomic.Int64{}
	best.Store(int64(len(cands)))
	if j.scheme == SchemeSHA512 && sha512Block8 != nil {
		a.crackSHA512(ctx, j, cands, sha512Block8, &best)
		return crackDone(cands, all, &best)
	}
	var wg sync.WaitGroup
	for start := 0; start < len(cands); start += chunk {
		wg.Go(func() {
			a.sem <- struct{}{}
			defer func() { <-a.sem }()
			for i := start; i < min(start+chunk, len(cands)); i++ {
				if int64(i) >= best.Load() || ctx.Err() != nil {
					return
				}
				if j.verify(cands[i]) {
					for {
						b := best.Load()
						if int64(i) >= b || best.CompareAndSwap(b, int64(i)) {
							break
						}
					}
					return
				}
			}
		})
	}
	wg.Wait()
	return crackDone(cands, all, &best)
}

// crackDone is the result once the candidates before best are tried.
func crackDone(cands, all []string, best *atomic.Int64) crackResult {
	r := crackResult{tried: len(cands), total: len(all)}
	if b := int(best.Load()); b < len(cands) {
		r.pw, r.ok = cands[b], true
	}
	return r
}

const (
	// minTried is how many candidates a hash gets even when one costs
	// more than the budget (the most common defaults of bcrypt, yescrypt
	// and many-round SHA-crypt hashes)...
	minTried = 8
	// ...as long as they cost no more than this much work together (2 s
	// at the reference rate): the cost of a guess comes from the hash
	// itself, and a hostile one ($6$rounds=999999999$, $2b$31$) would
	// otherwise hold the scan for hours.
	maxMinWork = 2 * WorkPerSecond
)

// candidateLimit is how many candidates a hash whose guess costs cost
// work units gets within budget.
func candidateLimit(budget time.Duration, cost int) int {
	cost = max(cost, 1)
	limit := int(budget.Seconds()*WorkPerSecond) / cost
	if limit < minTried && cost <= maxMinWork/minTried {
		limit = minTried
	}
	return limit
}

func newSem() chan struct{} { return make(chan struct{}, runtime.GOMAXPROCS(0)) }
