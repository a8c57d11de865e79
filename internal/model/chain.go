package model

import "slices"

// LinkChains fills in ChainSteps: every layer's from the layer tree (its
// parent's steps, then its own format, offset and source file), and every
// location's from its layer. Writers call it once the layers are known
// (engine.Finish); ReadReport calls it for reports that predate the field.
func (r *Report) LinkChains() {
	byID := make(map[string]int, len(r.Layers))
	for i, l := range r.Layers {
		byID[l.ID] = i
	}
	const (
		todo = iota
		busy
		done
	)
	state := make([]int, len(r.Layers))
	var link func(i int) []ChainStep
	link = func(i int) []ChainStep {
		l := &r.Layers[i]
		switch state[i] {
		case done:
			return l.ChainSteps
		case busy: // a parent cycle in a hand-made report: stop here
			return nil
		}
		state[i] = busy
		var steps []ChainStep
		if p, ok := byID[l.Parent]; ok && l.Parent != "" && p != i {
			parent := link(p)
			steps = make([]ChainStep, 0, len(parent)+1)
			steps = append(steps, parent...)
			steps = append(steps, ChainStep{Format: l.Format, Offset: l.Offset, Path: l.Source})
		} else {
			name := l.Chain // the root layer's chain is the target's name
			if name == "" {
				name = r.Target.Name
			}
			steps = []ChainStep{{Format: l.Format, Offset: l.Offset, Path: name}}
		}
		l.ChainSteps = slices.Clip(steps)
		state[i] = done
		return l.ChainSteps
	}
	for i := range r.Layers {
		link(i)
	}
	loc := func(l *Location) {
		if i, ok := byID[l.Layer]; ok {
			l.ChainSteps = r.Layers[i].ChainSteps
		}
	}
	for i := range r.Findings {
		loc(&r.Findings[i].Location)
	}
	for i := range r.Components {
		for j := range r.Components[i].Locations {
			loc(&r.Components[i].Locations[j])
		}
	}
	for i := range r.Services {
		loc(&r.Services[i].Location)
	}
}
