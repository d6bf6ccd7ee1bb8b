package model

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// NodeID is one call of one layer: Node indexes Layer.Nodes, and is -1 for
// the output of an InputLayer.
type NodeID struct {
	Layer *Layer
	Node  int
}

// resolve maps a Ref written in this model's config to the call it names.
func (m *Model) resolve(r Ref, io bool) (NodeID, error) {
	l := m.Layer(r.Layer)
	if l == nil {
		return NodeID{}, fmt.Errorf("%w: model %q: no layer named %q", ErrNotModel, m.Name, r.Layer)
	}
	if l.Class == "InputLayer" && len(l.Nodes) == 0 {
		if r.Node != 0 {
			return NodeID{}, fmt.Errorf("%w: model %q: input %q has no node %d", ErrNotModel, m.Name, r.Layer, r.Node)
		}
		return NodeID{l, -1}, nil
	}
	off := m.nodeOffset(l)
	if io {
		off = m.ioOffset(l)
	}
	i := r.Node - off
	if i < 0 || i >= len(l.Nodes) {
		return NodeID{}, fmt.Errorf("%w: model %q: layer %q has no node %d", ErrNotModel, m.Name, r.Layer, r.Node)
	}
	return NodeID{l, i}, nil
}

// RefOf is the inverse of resolve for a node inside the layers list.
func (m *Model) RefOf(id NodeID, tensor int) Ref {
	if id.Node < 0 {
		return Ref{Layer: id.Layer.Name, Tensor: tensor}
	}
	return Ref{Layer: id.Layer.Name, Node: id.Node + m.nodeOffset(id.Layer), Tensor: tensor}
}

// IORef is RefOf in the numbering input_layers/output_layers use.
func (m *Model) IORef(id NodeID, tensor int) Ref {
	if id.Node < 0 {
		return Ref{Layer: id.Layer.Name, Tensor: tensor}
	}
	return Ref{Layer: id.Layer.Name, Node: id.Node + m.ioOffset(id.Layer), Tensor: tensor}
}

// Parents returns the calls producing the inputs of a call, in input order.
func (m *Model) Parents(id NodeID) ([]NodeID, error) {
	if id.Node < 0 {
		return nil, nil
	}
	ins := id.Layer.Nodes[id.Node].Inputs
	out := make([]NodeID, len(ins))
	for i, r := range ins {
		p, err := m.resolve(r, false)
		if err != nil {
			return nil, fmt.Errorf("layer %q: %w", id.Layer.Name, err)
		}
		out[i] = p
	}
	return out, nil
}

// InputIDs and OutputIDs resolve the model's inputs and outputs.
func (m *Model) InputIDs() ([]NodeID, error)  { return m.resolveAll(m.Inputs) }
func (m *Model) OutputIDs() ([]NodeID, error) { return m.resolveAll(m.Outputs) }

func (m *Model) resolveAll(refs []Ref) ([]NodeID, error) {
	out := make([]NodeID, len(refs))
	for i, r := range refs {
		id, err := m.resolve(r, true)
		if err != nil {
			return nil, err
		}
		out[i] = id
	}
	return out, nil
}

// check validates references and looks for cycles, recursively.
func (m *Model) check() error {
	for _, l := range m.Layers {
		for i := range l.Nodes {
			if _, err := m.Parents(NodeID{l, i}); err != nil {
				return err
			}
		}
	}
	if _, err := m.InputIDs(); err != nil {
		return err
	}
	if _, err := m.Order(); err != nil {
		return err
	}
	return nil
}

// ErrCycle is returned for a graph whose calls depend on themselves.
var ErrCycle = errors.New("the layer graph has a cycle")

// Order returns the layers in the order Keras computes when it rebuilds the
// model (model.layers): by decreasing depth from the outputs, ties broken
// by first visit in a depth-first walk from the outputs. Keras matches
// saved weights to layers by their position in this order.
func (m *Model) Order() ([]*Layer, error) {
	if m.IsSequential() {
		var out []*Layer
		for _, l := range m.Layers {
			if l.Class != "InputLayer" {
				out = append(out, l)
			}
		}
		return out, nil
	}
	outs, err := m.OutputIDs()
	if err != nil {
		return nil, err
	}
	ins, err := m.InputIDs()
	if err != nil {
		return nil, err
	}
	isInput := map[NodeID]bool{}
	for _, id := range ins {
		isInput[id] = true
	}
	finished := map[NodeID]bool{}
	inProgress := map[NodeID]bool{}
	var postorder []NodeID
	index := map[*Layer]int{}
	var visit func(id NodeID) error
	visit = func(id NodeID) error {
		if finished[id] {
			return nil
		}
		if inProgress[id] {
			return fmt.Errorf("%w: model %q, at layer %q", ErrCycle, m.Name, id.Layer.Name)
		}
		if _, ok := index[id.Layer]; !ok {
			index[id.Layer] = len(index)
		}
		inProgress[id] = true
		if !isInput[id] {
			parents, err := m.Parents(id)
			if err != nil {
				return err
			}
			for _, p := range parents {
				if err := visit(p); err != nil {
					return err
				}
			}
		}
		finished[id] = true
		delete(inProgress, id)
		postorder = append(postorder, id)
		return nil
	}
	for _, o := range outs {
		if err := visit(o); err != nil {
			return nil, err
		}
	}
	nodeDepth := map[NodeID]int{}
	layerDepth := map[*Layer]int{}
	for i := len(postorder) - 1; i >= 0; i-- {
		id := postorder[i]
		d := max(nodeDepth[id], layerDepth[id.Layer])
		layerDepth[id.Layer] = d
		nodeDepth[id] = d
		parents, _ := m.Parents(id)
		if isInput[id] {
			parents = nil
		}
		for _, p := range parents {
			nodeDepth[p] = max(d+1, nodeDepth[p])
		}
	}
	for _, id := range ins {
		if _, ok := layerDepth[id.Layer]; !ok {
			layerDepth[id.Layer] = 0
			index[id.Layer] = -1
		}
	}
	out := make([]*Layer, 0, len(layerDepth))
	for l := range layerDepth {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if layerDepth[a] != layerDepth[b] {
			return layerDepth[a] > layerDepth[b]
		}
		return index[a] < index[b]
	})
	return out, nil
}

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
	ins, err := m.InputIDs()
	if err != nil {
		return nil, err
	}
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
			return nil, WithLayer(err, id.Layer)
		}
		if len(out) != 1 {
			out = []Shape{nil}
		}
		s.out[id] = out
	}
	outs, err := m.OutputIDs()
	if err != nil {
		return nil, err
	}
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
			parents, err := m.Parents(id)
			if err != nil {
				return err
			}
			for pi, p := range parents {
				if err := visit(p); err != nil {
					return err
				}
				t := id.Layer.Nodes[id.Node].Inputs[pi].Tensor
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
		outs, err := l.Sub.OutputIDs()
		if err != nil {
			return nil, err
		}
		res := make([]Shape, len(outs))
		for i, o := range outs {
			t := l.Sub.Outputs[i].Tensor
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
	out, err := InferLayer(l.Class, l.Config, in, m.Dialect)
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

// Walk calls fn for every layer of m and of the models nested in it, with
// the path of model names above it.
func (m *Model) Walk(fn func(path []string, l *Layer)) {
	var walk func(m *Model, path []string)
	walk = func(m *Model, path []string) {
		for _, l := range m.Layers {
			fn(path, l)
			if l.Sub != nil {
				walk(l.Sub, append(path[:len(path):len(path)], l.Name))
			}
		}
	}
	walk(m, nil)
}

// Describe names a layer for messages: `layer "fc1" (Dense)`.
func Describe(l *Layer) string {
	return fmt.Sprintf("layer %q (%s)", l.Name, l.Class)
}

// joinRefs formats refs as Keras's summary does.
func joinRefs(rs []Ref) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	return strings.Join(parts, ", ")
}
