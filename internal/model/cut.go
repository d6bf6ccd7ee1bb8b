package model

import "slices"

// Keep removes every call of m not in keep, and every layer left without
// calls (InputLayers not in keep too), then renumbers the references the
// config writes. Kept calls must only read kept calls. It returns the
// removed layers in m's layer order.
func (m *Model) Keep(keep map[NodeID]bool) []*Layer {
	newNodes := map[*Layer][]*Node{}
	for _, l := range m.Layers {
		for i, n := range l.Nodes {
			if keep[NodeID{l, i}] {
				newNodes[l] = append(newNodes[l], n)
			}
		}
	}
	var kept, removed []*Layer
	for _, l := range m.Layers {
		input := l.Class == "InputLayer" && len(l.Nodes) == 0
		if (input && keep[NodeID{l, -1}]) || len(newNodes[l]) > 0 {
			if !input {
				l.Nodes = newNodes[l]
			}
			kept = append(kept, l)
		} else {
			removed = append(removed, l)
		}
	}
	m.Layers = kept
	if m.IsSequential() {
		m.linkSequential()
		return removed
	}
	gone := map[*Layer]bool{}
	for _, l := range removed {
		gone[l] = true
	}
	var ins []Tensor
	for _, t := range m.Inputs {
		if !gone[t.Layer] {
			ins = append(ins, t)
		}
	}
	if len(ins) != len(m.Inputs) {
		m.Inputs = ins
		m.inRaw, m.inHoles = m.ioJSON(ins, m.inRaw)
	}
	m.sync()
	return removed
}

// InsertBefore adds l to m's layers just before at (last when at is not
// one of them); the caller adds its calls. The list is a new array: a walk
// over the old one, under way, sees every layer once and unshifted.
func (m *Model) InsertBefore(l, at *Layer) {
	i := slices.Index(m.Layers, at)
	if i < 0 {
		i = len(m.Layers)
	}
	m.Layers = slices.Insert(slices.Clip(m.Layers), i, l)
}

// Append adds l as the last layer of m. In a Sequential model it is called
// on the previous layer's output; in a Functional model the caller adds its
// calls (Call) and sets the outputs.
func (m *Model) Append(l *Layer) {
	m.Layers = append(m.Layers, l)
	if m.IsSequential() {
		m.linkSequential()
	}
}
