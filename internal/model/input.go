package model

import (
	"errors"
	"strings"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// CutInput makes output tensor of call id of a Functional model a model
// input: a new InputLayer named name, of batch shape s, takes the tensor's
// place wherever a call or the model's outputs read it. Its config is
// that of the model's first InputLayer (the keys its Keras writes) with
// the new name and shape. The layer is placed before id's layer; calls
// nothing reads any more stay until the caller removes them (Keep), and
// the caller sets the model's inputs (SetInputs).
func (m *Model) CutInput(id NodeID, tensor int, name string, s Shape) (*Layer, error) {
	if m.IsSequential() {
		return nil, errors.New("a Sequential model cannot take a new input inside it")
	}
	l := m.newInputLayer(name, s, computeDType(id.Layer))
	var node *Node
	if id.Node >= 0 {
		node = id.Layer.Nodes[id.Node]
	}
	swap := func(t *Tensor) {
		if t.Layer == id.Layer && t.Node == node && t.Index == tensor {
			*t = Tensor{Layer: l}
		}
	}
	for _, x := range m.Layers {
		for _, n := range x.Nodes {
			for i := range n.In {
				swap(&n.In[i])
			}
		}
	}
	for i := range m.Outputs {
		swap(&m.Outputs[i])
	}
	m.InsertBefore(l, id.Layer)
	m.sync()
	return l, nil
}

// newInputLayer is an InputLayer entry as m's Keras writes one.
func (m *Model) newInputLayer(name string, s Shape, dtype string) *Layer {
	var tpl *Layer
	for _, x := range m.Layers {
		if x.Class == "InputLayer" && x.Config != nil {
			tpl = x
			break
		}
	}
	var cfg, e *jsonx.Obj
	if tpl != nil {
		cfg = cloneObj(tpl.Config)
		e = cloneExcept(tpl.entry, "config")
	} else {
		cfg = &jsonx.Obj{}
		cfg.Set("sparse", jsonx.BoolV(false))
		if m.Dialect == Keras2 {
			cfg.Set("ragged", jsonx.BoolV(false))
		}
		e = &jsonx.Obj{}
		e.Set("class_name", jsonx.Str("InputLayer"))
	}
	cfg.Delete("input_shape")
	cfg.Set("dtype", jsonx.Str(dtype))
	cfg.Set("name", jsonx.Str(name))
	e.Set("config", &jsonx.Value{Kind: jsonx.Object, Obj: cfg})
	e.Set("name", jsonx.Str(name))
	e.Set("inbound_nodes", jsonx.Arr())
	l := &Layer{Class: "InputLayer", Name: name, Config: cfg, entry: e}
	SetInputShape(l, s, m.Dialect)
	return l
}

// computeDType is the dtype a layer computes in, from its config's dtype:
// a name ("float32"), or a policy object (tf-keras Policy, Keras 3
// DTypePolicy) whose name may be mixed ("mixed_float16" computes in
// float16). A layer without one computes in float32.
func computeDType(l *Layer) string {
	name := "float32"
	if l.Config != nil {
		if s, ok := l.Config.String("dtype"); ok {
			name = s
		} else if p := l.Config.Object("dtype"); p != nil {
			if c := p.Object("config"); c != nil {
				if s, ok := c.String("name"); ok {
					name = s
				}
			}
		}
	}
	if rest, ok := strings.CutPrefix(name, "mixed_"); ok {
		return rest
	}
	return name
}
