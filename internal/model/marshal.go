package model

import "github.com/modelsurg/modelsurg/internal/jsonx"

// Marshal writes m as a model_config JSON document in its dialect. Keys
// modelsurg does not interpret are written as they were read; a config that
// was only parsed is written back byte for byte. m is not modified.
func Marshal(m *Model) []byte {
	return jsonx.Marshal(&jsonx.Value{Kind: jsonx.Object, Obj: envelope(m)})
}

// envelope returns a new {"class_name", "config", ...} object for m; it
// shares the values m did not change with m.
func envelope(m *Model) *jsonx.Obj {
	layers := make([]*jsonx.Value, len(m.Layers))
	for i, l := range m.Layers {
		e := copyObj(l.entry)
		if l.Sub != nil {
			e.Set("config", envelope(l.Sub).Get("config"))
		}
		if !m.IsSequential() && (e.Has("inbound_nodes") || len(l.Nodes) > 0) {
			nodes := make([]*jsonx.Value, len(l.Nodes))
			for j, n := range l.Nodes {
				nodes[j] = n.raw
			}
			e.Set("inbound_nodes", &jsonx.Value{Kind: jsonx.Array, Elems: nodes})
		}
		layers[i] = &jsonx.Value{Kind: jsonx.Object, Obj: e}
	}
	env := copyObj(m.env)
	if m.listConfig {
		env.Set("config", &jsonx.Value{Kind: jsonx.Array, Elems: layers})
		return env
	}
	cfg := copyObj(m.Config)
	cfg.Set("layers", &jsonx.Value{Kind: jsonx.Array, Elems: layers})
	if !m.IsSequential() {
		cfg.Set("input_layers", m.inRaw)
		cfg.Set("output_layers", m.outRaw)
	}
	env.Set("config", &jsonx.Value{Kind: jsonx.Object, Obj: cfg})
	return env
}

// copyObj is a shallow copy of o: its keys can be set without changing o.
func copyObj(o *jsonx.Obj) *jsonx.Obj {
	return &jsonx.Obj{Keys: append([]string(nil), o.Keys...), Vals: append([]*jsonx.Value(nil), o.Vals...)}
}
