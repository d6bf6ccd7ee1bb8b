package surgery

import (
	"fmt"
	"slices"
	"sort"

	"github.com/modelsurg/modelsurg/internal/model"
)

// TransferSpec says how TransferWeights matches the source's layers to
// the target's.
type TransferSpec struct {
	// Map sends the source's layer (key) to the target's layer of another
	// name (value), for layers renamed between the two; every other layer
	// is matched by its own name.
	Map map[string]string
}

// Group is the weights saved for one layer, as a file lists them.
type Group struct {
	Name    string
	Weights []*model.Weight
}

// TransferReport says what TransferWeights did.
type TransferReport struct {
	// Layers is the number of target layers that got weights, Copied the
	// number of weights copied.
	Layers, Copied int
	// Skipped has one entry per layer or weight left as the target has it
	// because it does not fit, in the source's order.
	Skipped []Skip
	// Unmatched are the target's layers with weights that no source layer
	// matched; they keep their own.
	Unmatched []string
}

// Skip is a layer or one weight of it that did not fit.
type Skip struct {
	Layer  string
	Weight string // "" when the whole layer is skipped
	Msg    string
}

// GroupsOf returns a model's saved weights as groups, in Keras's layer order.
func GroupsOf(m *model.Model) []Group {
	var gs []Group
	for _, l := range m.KerasLayers() {
		gs = append(gs, Group{Name: l.Name, Weights: l.Weights})
	}
	return gs
}

// TransferWeights returns a copy of to whose weights are from's where
// layers match, as Keras's load_weights(by_name=True, skip_mismatch=True)
// loads them: see Transfer.
func TransferWeights(from, to *model.Model, spec TransferSpec) (*model.Model, *TransferReport, error) {
	return Transfer(GroupsOf(from), to, spec)
}

// Transfer returns a copy of to in which each layer matched by a source
// group (by name, or through spec.Map) takes that group's weights, by
// position: a layer whose weight count differs is skipped whole, a weight
// whose shape (or dtype) differs is skipped alone, each with a Skip. The
// copied weights are the source's references (copied file to file when
// saved) under the target's weight names. It is an error when no weight
// at all is copied. to is not modified.
func Transfer(from []Group, to *model.Model, spec TransferSpec) (_ *model.Model, _ *TransferReport, err error) {
	defer asError(&err)
	targets, err := transferTargets(from, to, spec)
	if err != nil {
		return nil, nil, err
	}
	out := model.Clone(to)
	rep := &TransferReport{}
	got := map[string]bool{}
	for _, g := range from {
		tl := out.Layer(targets[g.Name])
		if tl == nil || len(g.Weights)+len(tl.Weights) == 0 {
			continue
		}
		got[tl.Name] = true
		if n := transferLayer(g, tl, rep); n > 0 {
			rep.Layers++
			rep.Copied += n
		}
	}
	for _, l := range out.KerasLayers() {
		if len(l.Weights) > 0 && !got[l.Name] {
			rep.Unmatched = append(rep.Unmatched, l.Name)
		}
	}
	if rep.Copied == 0 {
		return nil, nil, &Error{Msg: noMatch(rep), Hint: "layers are matched by name: use {Map} SOURCE_LAYER=TARGET_LAYER for renamed ones"}
	}
	return out, rep, nil
}

func noMatch(rep *TransferReport) string {
	if len(rep.Skipped) > 0 {
		return fmt.Sprintf("no weight copied: every matched layer was skipped (%d mismatches)", len(rep.Skipped))
	}
	return "no weight copied: no layer with weights has the same name in both models"
}

// transferLayer copies g's weights into tl, by position, and returns how
// many it copied.
func transferLayer(g Group, tl *model.Layer, rep *TransferReport) int {
	if len(g.Weights) != len(tl.Weights) {
		rep.Skipped = append(rep.Skipped, Skip{Layer: tl.Name, Msg: fmt.Sprintf("%d %s in the source, %d in the target",
			len(g.Weights), weightsWord(len(g.Weights)), len(tl.Weights))})
		return 0
	}
	n := 0
	for i, fw := range g.Weights {
		tw := tl.Weights[i]
		switch {
		case !slices.Equal(fw.Shape, tw.Shape):
			rep.Skipped = append(rep.Skipped, Skip{Layer: tl.Name, Weight: tw.Name,
				Msg: fmt.Sprintf("shape %s in the source, %s in the target", model.Shape(fw.Shape), model.Shape(tw.Shape))})
		case fw.DType != tw.DType:
			rep.Skipped = append(rep.Skipped, Skip{Layer: tl.Name, Weight: tw.Name,
				Msg: fmt.Sprintf("dtype %s in the source, %s in the target", fw.DType, tw.DType)})
		default:
			tl.Weights[i] = &model.Weight{Name: tw.Name, Shape: tw.Shape, DType: tw.DType, Src: fw.Src}
			n++
		}
	}
	return n
}

// transferTargets maps each source group to the target layer it loads
// into ("" for none): spec.Map's, else the same name unless a mapped
// group already loads there. It refuses a Map naming a layer either side
// lacks, or sending two source layers to one.
func transferTargets(from []Group, to *model.Model, spec TransferSpec) (map[string]string, error) {
	have := map[string]bool{}
	for _, g := range from {
		have[g.Name] = true
	}
	keys := make([]string, 0, len(spec.Map))
	for k := range spec.Map {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	taken := map[string]string{}
	for _, k := range keys {
		v := spec.Map[k]
		switch {
		case !have[k]:
			return nil, &Error{Field: "Map", Msg: fmt.Sprintf("%s=%s: the source has no layer %q", k, v, k)}
		case to.Layer(v) == nil:
			return nil, &Error{Field: "Map", Msg: fmt.Sprintf("%s=%s: the target has no layer %q", k, v, v)}
		case taken[v] != "":
			return nil, &Error{Field: "Map", Msg: fmt.Sprintf("layers %q and %q both go to %q", taken[v], k, v)}
		}
		taken[v] = k
	}
	targets := map[string]string{}
	for _, g := range from {
		if v, ok := spec.Map[g.Name]; ok {
			targets[g.Name] = v
		} else if taken[g.Name] == "" {
			targets[g.Name] = g.Name
		}
	}
	return targets, nil
}

// weightsWord is "weight" or "weights" after n.
func weightsWord(n int) string {
	if n == 1 {
		return "weight"
	}
	return "weights"
}
