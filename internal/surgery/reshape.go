package surgery

import (
	"errors"
	"fmt"
	"strings"

	"github.com/modelsurg/modelsurg/internal/model"
)

// ReshapeSpec says what ReshapeInput changes. Shapes leave out the batch
// dimension, which stays None; model.None marks a free dimension.
type ReshapeSpec struct {
	// Shape is the new shape of a model's only input.
	Shape model.Shape
	// Inputs names the inputs to change, for models with several; inputs
	// it does not name keep their shape. Use either Shape or Inputs.
	Inputs []NamedShape
	// Nest wraps the model, reshaped, as one nested layer called on a new
	// input, as Model(new_input, original(new_input)) does in Keras.
	Nest bool
	// Adapt adapts the weights that read the input channels when the
	// channel count (last dimension) changes; "" refuses such a change.
	Adapt AdaptMode
	// Read returns a weight's values; needed only by Adapt.
	Read func(*model.Weight) ([]float32, error)
}

// NamedShape is the new shape of one input layer.
type NamedShape struct {
	Name  string
	Shape model.Shape
}

// Warning is something a surgery did that the user should know about.
type Warning struct {
	Layer, Class, Msg string
}

func (w Warning) String() string {
	if w.Layer == "" {
		return w.Msg
	}
	return fmt.Sprintf("layer %q (%s): %s", w.Layer, w.Class, w.Msg)
}

func shapeErr(l *model.Layer, format string, args ...any) *model.ShapeError {
	return &model.ShapeError{Layer: l.Name, Class: l.Class, Msg: fmt.Sprintf(format, args...)}
}

// ReshapeInput returns a copy of m whose input(s) have new shapes, with
// every shape downstream re-inferred and every weight kept (or, with
// spec.Adapt, the weights reading the input channels adapted). It refuses
// when a layer cannot take its new input shape or a kept weight no longer
// has the shape its layer needs. Layer configs that Keras's applications
// compute from the input size (ZeroPadding2D from correct_pad) are kept as
// stored; a warning says where Keras would have computed another value.
func ReshapeInput(m *model.Model, spec ReshapeSpec) (_ *model.Model, _ []Warning, err error) {
	defer asError(&err)
	if err := spec.Adapt.valid(); err != nil {
		return nil, nil, err
	}
	before, err := model.Infer(m)
	if err == nil {
		err = checkWeights(m, before, "")
	}
	if err != nil {
		var se *Error
		if errors.As(err, &se) && se.Err != nil {
			err = se.Err // no hint: the new shape is not the problem
		}
		return nil, nil, &Error{Err: fmt.Errorf("the model as saved: %w", err)}
	}
	c := model.Clone(m)
	slots, err := model.InputSlots(c)
	if err != nil {
		return nil, nil, err
	}
	changes, err := matchSpec(slots, spec)
	if err != nil {
		return nil, nil, err
	}
	var channelHint string
	var adapt []channelChange
	for _, ch := range changes {
		old, nw := ch.old[len(ch.old)-1], ch.new[len(ch.new)-1]
		if old != nw && old != model.None && nw != model.None && len(ch.old) >= 3 {
			adapt = append(adapt, channelChange{slot: ch.slot, from: old, to: nw})
			if channelHint == "" {
				channelHint = fmt.Sprintf("input %q goes from %d to %d channels: add {Adapt} sum or mean (for 1 channel) or repeat (for 2 or more) to adapt the weights that read them", ch.slot.Layer.Name, old, nw)
			}
		}
		setShape(c, ch.slot.Layer, ch.new)
	}
	var warns []Warning
	if spec.Adapt != AdaptNone {
		if len(adapt) == 0 {
			warns = append(warns, Warning{Msg: "{Adapt}: the channel count does not change; no weight was adapted"})
		}
		for _, a := range adapt {
			if err := adaptChannels(c, a, spec.Adapt, spec.Read); err != nil {
				return nil, nil, err
			}
		}
		channelHint = ""
	}
	after, err := model.Infer(c)
	if err != nil {
		return nil, nil, refuse(err, channelHint)
	}
	if err := checkWeights(c, after, channelHint); err != nil {
		return nil, nil, err
	}
	if err := checkUnknown(m, before, c, after); err != nil {
		return nil, nil, err
	}
	warns = append(warns, paddingWarnings(m, before, c)...)
	syncNestedInputs(c, after)
	model.RefreshShapes(c, after)
	if !spec.Nest {
		return c, warns, nil
	}
	n, err := model.Nest(c, after)
	if errors.Is(err, model.ErrWeightOrder) {
		err = refuse(err, "reshape without {Nest}")
	}
	if err != nil {
		return nil, nil, err
	}
	return n, warns, nil
}

// syncNestedInputs gives the input layers of every nested model the shape
// it is now called with: Keras refuses to call a nested model on a shape
// its inputs do not declare. Dimensions declared None stay None; calls
// that disagree on a dimension make it None.
func syncNestedInputs(m *model.Model, s *model.Shapes) {
	for _, l := range m.Layers {
		if l.Sub == nil || s == nil {
			continue
		}
		slots, err := model.InputSlots(l.Sub)
		if err == nil {
			for i, slot := range slots {
				shape := slot.Shape.Clone()
				for n := range l.Nodes {
					in := s.Inputs(model.NodeID{Layer: l, Node: n})
					if i >= len(in) || in[i] == nil || len(in[i]) != len(shape) {
						continue
					}
					for d := 1; d < len(shape); d++ {
						switch {
						case slot.Shape[d] == model.None:
						case n == 0:
							shape[d] = in[i][d]
						case shape[d] != in[i][d]:
							shape[d] = model.None
						}
					}
				}
				if !shape.Equal(slot.Shape) {
					setShape(l.Sub, slot.Layer, shape)
				}
			}
		}
		syncNestedInputs(l.Sub, s.Nested(l))
	}
}

type inputChange struct {
	slot     model.InputSlot
	old, new model.Shape // with the batch dimension
}

func inputNames(slots []model.InputSlot) string {
	names := make([]string, len(slots))
	for i, s := range slots {
		names[i] = fmt.Sprintf("%q %s", s.Layer.Name, s.Shape)
	}
	return strings.Join(names, ", ")
}

func matchSpec(slots []model.InputSlot, spec ReshapeSpec) ([]inputChange, error) {
	var named []NamedShape
	switch {
	case spec.Shape != nil && len(spec.Inputs) > 0:
		return nil, errors.New("give either a shape for the only input or shapes by input name, not both")
	case spec.Shape != nil:
		if len(slots) != 1 {
			return nil, refuse(fmt.Errorf("the model has %d inputs (%s): name each one", len(slots), inputNames(slots)),
				"use {Inputs} NAME=SHAPE for each input to change")
		}
		named = []NamedShape{{Name: slots[0].Layer.Name, Shape: spec.Shape}}
	case len(spec.Inputs) > 0:
		named = spec.Inputs
	default:
		return nil, errors.New("no new input shape given")
	}
	seen := map[string]bool{}
	var out []inputChange
	for _, n := range named {
		if seen[n.Name] {
			return nil, fmt.Errorf("input %q is given twice", n.Name)
		}
		seen[n.Name] = true
		var slot *model.InputSlot
		for i := range slots {
			if slots[i].Layer.Name == n.Name {
				slot = &slots[i]
			}
		}
		if slot == nil {
			return nil, fmt.Errorf("the model has no input named %q (its inputs: %s)", n.Name, inputNames(slots))
		}
		for _, d := range n.Shape {
			if d != model.None && d <= 0 {
				return nil, fmt.Errorf("input %q: dimension %d in %s is not positive", n.Name, d, n.Shape)
			}
		}
		if len(n.Shape) != len(slot.Shape)-1 {
			return nil, refuse(fmt.Errorf("input %q: the new shape %s has %d dimensions, the model's input %s has %d besides the batch",
				n.Name, n.Shape, len(n.Shape), slot.Shape, len(slot.Shape)-1), "give the shape without the batch dimension")
		}
		nw := append(model.Shape{model.None}, n.Shape...)
		out = append(out, inputChange{slot: *slot, old: slot.Shape, new: nw})
	}
	return out, nil
}

// setShape writes a new batch shape into an input layer's config.
func setShape(m *model.Model, l *model.Layer, s model.Shape) {
	if l.Class == "InputLayer" {
		model.SetInputShape(l, s, m.Dialect)
		return
	}
	// The first layer of an old Keras 2 Sequential model.
	l.Config.Set("batch_input_shape", model.ShapeJSON(s))
}

// checkWeights compares every saved weight with what its layer's config
// implies at the new shapes, for every call of every layer.
func checkWeights(m *model.Model, s *model.Shapes, channelHint string) error {
	order := m.Order()
	for _, l := range order {
		if len(l.Weights) == 0 && l.Sub == nil {
			continue
		}
		if l.Sub != nil {
			if len(l.Weights) == 0 {
				continue
			}
			infos, err := model.LayerWeightInfo(m, l, s)
			if errors.Is(err, model.ErrUnknownLayer) {
				continue
			}
			if err != nil {
				return refuse(err, channelHint)
			}
			if len(infos) != len(l.Weights) {
				return refuse(shapeErr(l, "the file has %d weights but the nested model needs %d at the new shapes", len(l.Weights), len(infos)), "")
			}
			for i, w := range l.Weights {
				if want := infos[i].Spec.Shape; want != nil && !model.Shape(w.Shape).Equal(want) {
					owner := infos[i].Owner
					in := ownerInput(l.Sub, s.Nested(l), owner)
					return mismatch(l.Sub, owner, w, want, in, channelHint)
				}
			}
			continue
		}
		for call := range l.Nodes {
			in := s.Inputs(model.NodeID{Layer: l, Node: call})
			known := len(in) > 0
			for _, x := range in {
				known = known && x != nil
			}
			if !known {
				continue
			}
			specs, err := model.CallWeights(l.Class, l.Config, in, l.Nodes[call].Kwargs, m.Dialect)
			if errors.Is(err, model.ErrUnknownLayer) {
				break
			}
			if err != nil {
				return refuse(model.WithLayer(err, l), channelHint)
			}
			if len(specs) != len(l.Weights) {
				return refuse(shapeErr(l, "the file has %d weights but the layer needs %d at the new shapes", len(l.Weights), len(specs)), "")
			}
			for i, w := range l.Weights {
				if want := specs[i].Shape; want != nil && !model.Shape(w.Shape).Equal(want) {
					return mismatch(m, l, w, want, in[0], channelHint)
				}
			}
		}
	}
	return nil
}

// ownerInput finds the input shape of a layer's first call inside m or a
// model nested in it.
func ownerInput(m *model.Model, s *model.Shapes, owner *model.Layer) model.Shape {
	if m == nil || s == nil {
		return nil
	}
	for _, l := range m.Layers {
		if l == owner && len(l.Nodes) > 0 {
			if in := s.Inputs(model.NodeID{Layer: l, Node: 0}); len(in) > 0 {
				return in[0]
			}
			return nil
		}
		if l.Sub != nil {
			if in := ownerInput(l.Sub, s.Nested(l), owner); in != nil {
				return in
			}
		}
	}
	return nil
}

// mismatch is the refusal for a weight whose saved shape no longer fits.
func mismatch(m *model.Model, l *model.Layer, w *model.Weight, want, in model.Shape, channelHint string) error {
	name := shortWeightName(w.Name)
	got := model.Shape(w.Shape)
	var err *model.ShapeError
	if l.Class == "Dense" && len(got) == 2 && len(want) == 2 && in != nil {
		err = shapeErr(l, "%s is %s but the new input gives %d features", name, got, want[0])
	} else if in != nil {
		err = shapeErr(l, "%s is %s but the new input %s needs %s", name, got, in, want)
	} else {
		err = shapeErr(l, "%s is %s but the new shapes need %s", name, got, want)
	}
	hint := channelHint
	if f, parent := flattenAbove(m, l); f != nil {
		if parent != "" {
			hint = fmt.Sprintf("cut the head with replace-head {CutAt} %s, or use reshape-input on a model without top", parent)
		} else {
			hint = "cut the head with replace-head, or use reshape-input on a model without top"
		}
	}
	return refuse(err, hint)
}

// shortWeightName turns "fc1/kernel:0" into "kernel".
func shortWeightName(n string) string {
	if i := strings.LastIndexByte(n, '/'); i >= 0 {
		n = n[i+1:]
	}
	if i := strings.LastIndexByte(n, ':'); i >= 0 {
		n = n[:i]
	}
	if n == "" {
		return "weight"
	}
	return n
}

// flattenAbove looks upstream of l for a Flatten (through single-input
// layers) and returns it with the name of the layer that feeds it.
func flattenAbove(m *model.Model, l *model.Layer) (*model.Layer, string) {
	id := model.NodeID{Layer: l, Node: 0}
	for steps := 0; steps < 64 && id.Node >= 0 && id.Node < len(id.Layer.Nodes); steps++ {
		parents := m.Parents(id)
		if len(parents) != 1 {
			return nil, ""
		}
		p := parents[0]
		if p.Layer.Class == "Flatten" {
			if p.Node >= 0 {
				if pp := m.Parents(p); len(pp) == 1 {
					return p.Layer, pp[0].Layer.Name
				}
			}
			return p.Layer, ""
		}
		id = p
	}
	return nil, ""
}

// checkUnknown refuses a reshape that changes the input of a layer whose
// output modelsurg cannot infer (a Lambda, a custom class): it could not
// check the layers after it, nor know that Keras can build it at the new
// shape. Layers whose inputs do not change are as in the source.
func checkUnknown(old *model.Model, olds *model.Shapes, m *model.Model, s *model.Shapes) error {
	index := map[*model.Layer]int{}
	for i, l := range m.Layers {
		index[l] = i
	}
	oldID := func(id model.NodeID) model.NodeID {
		return model.NodeID{Layer: old.Layers[index[id.Layer]], Node: id.Node}
	}
	known := func(ss []model.Shape) bool {
		for _, x := range ss {
			if x == nil {
				return false
			}
		}
		return len(ss) > 0
	}
	same := func(a, b []model.Shape) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if !a[i].Equal(b[i]) {
				return false
			}
		}
		return true
	}
	// changed: the output of a call may differ from the source's.
	memo := map[model.NodeID]bool{}
	var changed func(id model.NodeID, depth int) bool
	changed = func(id model.NodeID, depth int) bool {
		if v, ok := memo[id]; ok || depth > 10000 {
			return v
		}
		memo[id] = false
		outs := s.Outputs(id)
		var res bool
		if known(outs) {
			res = !same(outs, olds.Outputs(oldID(id)))
		} else if id.Node >= 0 {
			parents := m.Parents(id)
			if len(parents) == 0 {
				res = !same(s.Inputs(id), olds.Inputs(oldID(id))) // first layer of an old Sequential
			}
			for _, p := range parents {
				res = res || changed(p, depth+1)
			}
		}
		memo[id] = res
		return res
	}
	order := m.Order()
	var first *model.Layer
	var firstIn, firstOld []model.Shape
	for _, l := range order {
		for n := range l.Nodes {
			id := model.NodeID{Layer: l, Node: n}
			if known(s.Outputs(id)) || !changed(id, 0) {
				continue
			}
			in := s.Inputs(id)
			if known(in) {
				return refuse(shapeErr(l, "modelsurg cannot infer its output shape, and its input changes from %s to %s: it cannot check the layers after it",
					shapesString(olds.Inputs(oldID(id))), shapesString(in)), "")
			}
			if first == nil {
				first, firstIn, firstOld = l, in, olds.Inputs(oldID(id))
			}
		}
	}
	if first != nil {
		return refuse(shapeErr(first, "modelsurg cannot infer its output shape at the new input shape (input %s, was %s): it cannot check the layers after it",
			shapesString(firstIn), shapesString(firstOld)), "")
	}
	return nil
}

func shapesString(ss []model.Shape) string {
	parts := make([]string, len(ss))
	for i, x := range ss {
		parts[i] = x.String()
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
