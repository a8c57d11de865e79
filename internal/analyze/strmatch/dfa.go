package strmatch

// keywordDFA is an Aho-Corasick automaton compiled to a dense DFA over
// byte classes: ASCII letters fold to one class per letter (the match is
// case-insensitive without lower-casing the text), and every byte that
// occurs in no keyword shares class 0. The table stays small enough for
// the cache, and the inner loop is one load per input byte.
type keywordDFA struct {
	class  [256]uint8
	nclass int
	// delta[state*nclass + class] = next*nclass<<1 | 1 if next ends a
	// keyword: the state is kept pre-multiplied and the output test is
	// one bit of the same load.
	delta []uint32
	out   [][]int // state -> keyword indexes ending here
	lens  []int   // keyword lengths
}

// newKeywordDFA builds the automaton; keywords must be lower case (the
// Set folds them).
func newKeywordDFA(keywords []string) *keywordDFA {
	d := &keywordDFA{nclass: 1}
	for _, k := range keywords {
		for i := 0; i < len(k); i++ {
			c := k[i]
			if d.class[c] == 0 {
				d.class[c] = uint8(d.nclass)
				if c >= 'a' && c <= 'z' {
					d.class[c-'a'+'A'] = uint8(d.nclass)
				}
				d.nclass++
			}
		}
		d.lens = append(d.lens, len(k))
	}
	if d.nclass > 255 {
		panic("keywordDFA: too many byte classes")
	}
	// Trie over classes; -1 = no edge yet.
	type node struct {
		next []int32
		fail int32
	}
	newNode := func() node {
		n := node{next: make([]int32, d.nclass)}
		for i := range n.next {
			n.next[i] = -1
		}
		return n
	}
	nodes := []node{newNode()}
	d.out = [][]int{nil}
	for ki, k := range keywords {
		s := int32(0)
		for i := 0; i < len(k); i++ {
			c := d.class[k[i]]
			if nodes[s].next[c] < 0 {
				nodes = append(nodes, newNode())
				d.out = append(d.out, nil)
				nodes[s].next[c] = int32(len(nodes) - 1)
			}
			s = nodes[s].next[c]
		}
		d.out[s] = append(d.out[s], ki)
	}
	if len(nodes)*d.nclass >= 1<<30 {
		panic("keywordDFA: too many states")
	}
	// Breadth-first: fail links, inherited outputs, full transitions.
	queue := []int32{}
	for c := 0; c < d.nclass; c++ {
		if t := nodes[0].next[c]; t >= 0 {
			nodes[t].fail = 0
			queue = append(queue, t)
		} else {
			nodes[0].next[c] = 0
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := nodes[s].fail
		d.out[s] = append(d.out[s], d.out[f]...)
		for c := 0; c < d.nclass; c++ {
			if t := nodes[s].next[c]; t >= 0 {
				nodes[t].fail = nodes[f].next[c]
				queue = append(queue, t)
			} else {
				nodes[s].next[c] = nodes[f].next[c]
			}
		}
	}
	d.delta = make([]uint32, len(nodes)*d.nclass)
	for s, n := range nodes {
		for c, t := range n.next {
			v := uint32(t) * uint32(d.nclass) << 1
			if len(d.out[t]) > 0 {
				v |= 1
			}
			d.delta[s*d.nclass+c] = v
		}
	}
	return d
}

// walk calls fn(start, keyword) for every keyword occurrence in text.
func (d *keywordDFA) walk(text []byte, fn func(start, kw int)) {
	var s uint32
	delta, class := d.delta, &d.class
	for i, b := range text {
		v := delta[s+uint32(class[b])]
		s = v >> 1
		if v&1 != 0 {
			for _, k := range d.out[int(s)/d.nclass] {
				fn(i-d.lens[k]+1, k)
			}
		}
	}
}
