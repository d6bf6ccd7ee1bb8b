package model

import (
	"fmt"
	"sort"
	"strings"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// Rename renames the layer old (at any depth) to new; see RenameAll.
func (m *Model) Rename(old, new string) error {
	return m.RenameAll(map[string]string{old: new})
}

// RenameAll renames layers at any depth of m, old name to new, all at
// once (a swap is allowed): each layer's entry and config, every
// reference to it (inbound nodes, input_layers, output_layers), a nested
// model's own name, and the weights named after it ("conv1/kernel:0"
// becomes "c1/kernel:0"; weights are replaced, never edited). Names must
// stay unique across the whole model: a clash is an error naming both
// layers, and so is an old name that names no layer.
func (m *Model) RenameAll(plan map[string]string) error {
	type site struct {
		owner *Model
		layer *Layer
	}
	sites := map[string]site{}
	for _, top := range m.Layers {
		sites[top.Name] = site{m, top}
		if top.Sub != nil {
			top.Sub.Walk(func(path []string, l *Layer) {
				owner := top.Sub
				for _, p := range path {
					owner = owner.Layer(p).Sub
				}
				sites[l.Name] = site{owner, l}
			})
		}
	}
	olds := make([]string, 0, len(plan))
	for old := range plan {
		olds = append(olds, old)
	}
	sort.Strings(olds)
	for _, old := range olds {
		new := plan[old]
		if _, ok := sites[old]; !ok {
			return fmt.Errorf("no layer is named %q", old)
		}
		if new == "" {
			return fmt.Errorf("layer %q: the new name is empty", old)
		}
		if s := sites[old].layer; s.Sub != nil && s.Sub.listConfig {
			return fmt.Errorf("layer %q: a Sequential model written as a bare list has no name to change", old)
		}
	}
	names := make([]string, 0, len(sites))
	for name := range sites {
		names = append(names, name)
	}
	sort.Strings(names)
	holder := map[string]string{} // final name -> the layer that gets it
	for _, name := range names {
		res := name
		if nn, ok := plan[name]; ok {
			res = nn
		}
		if other, ok := holder[res]; ok {
			_, movedA := plan[other]
			_, movedB := plan[name]
			switch {
			case movedA && movedB:
				return fmt.Errorf("layers %q and %q would both be named %q", other, name, res)
			case movedA:
				other, name = name, other
			}
			return fmt.Errorf("layer %q: cannot be renamed %q: layer %q has that name", name, res, other)
		}
		holder[res] = name
	}
	renameWeights(m, plan)
	touched := map[*Model]bool{}
	for _, old := range olds {
		sites[old].layer.setName(plan[old])
		touched[sites[old].owner] = true
	}
	for mm := range touched {
		mm.sync()
	}
	return nil
}

// setName writes a layer's new name where its entry and config hold it.
func (l *Layer) setName(name string) {
	l.Name = name
	if l.entry.Has("name") {
		l.entry.Set("name", jsonx.Str(name))
	}
	if l.Config != nil {
		l.Config.Set("name", jsonx.Str(name))
	}
	if l.Sub != nil {
		l.Sub.Name = name
	}
}

// renameWeights renames the weights named after renamed layers. A weight
// name is a path: the names of the models above its layer (Keras 3 writes
// them: "block/block_dense_a/kernel"), its layer's, then its own
// ("lstm/lstm_cell/kernel:0" is the layer lstm's). Components up to the
// first that names no model are renamed; weights are replaced, not edited.
func renameWeights(m *Model, plan map[string]string) {
	models := map[string]bool{m.Name: true}
	m.Walk(func(_ []string, l *Layer) {
		if l.Sub != nil {
			models[l.Name] = true
		}
	})
	for _, top := range m.Layers {
		for i, w := range top.Weights {
			if name, ok := renamedPath(w.Name, plan, models); ok {
				cp := *w
				cp.Name = name
				top.Weights[i] = &cp
			}
		}
	}
}

// renamedPath renames the leading components of a weight path; a layer
// name may hold "/" itself (tf-keras DenseNet's "conv1/conv"), so each
// component is the longest known name the path goes on with.
func renamedPath(path string, plan map[string]string, models map[string]bool) (string, bool) {
	var out strings.Builder
	rest, changed := path, false
	for {
		best := ""
		for k := range plan {
			if len(k) > len(best) && strings.HasPrefix(rest, k+"/") {
				best = k
			}
		}
		for k := range models {
			if len(k) > len(best) && strings.HasPrefix(rest, k+"/") {
				best = k
			}
		}
		if best == "" {
			break
		}
		if nn, ok := plan[best]; ok {
			out.WriteString(nn)
			changed = true
		} else {
			out.WriteString(best)
		}
		out.WriteByte('/')
		rest = rest[len(best)+1:]
		if !models[best] {
			break
		}
	}
	return out.String() + rest, changed
}
