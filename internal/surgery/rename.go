package surgery

import (
	"fmt"
	"strings"

	"github.com/modelsurg/modelsurg/internal/model"
)

// RenameSpec says how Rename names layers.
type RenameSpec struct {
	// Map gives layers their exact new names: old name to new, at any
	// depth (a nested model's layers too).
	Map []Renaming
	// Prefix and Suffix are put around the name of every layer Map does
	// not name, after Sanitize.
	Prefix, Suffix string
	// Sanitize replaces the characters Keras 3 rejects in a layer name
	// ("/") with "_" in every layer Map does not name.
	Sanitize bool
}

// Renaming is one old=new entry of RenameSpec.Map.
type Renaming struct{ Old, New string }

// RenameReport says what Rename did.
type RenameReport struct {
	// Renamed are the renamed layers, in model order (nested ones after
	// their model).
	Renamed []Renaming
	// Weights counts the weights renamed with their layers.
	Weights int
}

// Check validates the values of s that do not depend on a model.
func (s RenameSpec) Check() error {
	if len(s.Map) == 0 && s.Prefix == "" && s.Suffix == "" && !s.Sanitize {
		return &Error{Field: "Map", Msg: "nothing to rename: give {Map}, {MapFile}, {Prefix}, {Suffix} or {Sanitize}", Usage: true}
	}
	seen := map[string]string{}
	for _, r := range s.Map {
		if r.Old == "" || r.New == "" {
			return &Error{Field: "Map", Msg: fmt.Sprintf("%q=%q: both names must be non-empty", r.Old, r.New), Usage: true}
		}
		if prev, ok := seen[r.Old]; ok && prev != r.New {
			return &Error{Field: "Map", Msg: fmt.Sprintf("layer %q is renamed both %q and %q", r.Old, prev, r.New), Usage: true}
		}
		seen[r.Old] = r.New
	}
	return nil
}

// sanitizeName replaces what Keras 3 refuses in a layer name.
func sanitizeName(s string) string { return strings.ReplaceAll(s, "/", "_") }

// Rename returns m with layers renamed as spec says: every reference to
// them, a nested model's name and the weights named after them follow.
// Two layers may not end up with one name. m is not modified.
func Rename(m *model.Model, spec RenameSpec) (_ *model.Model, _ *RenameReport, err error) {
	defer asError(&err)
	if err := spec.Check(); err != nil {
		return nil, nil, err
	}
	c := model.Clone(m)
	var order []string
	all := map[string]bool{}
	c.Walk(func(_ []string, l *model.Layer) { order, all[l.Name] = append(order, l.Name), true })
	plan := map[string]string{}
	for _, r := range spec.Map {
		if !all[r.Old] {
			return nil, nil, &Error{Field: "Map", Msg: fmt.Sprintf("no layer is named %q", r.Old), Hint: "see the layer names with: modelsurg summary MODEL.h5"}
		}
		plan[r.Old] = r.New
	}
	for _, name := range order {
		if _, mapped := plan[name]; mapped {
			continue
		}
		n := name
		if spec.Sanitize {
			n = sanitizeName(n)
		}
		if n = spec.Prefix + n + spec.Suffix; n != name {
			plan[name] = n
		}
	}
	if c.Dialect == model.Keras3 {
		for _, name := range order {
			if nn, ok := plan[name]; ok && strings.Contains(nn, "/") {
				return nil, nil, &Error{Layer: name, Msg: fmt.Sprintf("cannot be renamed %q: Keras 3 refuses %q in layer names", nn, "/")}
			}
		}
	}
	before := allWeightNames(c)
	if err := c.RenameAll(plan); err != nil {
		return nil, nil, &Error{Err: err, Hint: "choose names no other layer has"}
	}
	rep := &RenameReport{}
	for _, name := range order {
		if nn, ok := plan[name]; ok && nn != name {
			rep.Renamed = append(rep.Renamed, Renaming{name, nn})
		}
	}
	after := allWeightNames(c)
	for i := range before {
		if before[i] != after[i] {
			rep.Weights++
		}
	}
	return c, rep, nil
}

// allWeightNames lists the names of every weight of m, in layer order.
func allWeightNames(m *model.Model) []string {
	var out []string
	for _, l := range m.Layers {
		for _, w := range l.Weights {
			out = append(out, w.Name)
		}
	}
	return out
}
