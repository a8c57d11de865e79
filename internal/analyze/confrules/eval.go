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

// Eval runs the check over a parsed file.
func (c *Check) Eval(d *Doc) []Hit {
	var hits []Hit
	global := map[*Entry]bool{} // reported by the global scope
	for s := range d.Sections {
		sec := d.Sections[s]
		switch {
		case c.section != nil:
			if s == 0 && !c.section.MatchString("") || s > 0 && !c.section.MatchString(sec.Type) {
				continue
			}
			if s == 0 && !d.hasEntries(0) {
				continue
			}
		case s > 0 && !sec.Cond:
			continue
		}
		for _, h := range c.evalScope(d, s) {
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

func (d *Doc) hasEntries(s int) bool {
	for i := range d.Entries {
		if d.Entries[i].Sect == s {
			return true
		}
	}
	return false
}

// evalScope judges one section (with the sections it inherits from).
func (c *Check) evalScope(d *Doc, s int) []Hit {
	var each *Cond
	var first *Entry
	var used []*Entry
	for _, w := range c.When {
		if w.Each {
			each = w
			continue
		}
		ok, e := w.eval(d, s, &used)
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
	for i := range d.Entries {
		e := &d.Entries[i]
		if (each.In == "file" || e.Sect == s) && each.keyIs(e.Key) && each.valueOK(e.Value) {
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

// lookup returns the effective entry of a key in section s: the first
// or last one the section sets, else its parent's.
func (d *Doc) lookup(s int, is func(string) bool) *Entry {
	for s >= 0 {
		var found *Entry
		for i := range d.Entries {
			e := &d.Entries[i]
			if e.Sect != s || !is(e.Key) {
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
func (c *Cond) eval(d *Doc, s int, used *[]*Entry) (bool, *Entry) {
	switch {
	case len(c.All) > 0:
		var first *Entry
		for _, x := range c.All {
			ok, e := x.eval(d, s, used)
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
			if ok, e := x.eval(d, s, used); ok {
				return true, e
			}
		}
		return false, nil
	case c.Not != nil:
		ok, _ := c.Not.eval(d, s, used)
		return !ok, nil
	}
	if c.In == "file" {
		for i := range d.Entries {
			e := &d.Entries[i]
			if c.keyIs(e.Key) && c.valueOK(e.Value) {
				return true, e
			}
		}
		return false, nil
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
