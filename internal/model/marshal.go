package model

import "github.com/modelsurg/modelsurg/internal/jsonx"

// Marshal writes m as a model_config JSON document in its dialect. Keys
// modelsurg does not interpret are written as they were read; a config that
// was only parsed is written back byte for byte.
func Marshal(m *Model) []byte {
	return jsonx.Marshal(&jsonx.Value{Kind: jsonx.Object, Obj: envelope(m)})
}

func envelope(m *Model) *jsonx.Obj {
	layers := make([]*jsonx.Value, len(m.Layers))
	for i, l := range m.Layers {
		e := l.Entry.Obj
		if l.Sub != nil {
			e.Set("config", &jsonx.Value{Kind: jsonx.Object, Obj: envelope(l.Sub).Get("config").Obj})
		}
		if !m.IsSequential() && e.Has("inbound_nodes") {
			nodes := make([]*jsonx.Value, len(l.Nodes))
			for j, n := range l.Nodes {
				nodes[j] = n.Raw
			}
			e.Set("inbound_nodes", &jsonx.Value{Kind: jsonx.Array, Elems: nodes})
		}
		layers[i] = l.Entry
	}
	m.Config.Set("layers", &jsonx.Value{Kind: jsonx.Array, Elems: layers})
	if !m.IsSequential() {
		m.Config.Set("input_layers", m.InputsRaw)
		m.Config.Set("output_layers", m.OutputsRaw)
	}
	return m.Envelope
}
