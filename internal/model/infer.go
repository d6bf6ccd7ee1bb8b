package model

import (
	"errors"
	"fmt"
)

// Shapes holds the inferred output shapes of every call of a model.
type Shapes struct {
	m   *Model
	out map[NodeID][]Shape
	sub map[*Layer]*Shapes // the nested model's shapes, first call
}

// Outputs returns the output shapes of a call; nil entries are unknown.
func (s *Shapes) Outputs(id NodeID) []Shape { return s.out[id] }

// Nested returns the shapes inside a nested model layer (its first call).
func (s *Shapes) Nested(l *Layer) *Shapes { return s.sub[l] }

// Infer computes the output shape of every call from the input layers'
// shapes. A layer whose class is unknown gets unknown outputs, and so does
// everything downstream of it; a layer that cannot take its input shapes is
// a *ShapeError naming it.
func Infer(m *Model) (*Shapes, error) { return infer(m, nil, 0, map[string]*Shapes{}) }

// infer works on m called on inputs (nil: its own input layers). memo
// shares the shapes of nested models called again on the same shapes, so
// models nested in models called many times stay linear, not exponential.
func infer(m *Model, inputs []Shape, depth int, memo map[string]*Shapes) (*Shapes, error) {
	if depth > maxNesting {
		return nil, fmt.Errorf("%w: models nested deeper than %d", ErrNotModel, maxNesting)
	}
	s := &Shapes{m: m, out: map[NodeID][]Shape{}, sub: map[*Layer]*Shapes{}}
	if err := s.setInputs(inputs); err != nil {
		return nil, err
	}
	outs := m.ids(m.Outputs)
	// Visit every call reachable from the outputs, and every other call too,
	// so that dangling branches get shapes.
	var all []NodeID
	for _, o := range outs {
		all = append(all, o)
	}
	for _, l := range m.Layers {
		for i := range l.Nodes {
			all = append(all, NodeID{l, i})
		}
	}
	inProgress := map[NodeID]bool{}
	var visit func(id NodeID) error
	visit = func(id NodeID) error {
		if _, ok := s.out[id]; ok {
			return nil
		}
		if inProgress[id] {
			return fmt.Errorf("%w: model %q, at layer %q", ErrCycle, m.Name, id.Layer.Name)
		}
		inProgress[id] = true
		defer delete(inProgress, id)
		var in []Shape
		if m.IsSequential() && id.Node == 0 && len(id.Layer.Nodes[0].Inputs) == 0 {
			in = s.out[NodeID{id.Layer, -2}]
		} else {
			parents := m.Parents(id)
			for pi, p := range parents {
				if err := visit(p); err != nil {
					return err
				}
				t := id.Layer.Nodes[id.Node].In[pi].Index
				po := s.out[p]
				if t >= len(po) {
					return fmt.Errorf("%w: layer %q reads output %d of %q, which has %d", ErrNotModel, id.Layer.Name, t, p.Layer.Name, len(po))
				}
				in = append(in, po[t])
			}
		}
		out, err := m.inferCall(s, id, in, depth, memo)
		if err != nil {
			return err
		}
		s.out[id] = out
		return nil
	}
	for _, id := range all {
		if err := visit(id); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (m *Model) inferCall(s *Shapes, id NodeID, in []Shape, depth int, memo map[string]*Shapes) ([]Shape, error) {
	l := id.Layer
	if l.Sub != nil {
		for _, x := range in {
			if x == nil {
				return unknown(len(l.Sub.Outputs)), nil
			}
		}
		key := fmt.Sprintf("%p%v", l.Sub, in)
		sub, ok := memo[key]
		if !ok {
			var err error
			if sub, err = infer(l.Sub, in, depth+1, memo); err != nil {
				return nil, err
			}
			memo[key] = sub
		}
		if _, ok := s.sub[l]; !ok {
			s.sub[l] = sub
		}
		outs := l.Sub.OutputIDs()
		res := make([]Shape, len(outs))
		for i, o := range outs {
			t := l.Sub.Outputs[i].Index
			if os := sub.out[o]; t < len(os) {
				res[i] = os[t]
			}
		}
		return res, nil
	}
	for _, x := range in {
		if x == nil {
			return []Shape{nil}, nil
		}
	}
	out, err := InferCall(l.Class, l.Config, in, m.Node(id).Kwargs, m.Dialect)
	if errors.Is(err, ErrUnknownLayer) {
		return []Shape{nil}, nil
	}
	if err != nil {
		return nil, WithLayer(err, l)
	}
	return out, nil
}

func unknown(n int) []Shape { return make([]Shape, max(n, 1)) }

// WithLayer names l in a *ShapeError that does not name its layer yet.
func WithLayer(err error, l *Layer) error {
	var se *ShapeError
	if errors.As(err, &se) && se.Layer == "" {
		c := *se
		c.Layer, c.Class = l.Name, l.Class
		return &c
	}
	return err
}

// setInputs gives the model's inputs their shapes: inputs, or (nil) those
// their configs declare.
func (s *Shapes) setInputs(inputs []Shape) error {
	m := s.m
	ins := m.ids(m.Inputs)
	if m.IsSequential() && len(ins) == 0 {
		// No InputLayer: Keras 2 takes the first layer's batch_input_shape.
		first := m.Layers[0]
		var shp Shape
		if inputs != nil {
			shp = inputs[0]
		} else if out, err := InferLayer("InputLayer", first.Config, nil, m.Dialect); err == nil && len(out) == 1 {
			shp = out[0]
		}
		s.out[NodeID{first, -2}] = []Shape{shp}
	}
	for i, id := range ins {
		if inputs != nil && i < len(inputs) {
			s.out[id] = []Shape{inputs[i].Clone()}
			continue
		}
		out, err := InferLayer("InputLayer", id.Layer.Config, nil, m.Dialect)
		if err != nil && !errors.Is(err, ErrUnknownLayer) {
			return WithLayer(err, id.Layer)
		}
		if len(out) != 1 {
			out = []Shape{nil}
		}
		s.out[id] = out
	}
	return nil
}
