package secrets

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/analyze/strmatch"
)

func TestZZTally(t *testing.T) {
	dir := os.Getenv("TALLY_DIR")
	if dir == "" {
		t.Skip()
	}
	rs, _ := Embedded()
	sc := NewScanner(rs)
	runs := map[string]int{}
	dur := map[string]time.Duration{}
	kwc := map[string]int{}
	kws := sc.pack.Keywords()
	var total int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil || len(b) > 4<<20 {
			return nil
		}
		total += int64(len(b))
		hits := strmatch.Find(nil, sc.pack, b)
		last := make([]int, len(rs))
		for i := range last {
			last[i] = -1
		}
		for _, h := range hits {
			kwc[kws[h.Kw].Text]++
			ls, le := lineAround(b, h.Pos, len(kws[h.Kw].Text))
			for _, ri := range sc.patRules[h.Kw] {
				if last[ri] == ls {
					continue
				}
				last[ri] = ls
				t0 := time.Now()
				rs[ri].find(b, ls, le, nil)
				dur[rs[ri].ID] += time.Since(t0)
				runs[rs[ri].ID]++
			}
		}
		return nil
	})
	type kv struct {
		k string
		d time.Duration
	}
	var l []kv
	var sum time.Duration
	for k, d := range dur {
		l = append(l, kv{k, d})
		sum += d
	}
	sort.Slice(l, func(i, j int) bool { return l[i].d > l[j].d })
	t.Logf("total %d MB, regex time %v", total>>20, sum)
	for _, x := range l[:30] {
		t.Logf("%s %v runs %d", x.k, x.d, runs[x.k])
	}
	var kl []kv
	for k, n := range kwc {
		kl = append(kl, kv{k, time.Duration(n)})
	}
	sort.Slice(kl, func(i, j int) bool { return kl[i].d > kl[j].d })
	for _, x := range kl[:25] {
		t.Logf("kw %q %d", x.k, int(x.d))
	}
}
