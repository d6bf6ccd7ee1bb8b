package model

import "github.com/modelsurg/modelsurg/internal/jsonx"

// Clone returns a deep copy of m: its configs and calls can be edited
// without changing m; weights are shared (they are never edited in place).
func Clone(m *Model) *Model { return cloneModel(m, nil) }

// cloneModel copies m; env, if set, is the copy's envelope (the layer entry
// of a nested model, already copied by the caller).
func cloneModel(m *Model, env *jsonx.Obj) *Model {
	c := &Model{Dialect: m.Dialect, Class: m.Class, Name: m.Name, listConfig: m.listConfig}
	c.Config = cloneExcept(m.Config, "layers", "input_layers", "output_layers")
	if env == nil {
		env = cloneExcept(m.env, "config")
	}
	c.env = env
	nodes := map[*Node]*Node{}
	layers := map[*Layer]*Layer{}
	for _, l := range m.Layers {
		cl := &Layer{Class: l.Class, Name: l.Name, Weights: append([]*Weight(nil), l.Weights...)}
		cl.entry = cloneExcept(l.entry, "config", "inbound_nodes")
		if l.Sub != nil {
			cl.Sub = cloneModel(l.Sub, cl.entry)
			cl.Config = cl.Sub.Config
		} else if l.Config != nil {
			cl.Config = cloneObj(l.Config)
			cl.entry.Set("config", &jsonx.Value{Kind: jsonx.Object, Obj: cl.Config})
		}
		for _, n := range l.Nodes {
			cn := &Node{Inputs: append([]Ref(nil), n.Inputs...)}
			if n.raw != nil {
				cn.raw = n.raw.Clone()
				_, cn.holes, cn.Kwargs, _ = readNode(cn.raw)
			}
			nodes[n] = cn
			cl.Nodes = append(cl.Nodes, cn)
		}
		layers[l] = cl
		c.Layers = append(c.Layers, cl)
	}
	mapTensor := func(t Tensor) Tensor {
		return Tensor{Layer: layers[t.Layer], Node: nodes[t.Node], Index: t.Index}
	}
	for _, l := range m.Layers {
		for _, n := range l.Nodes {
			cn := nodes[n]
			cn.In = make([]Tensor, len(n.In))
			for i, t := range n.In {
				cn.In[i] = mapTensor(t)
			}
		}
	}
	for _, t := range m.Inputs {
		c.Inputs = append(c.Inputs, mapTensor(t))
	}
	for _, t := range m.Outputs {
		c.Outputs = append(c.Outputs, mapTensor(t))
	}
	if m.inRaw != nil {
		c.inRaw, c.inHoles = cloneIO(m.inRaw)
	}
	if m.outRaw != nil {
		c.outRaw, c.outHoles = cloneIO(m.outRaw)
	}
	return c
}

func cloneIO(v *jsonx.Value) (*jsonx.Value, [][]*jsonx.Value) {
	c := v.Clone()
	var triples []*jsonx.Value
	ioTriples(c, &triples, 0)
	holes := make([][]*jsonx.Value, len(triples))
	for i, t := range triples {
		holes[i] = []*jsonx.Value{t}
	}
	return c, holes
}

func cloneObj(o *jsonx.Obj) *jsonx.Obj {
	return (&jsonx.Value{Kind: jsonx.Object, Obj: o}).Clone().Obj
}

// cloneExcept deep-copies o but for the values of keys, which are left
// shared: the caller replaces them (Marshal always does).
func cloneExcept(o *jsonx.Obj, keys ...string) *jsonx.Obj {
	c := &jsonx.Obj{Keys: append([]string(nil), o.Keys...), Vals: make([]*jsonx.Value, len(o.Vals))}
outer:
	for i, v := range o.Vals {
		for _, k := range keys {
			if o.Keys[i] == k {
				c.Vals[i] = v
				continue outer
			}
		}
		c.Vals[i] = v.Clone()
	}
	return c
}
