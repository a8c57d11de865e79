package confrules

import (
	"strings"
)

// Hit is one place a check fired.
type Hit struct {
	Entry    *Entry // the setting at the location; nil when the setting is absent
	Section  int
	Evidence string
	own      bool // a setting of the section itself made the check hold
}

// Eval runs the check over a parsed file. The work is linear in the
// file's entries and sections: a section reads only its own entries (and
// its parents'), and what holds anywhere in the file is judged once.
func (c *Check) Eval(d *Doc) []Hit {
	d.index()
	var hits []Hit
	global := map[*Entry]bool{} // reported by the global scope
	fileWide := false           // an "each ... in: file" condition: one scope sees it all
	for _, w := range c.When {
		fileWide = fileWide || w.Each && w.In == "file"
	}
	memo := map[*Cond]fileResult{}
	judged := false
	for s := range d.Sections {
		sec := d.Sections[s]
		switch {
		case c.section != nil:
			if s == 0 && !c.section.MatchString("") || s > 0 && !c.section.MatchString(sec.Type) {
				continue
			}
			if s == 0 && len(d.bySect[0]) == 0 {
				continue
			}
		case s > 0 && !sec.Cond:
			continue
		}
		if fileWide && judged {
			break
		}
		judged = true
		for _, h := range c.evalScope(d, s, memo) {
			// a conditional block reports only what its own settings
			// decide; the rest is the global scope's finding
			if s > 0 && c.section == nil && (!h.own || global[h.Entry]) {
				continue
			}
			if s == 0 && h.Entry != nil {
				global[h.Entry] = true
			}
			hits = append(hits, h)
		}
	}
	return hits
}

// index lists each section's entries, in order.
func (d *Doc) index() {
	if d.bySect != nil {
		return
	}
	d.bySect = make([][]int, len(d.Sections))
	for i, e := range d.Entries {
		d.bySect[e.Sect] = append(d.bySect[e.Sect], i)
	}
}

// fileResult is a file-wide condition's outcome, the same in every scope.
type fileResult struct {
	ok bool
	e  *Entry
}

// evalScope judges one section (with the sections it inherits from).
func (c *Check) evalScope(d *Doc, s int, memo map[*Cond]fileResult) []Hit {
	var each *Cond
	var first *Entry
	var used []*Entry
	for _, w := range c.When {
		if w.Each {
			each = w
			continue
		}
		ok, e := w.eval(d, s, &used, memo)
		if !ok {
			return nil
		}
		if first == nil && e != nil {
			first = e
		}
	}
	own := false
	for _, e := range used {
		own = own || e.Sect == s
	}
	loc := first
	if c.Report != "" {
		if e := d.lookup(s, func(k string) bool { return strings.EqualFold(k, c.Report) }); e != nil {
			loc = e
		}
	}
	if each == nil {
		h := c.hit(d, s, loc)
		h.own = own
		return []Hit{h}
	}
	var hits []Hit
	idx := d.bySect[s]
	if each.In == "file" {
		idx = nil
		for i := range d.Entries {
			idx = append(idx, i)
		}
	}
	for _, i := range idx {
		e := &d.Entries[i]
		if each.keyIs(e.Key) && each.valueOK(e.Value) {
			h := c.hit(d, s, e)
			h.own = own || e.Sect == s
			hits = append(hits, h)
		}
	}
	return hits
}

func (c *Check) hit(d *Doc, s int, e *Entry) Hit {
	h := Hit{Entry: e, Section: s}
	if e != nil {
		h.Evidence = e.Raw
	} else {
		h.Evidence = c.Missing
	}
	if sec := d.Sections[s]; s > 0 {
		where := strings.TrimSpace(sec.Type + " " + sec.Name)
		if h.Evidence == "" {
			h.Evidence = where
		} else {
			h.Evidence += " (in " + where + ")"
		}
	}
	for _, k := range c.Context {
		if ce := d.lookup(s, func(x string) bool { return strings.EqualFold(x, k) }); ce != nil {
			h.Evidence += "; " + ce.Raw
		}
	}
	return h
}

// maxInherit bounds how many enclosing blocks a lookup climbs: real
// configurations nest a few levels, hostile ones thousands.
const maxInherit = 32

// lookup returns the effective entry of a key in section s: the first
// or last one the section sets, else its parent's.
func (d *Doc) lookup(s int, is func(string) bool) *Entry {
	d.index()
	for depth := 0; s >= 0 && depth < maxInherit; depth++ {
		var found *Entry
		for _, i := range d.bySect[s] {
			e := &d.Entries[i]
			if !is(e.Key) {
				continue
			}
			found = e
			if d.FirstWins {
				break
			}
		}
		if found != nil {
			return found
		}
		s = d.Sections[s].Parent
	}
	return nil
}

// eval judges a condition in section s; the entry is the setting that
// made it hold, when there is one. used collects every setting read.
func (c *Cond) eval(d *Doc, s int, used *[]*Entry, memo map[*Cond]fileResult) (bool, *Entry) {
	switch {
	case len(c.All) > 0:
		var first *Entry
		for _, x := range c.All {
			ok, e := x.eval(d, s, used, memo)
			if !ok {
				return false, nil
			}
			if first == nil {
				first = e
			}
		}
		return true, first
	case len(c.Any) > 0:
		for _, x := range c.Any {
			if ok, e := x.eval(d, s, used, memo); ok {
				return true, e
			}
		}
		return false, nil
	case c.Not != nil:
		ok, _ := c.Not.eval(d, s, used, memo)
		return !ok, nil
	}
	if c.In == "file" {
		if r, ok := memo[c]; ok {
			return r.ok, r.e
		}
		r := fileResult{}
		for i := range d.Entries {
			e := &d.Entries[i]
			if c.keyIs(e.Key) && c.valueOK(e.Value) {
				r = fileResult{true, e}
				break
			}
		}
		memo[c] = r
		return r.ok, r.e
	}
	e := d.lookup(s, c.keyIs)
	if e != nil {
		*used = append(*used, e)
	}
	if e == nil {
		if c.Default == nil {
			return false, nil
		}
		return c.valueOK(*c.Default), nil
	}
	return c.valueOK(e.Value), e
}
