package model

import (
	"fmt"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// InputShape returns the batch shape an InputLayer config declares.
func InputShape(l *Layer, d Dialect) (Shape, error) {
	out, err := InferLayer("InputLayer", l.Config, nil, d)
	if err != nil {
		return nil, err
	}
	if len(out) != 1 {
		return nil, fmt.Errorf("layer %q: no input shape", l.Name)
	}
	return out[0], nil
}

// SetInputShape sets the batch shape an InputLayer declares, in the key its
// dialect uses (batch_input_shape for Keras 2, batch_shape for Keras 3).
func SetInputShape(l *Layer, s Shape, d Dialect) {
	key := d.inputShapeKey()
	if l.Config.Has("batch_shape") {
		key = "batch_shape"
	}
	l.Config.Set(key, ShapeJSON(s))
}

// ShapeJSON encodes a shape as Keras does: a list with null for None.
func ShapeJSON(s Shape) *jsonx.Value {
	v := jsonx.Arr()
	for _, d := range s {
		if d == None {
			v.Elems = append(v.Elems, jsonx.NullV())
		} else {
			v.Elems = append(v.Elems, jsonx.Int(int64(d)))
		}
	}
	return v
}

// NewLayer makes a Functional-model layer entry of the given class whose
// config is cfg (cfg's "name" is set to name). It has no calls yet.
func NewLayer(class, name string, cfg *jsonx.Obj) *Layer {
	cfg.Set("name", jsonx.Str(name))
	e := &jsonx.Obj{}
	e.Set("class_name", jsonx.Str(class))
	e.Set("config", &jsonx.Value{Kind: jsonx.Object, Obj: cfg})
	e.Set("name", jsonx.Str(name))
	e.Set("inbound_nodes", jsonx.Arr())
	return &Layer{Class: class, Name: name, entry: e, Config: cfg}
}

// NewSequentialLayer makes a Sequential-model layer entry (no name or
// inbound_nodes keys, as Keras writes them).
func NewSequentialLayer(class, name string, cfg *jsonx.Obj) *Layer {
	cfg.Set("name", jsonx.Str(name))
	e := &jsonx.Obj{}
	e.Set("class_name", jsonx.Str(class))
	e.Set("config", &jsonx.Value{Kind: jsonx.Object, Obj: cfg})
	return &Layer{Class: class, Name: name, entry: e, Config: cfg}
}

// AddCall appends a call of l on the tensors ins (whose shapes are given
// for Keras 3, which records them) and returns the new call's index.
// A reference to no tensor of m is a programming error.
func (m *Model) AddCall(l *Layer, ins []Ref, shapes []Shape) int {
	ts := make([]Tensor, len(ins))
	for i, r := range ins {
		t, err := m.resolve(r, false)
		if err != nil {
			panic("model: AddCall: " + err.Error())
		}
		ts[i] = t
	}
	return m.Call(l, ts, shapes)
}

// Call appends a call of l on the tensors ins and returns its index.
func (m *Model) Call(l *Layer, ins []Tensor, shapes []Shape) int {
	n := &Node{}
	m.plainCall(n, ins, shapes)
	l.Nodes = append(l.Nodes, n)
	m.setHoles(n)
	return len(l.Nodes) - 1
}

// Recall makes call i of l a plain call on the tensors ins, without
// keyword arguments, in m's dialect: the node stays the same, so the
// tensors it outputs and every reference to them are kept.
func (m *Model) Recall(l *Layer, i int, ins []Tensor, shapes []Shape) {
	n := l.Nodes[i]
	m.plainCall(n, ins, shapes)
	m.setHoles(n)
}

// plainCall writes n as a call on ins (one tensor, or a list of them).
func (m *Model) plainCall(n *Node, ins []Tensor, shapes []Shape) {
	n.In, n.holes, n.Kwargs = append([]Tensor(nil), ins...), nil, nil
	if m.Dialect == Keras3 {
		args := make([]*jsonx.Value, len(ins))
		for i := range ins {
			var s Shape
			if i < len(shapes) {
				s = shapes[i]
			}
			args[i] = kerasTensor(s, "float32")
			n.holes = append(n.holes, []*jsonx.Value{historyOf(args[i])})
		}
		call := jsonx.NewObject()
		if len(args) == 1 {
			call.Obj.Set("args", jsonx.Arr(args[0]))
		} else {
			call.Obj.Set("args", jsonx.Arr(jsonx.Arr(args...)))
		}
		call.Obj.Set("kwargs", jsonx.NewObject())
		n.raw, n.Kwargs = call, call.Obj.Get("kwargs").Obj
	} else {
		call := jsonx.Arr()
		for range ins {
			e := jsonx.Arr(jsonx.Str(""), jsonx.Int(0), jsonx.Int(0), jsonx.NewObject())
			call.Elems = append(call.Elems, e)
			n.holes = append(n.holes, []*jsonx.Value{e})
		}
		n.raw = call
	}
}

// Become gives l another class and config (its name is kept): a layer
// rewritten into one that computes the same thing.
func (l *Layer) Become(class string, cfg *jsonx.Obj) {
	cfg.Set("name", jsonx.Str(l.Name))
	l.Class, l.Config = class, cfg
	l.entry.Set("class_name", jsonx.Str(class))
	l.entry.Set("config", &jsonx.Value{Kind: jsonx.Object, Obj: cfg})
}

// kerasTensor is a Keras 3 __keras_tensor__ whose keras_history is filled
// in by setHoles.
func kerasTensor(s Shape, dtype string) *jsonx.Value {
	cfg := jsonx.NewObject()
	if s != nil {
		cfg.Obj.Set("shape", ShapeJSON(s))
	} else {
		cfg.Obj.Set("shape", jsonx.NullV())
	}
	cfg.Obj.Set("dtype", jsonx.Str(dtype))
	cfg.Obj.Set("keras_history", jsonx.Arr(jsonx.Str(""), jsonx.Int(0), jsonx.Int(0)))
	t := jsonx.NewObject()
	t.Obj.Set("class_name", jsonx.Str("__keras_tensor__"))
	t.Obj.Set("config", cfg)
	return t
}

// SetOutputs makes refs (in input_layers/output_layers numbering) the
// model's outputs, in the form the config used: a bare triple or a list.
func (m *Model) SetOutputs(refs []Ref) {
	m.Outputs = m.resolveIO(refs)
	m.outRaw, m.outHoles = m.ioJSON(m.Outputs, m.outRaw)
}

// SetOutputTensors is SetOutputs for tensors of m.
func (m *Model) SetOutputTensors(ts []Tensor) {
	m.Outputs = append([]Tensor(nil), ts...)
	m.outRaw, m.outHoles = m.ioJSON(m.Outputs, m.outRaw)
}

// SetInputs is SetOutputs for the model's inputs.
func (m *Model) SetInputs(refs []Ref) {
	m.Inputs = m.resolveIO(refs)
	m.inRaw, m.inHoles = m.ioJSON(m.Inputs, m.inRaw)
}

func (m *Model) resolveIO(refs []Ref) []Tensor {
	ts := make([]Tensor, len(refs))
	for i, r := range refs {
		t, err := m.resolve(r, true)
		if err != nil {
			panic("model: " + err.Error())
		}
		ts[i] = t
	}
	return ts
}

// ioJSON writes tensors as input_layers/output_layers in the form old
// used: a bare triple for one tensor if old was one, else a list.
func (m *Model) ioJSON(ts []Tensor, old *jsonx.Value) (*jsonx.Value, [][]*jsonx.Value) {
	holes := make([][]*jsonx.Value, len(ts))
	triples := make([]*jsonx.Value, len(ts))
	for i, t := range ts {
		r := m.refOf(t, true)
		triples[i] = jsonx.Arr(jsonx.Str(r.Layer), jsonx.Int(int64(r.Node)), jsonx.Int(int64(r.Tensor)))
		holes[i] = []*jsonx.Value{triples[i]}
	}
	if len(ts) == 1 && old != nil {
		if _, bare := refOf(old); bare && len(old.Elems) == 3 {
			return triples[0], holes
		}
	}
	return jsonx.Arr(triples...), holes
}

// sync rewrites every reference the config writes from the graph: after
// calls were removed, numbers shift.
func (m *Model) sync() {
	for _, l := range m.Layers {
		if m.IsSequential() {
			continue
		}
		for _, n := range l.Nodes {
			m.setHoles(n)
		}
	}
	for i, t := range m.Inputs {
		if i < len(m.inHoles) {
			for _, h := range m.inHoles[i] {
				writeRef(h, m.refOf(t, true))
			}
		}
	}
	for i, t := range m.Outputs {
		if i < len(m.outHoles) {
			for _, h := range m.outHoles[i] {
				writeRef(h, m.refOf(t, true))
			}
		}
	}
}

// AllNames returns every layer name used in m and in the models nested in
// it; Keras refuses duplicates across a whole model.
func (m *Model) AllNames() map[string]bool {
	names := map[string]bool{m.Name: true}
	m.Walk(func(_ []string, l *Layer) { names[l.Name] = true })
	return names
}

// UniqueName returns base, or base_1, base_2, ... if base is taken.
func (m *Model) UniqueName(base string, taken map[string]bool) string {
	if !taken[base] {
		taken[base] = true
		return base
	}
	for i := 1; ; i++ {
		n := fmt.Sprintf("%s_%d", base, i)
		if !taken[n] {
			taken[n] = true
			return n
		}
	}
}

// RefreshShapes rewrites the shapes a config records besides the input
// layers - the Keras 3 tensors inside each call, and Sequential's
// build_input_shape - from inferred shapes s. Unknown shapes are left.
func RefreshShapes(m *Model, s *Shapes) {
	for _, l := range m.Layers {
		for _, n := range l.Nodes {
			if n.raw == nil || n.raw.Kind != jsonx.Object {
				continue
			}
			var tensors []*jsonx.Value
			kerasTensors(n.raw, &tensors, 0)
			for k, t := range tensors {
				if k >= len(n.In) {
					break
				}
				outs := s.Outputs(m.ID(n.In[k]))
				if ti := n.In[k].Index; ti < len(outs) && outs[ti] != nil {
					if cfg := t.Obj.Object("config"); cfg != nil {
						cfg.Set("shape", ShapeJSON(outs[ti]))
					}
				}
			}
		}
		if l.Sub != nil {
			if sub := s.Nested(l); sub != nil {
				RefreshShapes(l.Sub, sub)
			}
		}
	}
	if m.IsSequential() && m.Config.Has("build_input_shape") {
		if ins := m.InputIDs(); len(ins) == 1 {
			if outs := s.Outputs(ins[0]); len(outs) == 1 && outs[0] != nil {
				m.Config.Set("build_input_shape", ShapeJSON(outs[0]))
			}
		}
	}
}
