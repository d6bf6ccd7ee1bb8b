package surgery

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/modelsurg/modelsurg/internal/model"
)

// FreezeSpec chooses the layers Freeze marks (un)trainable. With neither
// Until nor Layers every layer is chosen; with both, those both choose.
type FreezeSpec struct {
	// Until chooses a top-level layer and every layer it depends on.
	Until string
	// Layers chooses the layers (at any depth) whose names the regular
	// expression matches anywhere (anchor it with ^ and $); a nested
	// model chosen chooses every layer inside it.
	Layers string
	// Unfreeze sets trainable: true instead of false.
	Unfreeze bool
	// ExceptBatchNorm leaves BatchNormalization layers as they are; a
	// nested model holding one keeps its own flag, its other layers change.
	ExceptBatchNorm bool
}

// FreezeReport says what Freeze did.
type FreezeReport struct {
	// Changed are the layers whose flag changed, in model order.
	Changed []string
	// Chosen counts the layers chosen (changed or already so).
	Chosen int
	// Params are the model's totals after the change, as Keras's summary
	// counts them.
	Params   model.Params
	Warnings []string
}

// Check validates the values of s that do not depend on a model.
func (s FreezeSpec) Check() error {
	if _, err := regexp.Compile(s.Layers); err != nil {
		return &Error{Field: "Layers", Msg: fmt.Sprintf("not a regular expression: %v", err), Usage: true}
	}
	return nil
}

// isBatchNorm reports the classes ExceptBatchNorm leaves alone.
func isBatchNorm(l *model.Layer) bool {
	return l.Class == "BatchNormalization" || l.Class == "SyncBatchNormalization"
}

// Freeze returns m with the chosen layers' trainable flags set as Keras's
// layer.trainable = False (or True) sets them, and each layer's saved
// weights reordered where Keras's trainable-first order changes (nested
// models). m is not modified.
func Freeze(m *model.Model, spec FreezeSpec) (_ *model.Model, _ *FreezeReport, err error) {
	defer asError(&err)
	if err := spec.Check(); err != nil {
		return nil, nil, err
	}
	re := regexp.MustCompile(spec.Layers)
	c := model.Clone(m)
	shapes, err := model.Infer(c)
	if err != nil {
		return nil, nil, err
	}
	var until map[*model.Layer]bool
	if spec.Until != "" {
		if until, err = untilSet(c, spec.Until); err != nil {
			return nil, nil, err
		}
	}
	f := &freezer{spec: spec, re: re, rep: &FreezeReport{}}
	for _, l := range c.Layers {
		if until != nil && !until[l] {
			continue
		}
		before, errB := model.LayerWeightInfo(c, l, shapes)
		changed := len(f.rep.Changed)
		f.visit(l, spec.Layers == "", false)
		if l.Sub == nil || len(f.rep.Changed) == changed || len(l.Weights) == 0 {
			continue
		}
		after, errA := model.LayerWeightInfo(c, l, shapes)
		if err := errors.Join(errB, errA); err != nil || len(before) != len(l.Weights) {
			return nil, nil, &Error{Layer: l.Name, Msg: "modelsurg cannot tell the order Keras saves this nested model's weights in once its layers' flags change", Err: err}
		}
		l.Weights = model.ReorderWeights(l.Weights, before, after)
	}
	if f.rep.Chosen == 0 && spec.Layers != "" {
		return nil, nil, &Error{Field: "Layers", Msg: fmt.Sprintf("no layer matches %q", spec.Layers), Hint: "see the layer names with: modelsurg summary MODEL.h5"}
	}
	if len(f.stuck) > 0 {
		f.rep.Warnings = append(f.rep.Warnings, fmt.Sprintf("%s stay non-trainable: a nested model above them is frozen (%s)",
			plural(len(f.stuck), "layer"), capList(f.stuck)))
	}
	for _, l := range c.Layers {
		p, err := model.LayerParams(c, l, shapes)
		if err != nil {
			return nil, nil, err
		}
		f.rep.Params.Total += p.Total
		f.rep.Params.Trainable += p.Trainable
		f.rep.Params.NonTrainable += p.NonTrainable
	}
	return c, f.rep, nil
}

// untilSet is the top-level layer name and every layer it depends on.
func untilSet(c *model.Model, name string) (map[*model.Layer]bool, error) {
	l := c.Layer(name)
	if l == nil {
		msg := fmt.Sprintf("no layer is named %q", name)
		if c.AllNames()[name] {
			msg = fmt.Sprintf("layer %q is inside a nested model: name a layer of the model itself", name)
		}
		return nil, &Error{Field: "Until", Msg: msg, Hint: "see the layer names with: modelsurg summary MODEL.h5"}
	}
	ids := []model.NodeID{{Layer: l, Node: -1}}
	for i := range l.Nodes {
		ids = append(ids, model.NodeID{Layer: l, Node: i})
	}
	out := map[*model.Layer]bool{}
	for id := range c.Ancestors(ids) {
		out[id.Layer] = true
	}
	return out, nil
}

type freezer struct {
	spec FreezeSpec
	re   *regexp.Regexp
	rep  *FreezeReport
	// stuck are layers unfrozen below a frozen nested model.
	stuck []string
}

// visit sets l's flag if it is chosen (chosen: by a model above it) and
// visits the layers nested in it; frozenAbove reports a non-trainable
// model above l, which overrides l's own flag.
func (f *freezer) visit(l *model.Layer, chosen, frozenAbove bool) {
	chosen = chosen || (f.spec.Layers != "" && f.re.MatchString(l.Name))
	if l.Class == "InputLayer" || (f.spec.ExceptBatchNorm && isBatchNorm(l)) {
		return
	}
	if chosen {
		f.rep.Chosen++
	}
	if chosen && !(l.Sub != nil && f.spec.ExceptBatchNorm && holdsBatchNorm(l.Sub)) {
		n := model.SetWrappedTrainable(l, f.spec.Unfreeze)
		if f.spec.Unfreeze {
			n += model.SetTrainable(l)
		} else {
			n += model.SetUntrainable(l)
		}
		if n > 0 {
			f.rep.Changed = append(f.rep.Changed, l.Name)
		}
		if f.spec.Unfreeze && frozenAbove {
			f.stuck = append(f.stuck, l.Name)
		}
	}
	if l.Sub != nil {
		below := frozenAbove || !model.IsTrainable(l)
		for _, sl := range l.Sub.Layers {
			f.visit(sl, chosen, below)
		}
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// holdsBatchNorm reports a BatchNormalization layer at any depth of m.
func holdsBatchNorm(m *model.Model) bool {
	found := false
	m.Walk(func(_ []string, l *model.Layer) { found = found || isBatchNorm(l) })
	return found
}
