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

// ID is the handle of the call that makes t.
func (m *Model) ID(t Tensor) NodeID {
	if t.Node == nil {
		return NodeID{t.Layer, -1}
	}
	return NodeID{t.Layer, nodeIndex(t.Layer, t.Node)}
}

// RefOf is the reference the config's inbound nodes write for output
// tensor of call id.
func (m *Model) RefOf(id NodeID, tensor int) Ref {
	return m.refOf(m.tensor(id, tensor), false)
}

// IORef is RefOf in the numbering input_layers/output_layers use.
func (m *Model) IORef(id NodeID, tensor int) Ref {
	return m.refOf(m.tensor(id, tensor), true)
}

func (m *Model) tensor(id NodeID, index int) Tensor {
	if id.Node < 0 {
		return Tensor{Layer: id.Layer, Index: index}
	}
	return Tensor{Layer: id.Layer, Node: id.Layer.Nodes[id.Node], Index: index}
}

// Parents returns the calls producing the inputs of a call, in input
// order: references are resolved by Parse, so this cannot fail.
func (m *Model) Parents(id NodeID) []NodeID {
	if id.Node < 0 {
		return nil
	}
	in := id.Layer.Nodes[id.Node].In
	out := make([]NodeID, len(in))
	for i, t := range in {
		out[i] = m.ID(t)
	}
	return out
}

// InputIDs and OutputIDs are the calls making the model's inputs and
// outputs.
func (m *Model) InputIDs() []NodeID  { return m.ids(m.Inputs) }
func (m *Model) OutputIDs() []NodeID { return m.ids(m.Outputs) }

func (m *Model) ids(ts []Tensor) []NodeID {
	out := make([]NodeID, len(ts))
	for i, t := range ts {
		out[i] = m.ID(t)
	}
	return out
}

// check looks for cycles.
func (m *Model) check() error {
	_, err := m.order()
	return err
}

// Unplaced returns the layers of m and of the models nested in it that
// the outputs do not depend on. Keras never writes one; Keras drops such a
// layer when it loads the file, and could not load its weights.
func (m *Model) Unplaced() []*Layer {
	var out []*Layer
	order := m.Order()
	placed := map[*Layer]bool{}
	for _, l := range order {
		placed[l] = true
	}
	for _, l := range m.Layers {
		if !placed[l] && !(m.IsSequential() && l.Class == "InputLayer") {
			out = append(out, l)
		}
		if l.Sub != nil {
			out = append(out, l.Sub.Unplaced()...)
		}
	}
	return out
}

// ErrCycle is returned for a graph whose calls depend on themselves.
var ErrCycle = errors.New("the layer graph has a cycle")

// Order returns the layers in the order Keras computes when it rebuilds the
// model (model.layers): by decreasing depth from the outputs, ties broken
// by first visit in a depth-first walk from the outputs. Keras matches
// saved weights to layers by their position in this order.
func (m *Model) Order() []*Layer {
	out, _ := m.order() // Parse refused cycles
	return out
}

func (m *Model) order() ([]*Layer, error) {
	if m.IsSequential() {
		var out []*Layer
		for _, l := range m.Layers {
			if l.Class != "InputLayer" {
				out = append(out, l)
			}
		}
		return out, nil
	}
	outs, ins := m.ids(m.Outputs), m.ids(m.Inputs)
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
			parents := m.Parents(id)
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
	return m.byDepth(postorder, ins, isInput, index), nil
}

// byDepth orders the layers of a post-order walk by depth (the longest
// path to an output), deepest first, ties in the order the walk first met
// them, as Keras's _map_graph_network orders a Functional model's layers.
func (m *Model) byDepth(postorder, ins []NodeID, isInput map[NodeID]bool, index map[*Layer]int) []*Layer {
	nodeDepth := map[NodeID]int{}
	layerDepth := map[*Layer]int{}
	for i := len(postorder) - 1; i >= 0; i-- {
		id := postorder[i]
		d := max(nodeDepth[id], layerDepth[id.Layer])
		layerDepth[id.Layer] = d
		nodeDepth[id] = d
		parents := m.Parents(id)
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
	return out
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

// Ancestors returns the calls the given calls depend on, themselves included.
func (m *Model) Ancestors(from []NodeID) map[NodeID]bool {
	seen := map[NodeID]bool{}
	stack := append([]NodeID(nil), from...)
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[id] {
			continue
		}
		seen[id] = true
		parents := m.Parents(id)
		stack = append(stack, parents...)
	}
	return seen
}

// Descendants returns the calls that depend on the given calls, themselves
// included: what changes downstream of them.
func (m *Model) Descendants(from []NodeID) map[NodeID]bool {
	children := map[NodeID][]NodeID{}
	for _, l := range m.Layers {
		for i := range l.Nodes {
			id := NodeID{l, i}
			parents := m.Parents(id)
			for _, p := range parents {
				children[p] = append(children[p], id)
			}
		}
	}
	seen := map[NodeID]bool{}
	stack := append([]NodeID(nil), from...)
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[id] {
			continue
		}
		seen[id] = true
		stack = append(stack, children[id]...)
	}
	return seen
}

// Output is the index'th output tensor of call id.
func (m *Model) Output(id NodeID, index int) Tensor { return m.tensor(id, index) }

// Node is the call id names (nil for an InputLayer's output).
func (m *Model) Node(id NodeID) *Node {
	if id.Node < 0 {
		return nil
	}
	return id.Layer.Nodes[id.Node]
}

// KerasLayers returns model.layers as Keras lists them: Order without the
// Keras 3 operations (keras.ops calls in a Functional model), which Keras
// lists in its summary but which are no layers and hold no weights.
func (m *Model) KerasLayers() []*Layer {
	order := m.Order()
	out := order[:0:0]
	for _, l := range order {
		if !IsOperation(l, m.Dialect) {
			out = append(out, l)
		}
	}
	return out
}

// IsOperation reports a Keras 3 operation: its config has no "trainable"
// key, which every Keras 3 layer but InputLayer writes.
func IsOperation(l *Layer, d Dialect) bool {
	return d == Keras3 && l.Class != "InputLayer" && l.Sub == nil && l.Config != nil && !l.Config.Has("trainable")
}
