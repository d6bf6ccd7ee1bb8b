// Package diff compares two Keras models layer by layer, matched by name:
// layers added, removed or renamed, config keys changed, weights equal,
// different or reshaped. It is pure Go: weight values come through a
// ReadFunc, one bounded chunk at a time.
package diff

import (
	"strings"

	"github.com/modelsurg/modelsurg/internal/jsonx"
	"github.com/modelsurg/modelsurg/internal/model"
)

// ReadFunc reads rows [row, row+rows) of a weight, along its first
// dimension (a scalar is one row), into dst as float64; len(dst) is rows
// times the size of one row.
type ReadFunc func(w *model.Weight, row, rows int, dst []float64) error

// Side is one of the two files compared.
type Side struct {
	// Label names the side in the report, e.g. its file.
	Label string
	info  Info
	m     *model.Model
	// layers in Keras's order (Keras 3 operations included: their configs
	// count), each nested model's layers after it.
	layers []*layer
}

// layer is one layer of a side; path is its name, prefixed with the names
// of the nested models it is in ("outer/inner").
type layer struct {
	path, parent string
	class        string
	cfg          *jsonx.Obj
	weights      []*model.Weight
}

// FromModel is a side holding a model and the weights bound to its layers.
func FromModel(label string, m *model.Model) Side {
	s := Side{Label: label, m: m}
	s.info = Info{Name: m.Name, Class: m.Class, Dialect: m.Dialect.String()}
	// A nested model's weights are compared once, where the file saves
	// them: under the nested layer (a .keras reader binds them to its
	// layers as well).
	var add func(m *model.Model, prefix string, held bool)
	add = func(m *model.Model, prefix string, held bool) {
		order := m.Order()
		for _, l := range order {
			p := prefix + l.Name
			ws := l.Weights
			if held {
				ws = nil
			}
			s.layers = append(s.layers, &layer{path: p, parent: strings.TrimSuffix(prefix, "/"), class: l.Class, cfg: l.Config, weights: ws})
			if l.Sub != nil {
				add(l.Sub, p+"/", held || len(l.Weights) > 0)
			}
		}
	}
	add(m, "", false)
	s.count()
	return s
}

// FromGroups is a side for a weights-only file: its layer_names and each
// one's saved weights; it has no classes or configs to compare.
func FromGroups(label string, names []string, groups map[string][]*model.Weight) Side {
	s := Side{Label: label, info: Info{WeightsOnly: true}}
	for _, n := range names {
		s.layers = append(s.layers, &layer{path: n, weights: groups[n]})
	}
	s.count()
	return s
}

func (s *Side) count() {
	s.info.Layers = len(s.layers)
	for _, l := range s.layers {
		s.info.Weights += len(l.weights)
		for _, w := range l.weights {
			s.info.Params += w.Size()
		}
	}
}

// Options tune the comparison.
type Options struct {
	// Tolerance is the largest absolute difference of two values still
	// counted as equal (0: values must be equal bit for bit, once read as
	// float64).
	Tolerance float64
}

// Compare compares a with b. Layers are matched by name; a layer only in
// a and one only in b with the same class, config and weights are a
// rename. Configs are compared without the layer's name and without what
// only tells two dialects apart (see normalize). Weights are matched by
// position inside their layer, as Keras loads them.
func Compare(a, b Side, read ReadFunc, opt Options) (*Report, error) {
	c := &comparer{read: read, tol: opt.Tolerance, cross: a.m != nil && b.m != nil && a.m.Dialect != b.m.Dialect}
	r := &Report{A: a.info, B: b.info}
	r.A.Label, r.B.Label = a.Label, b.Label
	if a.m != nil && b.m != nil {
		r.Model = modelChanges(a.m, b.m, c.cross)
	}
	inB := index(b.layers)
	inA := index(a.layers)
	var removed, added []*layer
	for _, la := range a.layers {
		lb := inB[la.path]
		if lb == nil {
			if la.parent == "" || inB[la.parent] != nil {
				removed = append(removed, la)
			}
			continue
		}
		ch, err := c.layer(la, lb, &r.Totals)
		if err != nil {
			return nil, err
		}
		if ch != nil {
			r.Changed = append(r.Changed, *ch)
		}
	}
	for _, lb := range b.layers {
		if inA[lb.path] == nil && (lb.parent == "" || inA[lb.parent] != nil) {
			added = append(added, lb)
		}
	}
	return r, c.renames(r, removed, added)
}

func index(ls []*layer) map[string]*layer {
	m := make(map[string]*layer, len(ls))
	for _, l := range ls {
		if m[l.path] == nil {
			m[l.path] = l
		}
	}
	return m
}

// modelChanges compares the models' own attributes: class, name and the
// keys of their configs other than the layers.
func modelChanges(a, b *model.Model, cross bool) []KeyChange {
	var out []KeyChange
	if a.Class != b.Class {
		out = append(out, KeyChange{Key: "class_name", A: jsonText(a.Class), B: jsonText(b.Class)})
	}
	if a.Name != b.Name {
		out = append(out, KeyChange{Key: "name", A: jsonText(a.Name), B: jsonText(b.Name)})
	}
	return append(out, configChanges(a.Config, b.Config, cross)...)
}

func jsonText(s string) string { return string(jsonx.Marshal(jsonx.Str(s))) }

type comparer struct {
	read  ReadFunc
	tol   float64
	cross bool
}

// layer compares two layers of the same name; nil when they are equal.
func (c *comparer) layer(la, lb *layer, t *Totals) (*Change, error) {
	ch := &Change{Name: la.path, Class: la.class}
	if la.class != "" && lb.class != "" && la.class != lb.class {
		ch.ClassB = lb.class
	}
	if la.cfg != nil && lb.cfg != nil {
		ch.Config = configChanges(la.cfg, lb.cfg, c.cross)
	}
	ws, err := c.weights(la.weights, lb.weights, t)
	if err != nil {
		return nil, err
	}
	ch.Weights = ws
	if ch.ClassB == "" && len(ch.Config) == 0 && len(ch.Weights) == 0 {
		return nil, nil
	}
	return ch, nil
}

// renames pairs each removed layer with the first added one of the same
// class, config and weights inside the same model, in order; the rest stay removed and added.
func (c *comparer) renames(r *Report, removed, added []*layer) error {
	used := make([]bool, len(added))
	for _, la := range removed {
		found := -1
		for i, lb := range added {
			if used[i] || la.class != lb.class || la.parent != lb.parent {
				continue
			}
			if la.cfg == nil || lb.cfg == nil {
				// without configs, only weights tell a layer apart
				if len(la.weights) == 0 {
					continue
				}
			} else if !sameConfig(la.cfg, lb.cfg, c.cross) {
				continue
			}
			var t Totals
			ws, err := c.weights(la.weights, lb.weights, &t)
			if err != nil {
				return err
			}
			if len(ws) == 0 {
				found = i
				break
			}
		}
		if found < 0 {
			r.Removed = append(r.Removed, Layer{Name: la.path, Class: la.class})
			continue
		}
		used[found] = true
		r.Renamed = append(r.Renamed, Rename{From: la.path, To: added[found].path, Class: la.class})
		r.Totals.Equal += len(la.weights)
	}
	for i, lb := range added {
		if !used[i] {
			r.Added = append(r.Added, Layer{Name: lb.path, Class: lb.class})
		}
	}
	return nil
}
