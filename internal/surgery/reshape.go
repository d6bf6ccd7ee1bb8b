package surgery

import (
	"errors"
	"fmt"
	"strings"

	"github.com/modelsurg/modelsurg/internal/jsonx"
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

// ReshapeError is a reshape refused because the kept weights or configs
// cannot work at the new shape. Err names the layer and both sizes (it is
// a *model.ShapeError where one layer is at fault); Hint, if not empty,
// suggests a way out.
type ReshapeError struct {
	Err  error
	Hint string
}

func (e *ReshapeError) Error() string { return e.Err.Error() }
func (e *ReshapeError) Unwrap() error { return e.Err }

func refuse(err error, hint string) error { return &ReshapeError{Err: err, Hint: hint} }

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
func ReshapeInput(m *model.Model, spec ReshapeSpec) (*model.Model, []Warning, error) {
	if err := spec.Adapt.valid(); err != nil {
		return nil, nil, err
	}
	before, err := model.Infer(m)
	if err == nil {
		err = checkWeights(m, before, "")
	}
	if err != nil {
		var re *ReshapeError
		if errors.As(err, &re) {
			err = re.Err // no hint: the new shape is not the problem
		}
		return nil, nil, fmt.Errorf("the model as saved: %w", err)
	}
	c, err := model.Clone(m)
	if err != nil {
		return nil, nil, err
	}
	slots, err := inputSlots(c)
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
				channelHint = fmt.Sprintf("input %q goes from %d to %d channels: add --adapt-channels sum or mean (for 1 channel) or repeat (for 2 or more) to adapt the weights that read them", ch.slot.layer.Name, old, nw)
			}
		}
		setShape(c, ch.slot.layer, ch.new)
	}
	var warns []Warning
	if spec.Adapt != AdaptNone {
		if len(adapt) == 0 {
			warns = append(warns, Warning{Msg: "--adapt-channels: the channel count does not change; no weight was adapted"})
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
	n, err := nest(c, after)
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
		slots, err := inputSlots(l.Sub)
		if err == nil {
			for i, slot := range slots {
				shape := slot.shape.Clone()
				for n := range l.Nodes {
					in := s.Inputs(model.NodeID{Layer: l, Node: n})
					if i >= len(in) || in[i] == nil || len(in[i]) != len(shape) {
						continue
					}
					for d := 1; d < len(shape); d++ {
						switch {
						case slot.shape[d] == model.None:
						case n == 0:
							shape[d] = in[i][d]
						case shape[d] != in[i][d]:
							shape[d] = model.None
						}
					}
				}
				if !shape.Equal(slot.shape) {
					setShape(l.Sub, slot.layer, shape)
				}
			}
		}
		syncNestedInputs(l.Sub, s.Nested(l))
	}
}

// inputSlot is one input of a model: its InputLayer (or, for an old
// Sequential without one, the first layer, which holds
// batch_input_shape) and its batch shape.
type inputSlot struct {
	layer *model.Layer
	shape model.Shape
}

func inputSlots(m *model.Model) ([]inputSlot, error) {
	var layers []*model.Layer
	if m.IsSequential() {
		if len(m.Layers) == 0 {
			return nil, errors.New("the model has no layers")
		}
		layers = []*model.Layer{m.Layers[0]}
	} else {
		ids, err := m.InputIDs()
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			layers = append(layers, id.Layer)
		}
	}
	var out []inputSlot
	for _, l := range layers {
		s, err := model.InputShape(l, m.Dialect)
		if err != nil || s == nil {
			return nil, fmt.Errorf("layer %q (%s): the model does not declare its input shape", l.Name, l.Class)
		}
		if len(s) < 2 {
			return nil, fmt.Errorf("layer %q (%s): input shape %s has no dimension besides the batch", l.Name, l.Class, s)
		}
		out = append(out, inputSlot{layer: l, shape: s})
	}
	return out, nil
}

type inputChange struct {
	slot     inputSlot
	old, new model.Shape // with the batch dimension
}

func inputNames(slots []inputSlot) string {
	names := make([]string, len(slots))
	for i, s := range slots {
		names[i] = fmt.Sprintf("%q %s", s.layer.Name, s.shape)
	}
	return strings.Join(names, ", ")
}

func matchSpec(slots []inputSlot, spec ReshapeSpec) ([]inputChange, error) {
	var named []NamedShape
	switch {
	case spec.Shape != nil && len(spec.Inputs) > 0:
		return nil, errors.New("give either a shape for the only input or shapes by input name, not both")
	case spec.Shape != nil:
		if len(slots) != 1 {
			return nil, refuse(fmt.Errorf("the model has %d inputs (%s): name each one", len(slots), inputNames(slots)),
				"use --input NAME=SHAPE for each input to change")
		}
		named = []NamedShape{{Name: slots[0].layer.Name, Shape: spec.Shape}}
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
		var slot *inputSlot
		for i := range slots {
			if slots[i].layer.Name == n.Name {
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
		if len(n.Shape) != len(slot.shape)-1 {
			return nil, refuse(fmt.Errorf("input %q: the new shape %s has %d dimensions, the model's input %s has %d besides the batch",
				n.Name, n.Shape, len(n.Shape), slot.shape, len(slot.shape)-1), "give the shape without the batch dimension")
		}
		nw := append(model.Shape{model.None}, n.Shape...)
		out = append(out, inputChange{slot: *slot, old: slot.shape, new: nw})
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
	order, err := m.Order()
	if err != nil {
		return err
	}
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
			specs, err := model.LayerWeights(l.Class, l.Config, in, m.Dialect)
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
			hint = fmt.Sprintf("cut the head with replace-head --cut-at %s, or use reshape-input on a model without top", parent)
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
		parents, err := m.Parents(id)
		if err != nil || len(parents) != 1 {
			return nil, ""
		}
		p := parents[0]
		if p.Layer.Class == "Flatten" {
			if p.Node >= 0 {
				if pp, err := m.Parents(p); err == nil && len(pp) == 1 {
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
			parents, _ := m.Parents(id)
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
	order, err := m.Order()
	if err != nil {
		return err
	}
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

// paddingWarnings finds the ZeroPadding2D layers whose stored padding is
// what keras.applications' correct_pad computed for the old input size of
// the strided "valid" convolution after them (MobileNetV2, EfficientNet,
// ...), and says where Keras's application built for the new size would
// compute another padding. It simulates that build: correct_pad again at
// every such layer, in a copy of m, until the shapes settle (a padding
// changes the sizes after it). The configs of m are kept.
func paddingWarnings(old *model.Model, olds *model.Shapes, m *model.Model) []Warning {
	sites := padSites(old, olds, nil)
	if len(sites) == 0 {
		return nil
	}
	sim, err := model.Clone(m)
	if err != nil {
		return nil
	}
	keras := make([]*pad2D, len(sites))
	ins := make([]model.Shape, len(sites))
	for iter := 0; iter <= len(sites); iter++ {
		s, err := model.Infer(sim)
		if err != nil {
			break // Keras's own build fails somewhere at this size
		}
		changed := false
		for i, site := range sites {
			l, in := locate(sim, s, site.path)
			if l == nil {
				continue
			}
			want := correctPad(in, site.kernel, site.cf)
			keras[i], ins[i] = &want, in
			if cur, _ := readPad2D(l.Config.Get("padding")); cur != want {
				l.Config.Set("padding", jsonx.Arr(
					jsonx.Arr(jsonx.Int(int64(want[0][0])), jsonx.Int(int64(want[0][1]))),
					jsonx.Arr(jsonx.Int(int64(want[1][0])), jsonx.Int(int64(want[1][1])))))
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	var out []Warning
	for i, site := range sites {
		if keras[i] != nil && *keras[i] != site.stored {
			out = append(out, Warning{Layer: site.layer.Name, Class: site.layer.Class, Msg: fmt.Sprintf(
				"keeps padding %s, computed for the old input size; built for the new size, Keras's application would compute %s here (correct_pad for its %s input there)",
				site.stored, *keras[i], spatial(ins[i], site.cf))})
		}
	}
	return out
}

// padSite is a ZeroPadding2D layer computed by correct_pad: its place
// (layer indexes from the top model down), the kernel of the convolution
// after it and its stored padding.
type padSite struct {
	layer  *model.Layer
	path   []int
	kernel [2]int
	cf     bool
	stored pad2D
}

func padSites(m *model.Model, s *model.Shapes, path []int) []padSite {
	if s == nil {
		return nil
	}
	var out []padSite
	consumers := consumerKernels(m)
	for i, l := range m.Layers {
		p := append(path[:len(path):len(path)], i)
		if l.Sub != nil {
			out = append(out, padSites(l.Sub, s.Nested(l), p)...)
			continue
		}
		k, ok := consumers[l]
		if !ok || l.Class != "ZeroPadding2D" || len(l.Nodes) == 0 {
			continue
		}
		pad, ok := readPad2D(l.Config.Get("padding"))
		in := s.Inputs(model.NodeID{Layer: l, Node: 0})
		if !ok || len(in) != 1 || len(in[0]) != 4 {
			continue
		}
		cf := isChannelsFirst(l.Config)
		if correctPad(in[0], k, cf) == pad {
			out = append(out, padSite{layer: l, path: p, kernel: k, cf: cf, stored: pad})
		}
	}
	return out
}

// locate finds the layer at path in m and the shape of its input.
func locate(m *model.Model, s *model.Shapes, path []int) (*model.Layer, model.Shape) {
	for j, idx := range path {
		if s == nil || idx >= len(m.Layers) {
			return nil, nil
		}
		l := m.Layers[idx]
		if j < len(path)-1 {
			if l.Sub == nil {
				return nil, nil
			}
			m, s = l.Sub, s.Nested(l)
			continue
		}
		if len(l.Nodes) == 0 {
			return nil, nil
		}
		in := s.Inputs(model.NodeID{Layer: l, Node: 0})
		if len(in) != 1 || len(in[0]) != 4 {
			return nil, nil
		}
		return l, in[0]
	}
	return nil, nil
}

type pad2D [2][2]int

func (p pad2D) String() string {
	return fmt.Sprintf("((%d, %d), (%d, %d))", p[0][0], p[0][1], p[1][0], p[1][1])
}

func spatial(s model.Shape, cf bool) string {
	a := 1
	if cf {
		a = 2
	}
	d := func(n int) string {
		if n == model.None {
			return "None"
		}
		return fmt.Sprint(n)
	}
	return d(s[a]) + "x" + d(s[a+1])
}

// correctPad is keras.applications.imagenet_utils.correct_pad.
func correctPad(in model.Shape, k [2]int, cf bool) pad2D {
	a := 1
	if cf {
		a = 2
	}
	adj := [2]int{1, 1}
	if in[a] != model.None {
		adj = [2]int{1 - in[a]%2, 1 - in[a+1]%2}
	}
	c := [2]int{k[0] / 2, k[1] / 2}
	return pad2D{{c[0] - adj[0], c[0]}, {c[1] - adj[1], c[1]}}
}

func readPad2D(v *jsonx.Value) (pad2D, bool) {
	var p pad2D
	if v == nil {
		return p, false
	}
	if n, ok := v.Int(); ok {
		return pad2D{{int(n), int(n)}, {int(n), int(n)}}, true
	}
	if v.Kind != jsonx.Array || len(v.Elems) != 2 {
		return p, false
	}
	for i, e := range v.Elems {
		if n, ok := e.Int(); ok {
			p[i] = [2]int{int(n), int(n)}
			continue
		}
		if e.Kind != jsonx.Array || len(e.Elems) != 2 {
			return p, false
		}
		a, ok1 := e.Elems[0].Int()
		b, ok2 := e.Elems[1].Int()
		if !ok1 || !ok2 {
			return p, false
		}
		p[i] = [2]int{int(a), int(b)}
	}
	return p, true
}

func isChannelsFirst(cfg *jsonx.Obj) bool {
	f, _ := cfg.String("data_format")
	return f == "channels_first"
}

// consumerKernels maps each ZeroPadding2D layer whose every consumer is a
// "valid", strided 2D convolution (the correct_pad pattern) to its kernel size.
func consumerKernels(m *model.Model) map[*model.Layer][2]int {
	kernels := map[*model.Layer][2]int{}
	bad := map[*model.Layer]bool{}
	for _, l := range m.Layers {
		for i := range l.Nodes {
			parents, err := m.Parents(model.NodeID{Layer: l, Node: i})
			if err != nil {
				continue
			}
			for _, p := range parents {
				if p.Layer.Class != "ZeroPadding2D" {
					continue
				}
				k, ok := stridedValidKernel(l)
				if !ok || (kernels[p.Layer] != [2]int{} && kernels[p.Layer] != k) {
					bad[p.Layer] = true
					continue
				}
				kernels[p.Layer] = k
			}
		}
	}
	for l := range bad {
		delete(kernels, l)
	}
	return kernels
}

func stridedValidKernel(l *model.Layer) ([2]int, bool) {
	switch l.Class {
	case "Conv2D", "DepthwiseConv2D", "SeparableConv2D":
	default:
		return [2]int{}, false
	}
	if p, _ := l.Config.String("padding"); p != "valid" {
		return [2]int{}, false
	}
	k, ok1 := intPair(l.Config.Get("kernel_size"))
	s, ok2 := intPair(l.Config.Get("strides"))
	if !ok1 || !ok2 || (s[0] <= 1 && s[1] <= 1) {
		return [2]int{}, false
	}
	return k, true
}

func intPair(v *jsonx.Value) ([2]int, bool) {
	if v == nil {
		return [2]int{}, false
	}
	if n, ok := v.Int(); ok {
		return [2]int{int(n), int(n)}, true
	}
	if v.Kind != jsonx.Array || len(v.Elems) != 2 {
		return [2]int{}, false
	}
	a, ok1 := v.Elems[0].Int()
	b, ok2 := v.Elems[1].Int()
	return [2]int{int(a), int(b)}, ok1 && ok2
}

// nest wraps c (already reshaped, with shapes s) as one nested layer of a
// new Functional model called on new InputLayers, as Keras's
// Model(new_input, c(new_input)) writes it. The nested layer's weights
// are c's, in the order Keras stores a nested model's weights: every
// trainable weight of every sublayer in layer order, then the others.
// A Keras 2 Sequential is nested as an equivalent Functional model:
// Keras 3 cannot load a Keras 2 file that nests a Sequential.
func nest(c *model.Model, s *model.Shapes) (*model.Model, error) {
	ws, err := nestedWeights(c, s)
	if err != nil {
		return nil, err
	}
	env, err := jsonx.Parse(model.Marshal(c))
	if err != nil {
		return nil, err
	}
	sub, err := model.Parse(model.Marshal(c), c.Dialect)
	if err != nil {
		return nil, err
	}
	if c.Dialect == model.Keras2 && c.IsSequential() {
		if env, err = sequentialAsFunctional(c, env); err != nil {
			return nil, err
		}
		if sub, err = model.Parse(jsonx.Marshal(env), c.Dialect); err != nil {
			return nil, fmt.Errorf("nest: %w", err)
		}
	}
	k3 := c.Dialect == model.Keras3
	taken := sub.AllNames()
	subName := sub.Name
	if subName == "" {
		base := "model"
		if sub.IsSequential() {
			base = "sequential"
		}
		subName = sub.UniqueName(base, taken)
		env.Obj.Object("config").Set("name", jsonx.Str(subName))
		if sub, err = model.Parse(jsonx.Marshal(env), c.Dialect); err != nil {
			return nil, fmt.Errorf("nest: %w", err)
		}
	}
	slots, err := inputSlots(sub)
	if err != nil {
		return nil, err
	}
	var layers []*jsonx.Value
	var args, ins, outs []*jsonx.Value
	for i, slot := range slots {
		var name string
		if k3 {
			name = sub.UniqueName("input_layer", taken)
		} else {
			for j := i + 1; ; j++ {
				if n := fmt.Sprintf("input_%d", j); !taken[n] {
					taken[n] = true
					name = n
					break
				}
			}
		}
		// The source's InputLayer config, renamed: same keys, dtype, new shape.
		icfg := (&jsonx.Value{Kind: jsonx.Object, Obj: slot.layer.Config}).Clone()
		icfg.Obj.Set("name", jsonx.Str(name))
		e := jsonx.NewObject()
		e.Obj.Set("class_name", jsonx.Str("InputLayer"))
		e.Obj.Set("config", icfg)
		e.Obj.Set("name", jsonx.Str(name))
		e.Obj.Set("inbound_nodes", jsonx.Arr())
		layers = append(layers, e)
		ins = append(ins, jsonx.Arr(jsonx.Str(name), jsonx.Int(0), jsonx.Int(0)))
		if k3 {
			tc := jsonx.NewObject()
			tc.Obj.Set("shape", model.ShapeJSON(slot.shape))
			dt, ok := slot.layer.Config.String("dtype")
			if !ok {
				dt = "float32"
			}
			tc.Obj.Set("dtype", jsonx.Str(dt))
			tc.Obj.Set("keras_history", jsonx.Arr(jsonx.Str(name), jsonx.Int(0), jsonx.Int(0)))
			t := jsonx.NewObject()
			t.Obj.Set("class_name", jsonx.Str("__keras_tensor__"))
			t.Obj.Set("config", tc)
			args = append(args, t)
		} else {
			args = append(args, jsonx.Arr(jsonx.Str(name), jsonx.Int(0), jsonx.Int(0), jsonx.NewObject()))
		}
	}
	var node *jsonx.Value
	if k3 {
		node = jsonx.NewObject()
		kw := jsonx.NewObject()
		if len(args) == 1 {
			node.Obj.Set("args", jsonx.Arr(args[0]))
			kw.Obj.Set("mask", jsonx.NullV())
		} else {
			node.Obj.Set("args", jsonx.Arr(jsonx.Arr(args...)))
			masks := jsonx.Arr()
			for range args {
				masks.Elems = append(masks.Elems, jsonx.NullV())
			}
			kw.Obj.Set("mask", masks)
		}
		node.Obj.Set("kwargs", kw)
	} else {
		node = jsonx.Arr(args...)
	}
	off := 1 // Keras 2 and Keras 3 number a nested Functional's first call 1 here
	if sub.IsSequential() && (k3 || sub.Layers[0].Class != "InputLayer") {
		off = 0
	}
	for t := range sub.Outputs {
		outs = append(outs, jsonx.Arr(jsonx.Str(subName), jsonx.Int(int64(off)), jsonx.Int(int64(t))))
	}
	ne := jsonx.NewObject()
	ne.Obj.Set("class_name", jsonx.Str(sub.Class))
	ne.Obj.Set("config", env.Obj.Get("config"))
	ne.Obj.Set("name", jsonx.Str(subName))
	ne.Obj.Set("inbound_nodes", jsonx.Arr(node))
	layers = append(layers, ne)

	outerName := "model"
	if k3 {
		outerName = "functional"
	}
	outerName = sub.UniqueName(outerName, taken)
	cfg := jsonx.NewObject()
	cfg.Obj.Set("name", jsonx.Str(outerName))
	cfg.Obj.Set("trainable", jsonx.BoolV(true))
	cfg.Obj.Set("layers", jsonx.Arr(layers...))
	if k3 && len(ins) == 1 {
		cfg.Obj.Set("input_layers", ins[0])
	} else {
		cfg.Obj.Set("input_layers", jsonx.Arr(ins...))
	}
	if k3 && len(outs) == 1 {
		cfg.Obj.Set("output_layers", outs[0])
	} else {
		cfg.Obj.Set("output_layers", jsonx.Arr(outs...))
	}
	top := jsonx.NewObject()
	top.Obj.Set("class_name", jsonx.Str("Functional"))
	top.Obj.Set("config", cfg)
	o, err := model.Parse(jsonx.Marshal(top), c.Dialect)
	if err != nil {
		return nil, fmt.Errorf("nest: %w", err)
	}
	nl := o.Layer(subName)
	nl.Weights = ws
	// The nested layer must hold exactly the weights Keras will build for it.
	shapes, err := model.Infer(o)
	if err != nil {
		return nil, fmt.Errorf("nest: %w", err)
	}
	if _, err := model.LayerParams(o, nl, shapes); err != nil {
		return nil, fmt.Errorf("nest: %w", err)
	}
	return o, nil
}

// nestedWeights lists c's weights in the order Keras saves them for c used
// as a layer, with names unique within that one group.
func nestedWeights(c *model.Model, s *model.Shapes) ([]*model.Weight, error) {
	order, err := c.Order()
	if err != nil {
		return nil, err
	}
	modelTrainable := true
	if t, ok := c.Config.Bool("trainable"); ok {
		modelTrainable = t
	}
	var train, frozen []*model.Weight
	for _, l := range order {
		if len(l.Weights) == 0 {
			continue
		}
		nTrain, n, err := countTrainable(c, l, s, true, 0)
		if err != nil {
			if !modelTrainable || !model.IsTrainable(l) {
				frozen = append(frozen, l.Weights...) // all of it counts as non-trainable
				continue
			}
			return nil, refuse(err, "reshape without --nest")
		}
		if n != len(l.Weights) {
			return nil, shapeErr(l, "the file has %d weights but the config implies %d", len(l.Weights), n)
		}
		if !modelTrainable {
			nTrain = 0
		}
		train = append(train, l.Weights[:nTrain]...)
		frozen = append(frozen, l.Weights[nTrain:]...)
	}
	all := append(train, frozen...)
	// Keras names each weight after its layer ("conv1/kernel:0", Keras 3
	// "conv1/kernel"), so the names saved for each layer are the ones
	// Keras writes for the nested model. Files whose names are not unique
	// within the group (Keras 3.0-3.2 wrote bare "kernel") get the owning
	// layer's name in front.
	seen := map[string]int{}
	for _, w := range all {
		seen[w.Name]++
	}
	owner := map[*model.Weight]string{}
	for _, l := range order {
		for _, w := range l.Weights {
			owner[w] = l.Name
		}
	}
	out := make([]*model.Weight, len(all))
	for i, w := range all {
		if seen[w.Name] > 1 || w.Name == "" {
			cp := *w
			cp.Name = owner[w] + "/" + w.Name
			out[i] = &cp
			continue
		}
		out[i] = w
	}
	return out, nil
}

// weightless are classes modelsurg cannot build but that never own weights.
var weightless = map[string]bool{"Lambda": true, "TFOpLambda": true, "SlicingOpLambda": true, "InputLayer": true}

// countTrainable counts the weights Keras creates for layer l of m (for
// a nested model, those of all its sublayers) and how many of them are
// trainable, with the trainable flags of l and the models above it. It
// needs each class's weights, not its shapes: layers after a Lambda count.
func countTrainable(m *model.Model, l *model.Layer, s *model.Shapes, parent bool, depth int) (nTrain, n int, err error) {
	t := parent && model.IsTrainable(l)
	if l.Sub != nil {
		if depth > 64 {
			return 0, 0, shapeErr(l, "models nested too deep")
		}
		order, err := l.Sub.Order()
		if err != nil {
			return 0, 0, err
		}
		var sub *model.Shapes
		if s != nil {
			sub = s.Nested(l)
		}
		for _, sl := range order {
			a, b, err := countTrainable(l.Sub, sl, sub, t, depth+1)
			if err != nil {
				return 0, 0, err
			}
			nTrain, n = nTrain+a, n+b
		}
		return nTrain, n, nil
	}
	if l.Class == "InputLayer" {
		return 0, 0, nil
	}
	var in []model.Shape
	if s != nil && len(l.Nodes) > 0 {
		in = s.Inputs(model.NodeID{Layer: l, Node: 0})
	}
	if len(in) == 0 && len(l.Nodes) > 0 {
		in = make([]model.Shape, max(len(l.Nodes[0].Inputs), 1))
	}
	specs, err := model.LayerWeights(l.Class, l.Config, in, m.Dialect)
	if errors.Is(err, model.ErrUnknownLayer) && weightless[l.Class] {
		return 0, 0, nil
	}
	if errors.Is(err, model.ErrUnknownLayer) {
		return 0, 0, shapeErr(l, "modelsurg does not know this class, so not which of its weights are trainable, which decides their order in a nested model")
	}
	if err != nil {
		return 0, 0, model.WithLayer(err, l)
	}
	for _, sp := range specs {
		if t && sp.Trainable {
			nTrain++
		}
	}
	return nTrain, len(specs), nil
}

// sequentialAsFunctional rewrites a Keras 2 Sequential model config (env,
// the marshalled c) as the Functional model Keras would build from it:
// the same layers in a chain, an InputLayer first.
func sequentialAsFunctional(c *model.Model, env *jsonx.Value) (*jsonx.Value, error) {
	cfg := env.Obj.Object("config")
	lv := cfg.Get("layers")
	if lv == nil || lv.Kind != jsonx.Array || len(lv.Elems) != len(c.Layers) {
		return nil, errors.New("nest: unexpected Sequential config")
	}
	var layers []*jsonx.Value
	prev, prevOff := "", 0
	for i, e := range lv.Elems {
		l := c.Layers[i]
		if i == 0 && l.Class != "InputLayer" {
			// Keras 2 names the input of such a model "<first layer>_input".
			bis := l.Config.Get("batch_input_shape")
			if bis == nil {
				return nil, fmt.Errorf("layer %q (%s): the model does not declare its input shape", l.Name, l.Class)
			}
			name := c.UniqueName(l.Name+"_input", c.AllNames())
			ic := jsonx.NewObject()
			ic.Obj.Set("batch_input_shape", bis.Clone())
			dt, ok := l.Config.String("dtype")
			if !ok {
				dt = "float32"
			}
			ic.Obj.Set("dtype", jsonx.Str(dt))
			ic.Obj.Set("sparse", jsonx.BoolV(false))
			ic.Obj.Set("ragged", jsonx.BoolV(false))
			ic.Obj.Set("name", jsonx.Str(name))
			ie := jsonx.NewObject()
			ie.Obj.Set("class_name", jsonx.Str("InputLayer"))
			ie.Obj.Set("config", ic)
			ie.Obj.Set("name", jsonx.Str(name))
			ie.Obj.Set("inbound_nodes", jsonx.Arr())
			layers = append(layers, ie)
			prev = name
		}
		ne := jsonx.NewObject()
		ne.Obj.Set("class_name", e.Obj.Get("class_name"))
		ne.Obj.Set("config", e.Obj.Get("config"))
		for k, key := range e.Obj.Keys {
			if key != "class_name" && key != "config" && key != "name" && key != "inbound_nodes" {
				ne.Obj.Set(key, e.Obj.Vals[k])
			}
		}
		ne.Obj.Set("name", jsonx.Str(l.Name))
		if l.Class == "InputLayer" {
			ne.Obj.Set("inbound_nodes", jsonx.Arr())
		} else {
			ne.Obj.Set("inbound_nodes", jsonx.Arr(jsonx.Arr(jsonx.Arr(jsonx.Str(prev), jsonx.Int(int64(prevOff)), jsonx.Int(0), jsonx.NewObject()))))
		}
		layers = append(layers, ne)
		prev, prevOff = l.Name, 0
		if l.Sub != nil && (!l.Sub.IsSequential() || (len(l.Sub.Layers) > 0 && l.Sub.Layers[0].Class == "InputLayer")) {
			prevOff = 1
		}
	}
	first := layers[0].Obj
	name, _ := cfg.String("name")
	fc := jsonx.NewObject()
	fc.Obj.Set("name", jsonx.Str(name))
	fc.Obj.Set("trainable", jsonx.BoolV(true))
	if t, ok := cfg.Bool("trainable"); ok {
		fc.Obj.Set("trainable", jsonx.BoolV(t))
	}
	fc.Obj.Set("layers", jsonx.Arr(layers...))
	in, _ := first.String("name")
	fc.Obj.Set("input_layers", jsonx.Arr(jsonx.Arr(jsonx.Str(in), jsonx.Int(0), jsonx.Int(0))))
	fc.Obj.Set("output_layers", jsonx.Arr(jsonx.Arr(jsonx.Str(prev), jsonx.Int(int64(prevOff)), jsonx.Int(0))))
	out := jsonx.NewObject()
	out.Obj.Set("class_name", jsonx.Str("Functional"))
	out.Obj.Set("config", fc)
	return out, nil
}
