package model

import (
	"fmt"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// Clone returns a deep copy of m whose layers keep their weight references.
// Surgery edits the copy, never its argument.
func Clone(m *Model) (*Model, error) {
	c, err := Parse(Marshal(m), m.Dialect)
	if err != nil {
		return nil, fmt.Errorf("clone: %w", err)
	}
	var copyWeights func(dst, src *Model)
	copyWeights = func(dst, src *Model) {
		for i, l := range src.Layers {
			dst.Layers[i].Weights = append([]*Weight(nil), l.Weights...)
			if l.Sub != nil {
				copyWeights(dst.Layers[i].Sub, l.Sub)
			}
		}
	}
	copyWeights(c, m)
	return c, nil
}

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
	key := "batch_input_shape"
	if d == Keras3 || l.Config.Has("batch_shape") {
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
	e := jsonx.NewObject()
	e.Obj.Set("class_name", jsonx.Str(class))
	e.Obj.Set("config", &jsonx.Value{Kind: jsonx.Object, Obj: cfg})
	e.Obj.Set("name", jsonx.Str(name))
	e.Obj.Set("inbound_nodes", jsonx.Arr())
	return &Layer{Class: class, Name: name, Entry: e, Config: cfg}
}

// NewSequentialLayer makes a Sequential-model layer entry (no name or
// inbound_nodes keys, as Keras writes them).
func NewSequentialLayer(class, name string, cfg *jsonx.Obj) *Layer {
	cfg.Set("name", jsonx.Str(name))
	e := jsonx.NewObject()
	e.Obj.Set("class_name", jsonx.Str(class))
	e.Obj.Set("config", &jsonx.Value{Kind: jsonx.Object, Obj: cfg})
	return &Layer{Class: class, Name: name, Entry: e, Config: cfg}
}

// AddCall appends a call of l on the tensors ins (whose shapes are given
// for Keras 3, which records them) and returns the new call's index.
func (m *Model) AddCall(l *Layer, ins []Ref, shapes []Shape) int {
	n := &Node{Inputs: append([]Ref(nil), ins...)}
	if m.Dialect == Keras3 {
		args := make([]*jsonx.Value, len(ins))
		for i, r := range ins {
			var s Shape
			if i < len(shapes) {
				s = shapes[i]
			}
			args[i] = kerasTensor(r, s)
		}
		call := jsonx.NewObject()
		if len(args) == 1 {
			call.Obj.Set("args", jsonx.Arr(args[0]))
		} else {
			call.Obj.Set("args", jsonx.Arr(jsonx.Arr(args...)))
		}
		call.Obj.Set("kwargs", jsonx.NewObject())
		n.Raw = call
	} else {
		call := jsonx.Arr()
		for _, r := range ins {
			call.Elems = append(call.Elems, jsonx.Arr(jsonx.Str(r.Layer), jsonx.Int(int64(r.Node)), jsonx.Int(int64(r.Tensor)), jsonx.NewObject()))
		}
		n.Raw = call
	}
	l.Nodes = append(l.Nodes, n)
	return len(l.Nodes) - 1
}

func kerasTensor(r Ref, s Shape) *jsonx.Value {
	cfg := jsonx.NewObject()
	if s != nil {
		cfg.Obj.Set("shape", ShapeJSON(s))
	} else {
		cfg.Obj.Set("shape", jsonx.NullV())
	}
	cfg.Obj.Set("dtype", jsonx.Str("float32"))
	cfg.Obj.Set("keras_history", jsonx.Arr(jsonx.Str(r.Layer), jsonx.Int(int64(r.Node)), jsonx.Int(int64(r.Tensor))))
	t := jsonx.NewObject()
	t.Obj.Set("class_name", jsonx.Str("__keras_tensor__"))
	t.Obj.Set("config", cfg)
	return t
}

// SetOutputs makes refs (in input_layers/output_layers numbering) the
// model's outputs, in the form the config used: a bare triple or a list.
func (m *Model) SetOutputs(refs []Ref) {
	m.Outputs = append([]Ref(nil), refs...)
	m.OutputsRaw = refsJSON(refs, m.OutputsRaw)
}

// SetInputs is SetOutputs for the model's inputs.
func (m *Model) SetInputs(refs []Ref) {
	m.Inputs = append([]Ref(nil), refs...)
	m.InputsRaw = refsJSON(refs, m.InputsRaw)
}

func refsJSON(refs []Ref, old *jsonx.Value) *jsonx.Value {
	triple := func(r Ref) *jsonx.Value {
		return jsonx.Arr(jsonx.Str(r.Layer), jsonx.Int(int64(r.Node)), jsonx.Int(int64(r.Tensor)))
	}
	if len(refs) == 1 && old != nil && len(flattenRefs(old)) == 1 {
		if _, bare := refOf(old); bare && len(old.Elems) == 3 {
			return triple(refs[0])
		}
	}
	v := jsonx.Arr()
	for _, r := range refs {
		v.Elems = append(v.Elems, triple(r))
	}
	return v
}

// RemoveLayers drops the named layers from m (their calls included).
func (m *Model) RemoveLayers(names map[string]bool) {
	kept := m.Layers[:0:0]
	for _, l := range m.Layers {
		if !names[l.Name] {
			kept = append(kept, l)
		}
	}
	m.Layers = kept
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
		for i, n := range l.Nodes {
			if n.Raw == nil || n.Raw.Kind != jsonx.Object {
				continue
			}
			id := NodeID{l, i}
			parents, err := m.Parents(id)
			if err != nil {
				continue
			}
			var tensors []*jsonx.Value
			collectTensorValues(n.Raw, &tensors, 0)
			for k, t := range tensors {
				if k >= len(parents) {
					break
				}
				outs := s.Outputs(parents[k])
				ti := n.Inputs[k].Tensor
				if ti < len(outs) && outs[ti] != nil {
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
		if ins, err := m.InputIDs(); err == nil && len(ins) == 1 {
			if outs := s.Outputs(ins[0]); len(outs) == 1 && outs[0] != nil {
				m.Config.Set("build_input_shape", ShapeJSON(outs[0]))
			}
		}
	}
}

// collectTensorValues appends, in order, every __keras_tensor__ object in v.
func collectTensorValues(v *jsonx.Value, out *[]*jsonx.Value, depth int) {
	if v == nil || depth > 64 {
		return
	}
	switch v.Kind {
	case jsonx.Array:
		for _, e := range v.Elems {
			collectTensorValues(e, out, depth+1)
		}
	case jsonx.Object:
		if c, _ := v.Obj.String("class_name"); c == "__keras_tensor__" {
			*out = append(*out, v)
			return
		}
		for _, e := range v.Obj.Vals {
			collectTensorValues(e, out, depth+1)
		}
	}
}
