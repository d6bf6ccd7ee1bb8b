package surgery

import (
	"fmt"
	"math"
	"strings"

	"github.com/modelsurg/modelsurg/internal/model"
)

// Pooling is how the head turns the cut layer's feature map into features.
type Pooling string

const (
	PoolAvg     Pooling = "avg"     // GlobalAveragePooling1D/2D/3D
	PoolMax     Pooling = "max"     // GlobalMaxPooling1D/2D/3D
	PoolFlatten Pooling = "flatten" // Flatten
	PoolNone    Pooling = "none"    // nothing: the cut output is already flat
)

// HeadSpec describes a new classifier head. Field names follow the
// replace-head options, which errors name.
type HeadSpec struct {
	// Classes is the number of units of the final Dense layer (>= 1).
	Classes int
	// CutAt names the layer whose output feeds the head; "" finds the end of
	// the backbone: the last layer on the path to the output whose output
	// still has spatial dimensions (rank >= 3).
	CutAt string
	// Pooling defaults to PoolAvg.
	Pooling Pooling
	// Dropout is the rate of a Dropout layer before the final Dense; 0 adds none.
	Dropout float64
	// Hidden are the units of Dense+ReLU layers before the final Dense.
	Hidden []int
	// Activation of the final Dense: softmax (default), sigmoid or linear.
	Activation string
	// Name of the final Dense; "" is "predictions" (with _1, ... if a kept
	// layer has that name). A given name must be free.
	Name string
	// Seed for the new weights (Glorot-uniform kernels, zero biases).
	Seed uint64
	// FreezeBase sets trainable: false on every kept layer.
	FreezeBase bool
}

// HeadReport says what ReplaceHead did.
type HeadReport struct {
	// Cut is the layer feeding the head and CutShape its output shape.
	Cut      string
	CutClass string
	CutShape model.Shape
	// Auto reports that the cut layer was found from the graph; Flat that
	// it is the input of the final Dense classifier (no pooling is added).
	Auto, Flat bool
	// NothingCut reports that the cut layer was the model's output.
	NothingCut bool
	// Removed lists the removed layers in model order; DroppedInputs the
	// model inputs that no longer feed anything.
	Removed       []string
	DroppedInputs []string
	// Added lists the new layers, in order.
	Added []NewLayer
	// Frozen counts the layers set to trainable: false (nested ones included).
	Frozen int
	// Warnings are things the caller should know about the result.
	Warnings []string
}

// NewLayer is one layer of the new head.
type NewLayer struct {
	Name   string
	Class  string
	Shape  model.Shape
	Params int64
}

// Params is the number of new weights.
func (r *HeadReport) Params() int64 {
	var n int64
	for _, l := range r.Added {
		n += l.Params
	}
	return n
}

// Check validates the values of s that do not depend on a model.
func (s HeadSpec) Check() error {
	usage := func(field, format string, args ...any) error {
		return &Error{Field: field, Msg: fmt.Sprintf(format, args...), Usage: true}
	}
	if s.Classes < 1 {
		return usage("Classes", "must be at least 1, not %d", s.Classes)
	}
	switch s.Pooling {
	case "", PoolAvg, PoolMax, PoolFlatten, PoolNone:
	default:
		return usage("Pooling", "must be flatten, avg, max or none, not %q", string(s.Pooling))
	}
	if math.IsNaN(s.Dropout) || s.Dropout < 0 || s.Dropout >= 1 {
		return usage("Dropout", "the rate must be in [0, 1), not %v", s.Dropout)
	}
	for _, h := range s.Hidden {
		if h < 1 {
			return usage("Hidden", "every size must be at least 1, not %d", h)
		}
	}
	switch s.Activation {
	case "", "softmax", "sigmoid", "linear":
	default:
		return usage("Activation", "must be softmax, sigmoid or linear, not %q", s.Activation)
	}
	if s.Name != "" && strings.ContainsAny(s.Name, "/") {
		return usage("Name", "a layer name cannot contain %q", "/")
	}
	return nil
}

// maxNewWeights bounds the size of one new kernel (1 Gi values, 4 GiB).
const maxNewWeights = 1 << 30

// ReplaceHead cuts m after the layer spec.CutAt (or the end of its
// backbone) and appends a new classifier head: pooling, hidden Dense+ReLU
// layers, dropout and a Dense of spec.Classes units. Layers not needed for
// the cut layer are removed with their weights; kept weights stay
// references. New layers are configured as the model's Keras writes them
// and their weights are drawn from spec.Seed. m is not modified.
func ReplaceHead(m *model.Model, spec HeadSpec) (_ *model.Model, _ *HeadReport, err error) {
	defer asError(&err)
	if err := spec.Check(); err != nil {
		return nil, nil, err
	}
	if spec.Activation == "" {
		spec.Activation = "softmax"
	}
	c := model.Clone(m)
	shapes, err := model.Infer(c)
	if err != nil {
		return nil, nil, err
	}
	outs := c.OutputIDs()
	rep := &HeadReport{}
	cut, tensor, cutShape, err := findCut(c, shapes, outs, spec.CutAt, rep)
	if err != nil {
		return nil, nil, err
	}
	if spec.Pooling == "" {
		spec.Pooling = PoolAvg
		if rep.Flat && len(cutShape) == 2 {
			spec.Pooling = PoolNone
		}
	}
	rep.Cut, rep.CutClass, rep.CutShape = cut.Layer.Name, cut.Layer.Class, cutShape
	rep.NothingCut = len(outs) == 1 && outs[0] == cut && c.Outputs[0].Index == tensor

	plan, err := planHead(c, spec, cut, cutShape)
	if err != nil {
		return nil, nil, err
	}

	keep := c.Ancestors([]model.NodeID{cut})
	if spec.FreezeBase {
		rep.Frozen = freeze(c, shapes, keep)
	}
	if cutRef := c.RefOf(cut, tensor); cutRef.Node != cut.Node && cut.Node >= 0 && c.Dialect == model.Keras2 {
		// tf-keras numbers a nested model's calls from 1 (its own graph is
		// node 0); Keras 3's reader of tf-keras files does not, so it cannot
		// rebuild a layer that reads a nested model's output. Keras itself
		// writes the same reference for this surgery.
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("the head reads the output of the nested model %q: tf-keras loads the result, "+
			"Keras 3 does not (its reader of tf-keras files misnumbers calls of nested models)", cut.Layer.Name))
	}
	cutT := c.Output(cut, tensor)
	prune(c, keep, rep)
	if spec.Name != "" && c.AllNames()[spec.Name] {
		return nil, nil, &Error{Field: "Name", Msg: fmt.Sprintf("a kept layer is already named %q", spec.Name),
			Hint: "choose another name for the final Dense layer"}
	}
	addHead(c, model.NewStyle(m, c, cut.Layer), plan, cutT, cutShape, spec.Seed, rep)
	s2, err := model.Infer(c)
	if err != nil {
		return nil, nil, err
	}
	model.RefreshShapes(c, s2)
	return c, rep, nil
}

// addHead appends the planned layers to c, each called on the previous
// one's output from t (of shape s) on, and makes the last the output. New
// Dense kernels are Glorot-uniform from seed, biases zero.
func addHead(c *model.Model, style *model.Style, plan []headLayer, t model.Tensor, s model.Shape, seed uint64, rep *HeadReport) {
	taken := c.AllNames()
	r := newRNG(seed)
	for _, p := range plan {
		name := c.UniqueName(p.base, taken)
		l := style.NewLayer(c, p.LayerSpec, name)
		nl := NewLayer{Name: name, Class: p.Class, Shape: p.out}
		if p.Class == "Dense" {
			fanIn := s[len(s)-1]
			l.Weights = []*model.Weight{
				{Name: style.WeightName(c, name, "kernel"), Shape: []int{fanIn, p.Units}, DType: "float32", Src: model.Values(glorotUniform(r, fanIn, p.Units))},
				{Name: style.WeightName(c, name, "bias"), Shape: []int{p.Units}, DType: "float32", Src: model.Values(zeros(p.Units))},
			}
			nl.Params = int64(fanIn)*int64(p.Units) + int64(p.Units)
		}
		if !c.IsSequential() {
			c.Call(l, []model.Tensor{t}, []model.Shape{s})
		}
		c.Append(l)
		rep.Added = append(rep.Added, nl)
		t, s = c.Output(model.NodeID{Layer: l, Node: 0}, 0), p.out
	}
	if !c.IsSequential() {
		c.SetOutputTensors([]model.Tensor{t})
	}
}

// findCut returns the call whose output feeds the head, the index of
// that output tensor and its shape.
func findCut(c *model.Model, shapes *model.Shapes, outs []model.NodeID, name string, rep *HeadReport) (model.NodeID, int, model.Shape, error) {
	if name != "" {
		id, shape, err := namedCut(c, shapes, c.Ancestors(outs), name)
		return id, 0, shape, err
	}
	if len(outs) != 1 {
		names := make([]string, len(outs))
		for i, o := range outs {
			names[i] = o.Layer.Name
		}
		return model.NodeID{}, 0, nil, &Error{Msg: fmt.Sprintf("the model has %d outputs (%s) and replace-head leaves one: give {CutAt} LAYER to say which layer feeds the new head", len(outs), capList(names)),
			Hint: "the new head's output becomes the model's only output"}
	}
	rep.Auto = true
	id, tensor := outs[0], c.Outputs[0].Index
	for {
		o := shapes.Outputs(id)
		if tensor >= len(o) || o[tensor] == nil {
			if cut, t, shape, ok := classifierInput(c, shapes, outs[0], c.Outputs[0].Index); ok {
				rep.Flat = true
				return cut, t, shape, nil
			}
			return model.NodeID{}, 0, nil, unknownShape(c, shapes, id)
		}
		if len(o[tensor]) >= 3 {
			if len(o) != 1 {
				return model.NodeID{}, 0, nil, &Error{Layer: id.Layer.Name, Msg: fmt.Sprintf("has %d outputs; the head needs one tensor", len(o)),
					Hint: "give {CutAt} LAYER"}
			}
			return id, tensor, o[tensor], nil
		}
		parents := c.Parents(id)
		if id.Node < 0 || len(parents) != 1 || !headClasses[id.Layer.Class] {
			// No feature map ends the backbone (an MLP, an RNN, a merge of
			// branches): the head is the final classifier, as timm's
			// reset_classifier takes it.
			if cut, t, shape, ok := classifierInput(c, shapes, outs[0], c.Outputs[0].Index); ok {
				rep.Flat = true
				return cut, t, shape, nil
			}
			if o := shapes.Outputs(outs[0]); len(o) == 1 && len(o[0]) == 2 {
				// No classifier either: the model is a feature extractor
				// and the head goes on its output.
				rep.Flat = true
				return outs[0], 0, o[0], nil
			}
			if len(parents) > 1 {
				return model.NodeID{}, 0, nil, &Error{Layer: id.Layer.Name, Msg: fmt.Sprintf("merges %d inputs, so the end of the backbone cannot be found by walking back from the output", len(parents)),
					Hint: "give {CutAt} LAYER"}
			}
			return model.NodeID{}, 0, nil, &Error{Msg: "cannot find the end of the backbone: no layer on the path to the output has spatial dimensions, and the output is no Dense classifier",
				Hint: "give {CutAt} LAYER (with {Pooling} none, its output being flat)"}
		}
		tensor = id.Layer.Nodes[id.Node].In[0].Index
		id = parents[0]
	}
}

// namedCut finds the call of the layer the user named to feed the head:
// it must be on the path to the output, called once there, with one
// output of known shape.
func namedCut(c *model.Model, shapes *model.Shapes, onPath map[model.NodeID]bool, name string) (model.NodeID, model.Shape, error) {
	l := c.Layer(name)
	if l == nil {
		var inside string
		for _, top := range c.Layers {
			if top.Sub != nil && top.Sub.AllNames()[name] {
				inside = top.Name
				break
			}
		}
		if inside != "" {
			return model.NodeID{}, nil, &Error{Field: "CutAt", Msg: fmt.Sprintf("layer %q is inside the nested model %q", name, inside),
				Hint: fmt.Sprintf("cut at %q itself or at a layer of the outer model", inside)}
		}
		return model.NodeID{}, nil, &Error{Field: "CutAt", Msg: fmt.Sprintf("the model has no layer named %q", name),
			Hint: "see the layer names with: modelsurg summary MODEL.h5"}
	}
	var calls []model.NodeID
	if l.Class == "InputLayer" && len(l.Nodes) == 0 {
		if onPath[model.NodeID{Layer: l, Node: -1}] {
			calls = append(calls, model.NodeID{Layer: l, Node: -1})
		}
	}
	for i := range l.Nodes {
		if id := (model.NodeID{Layer: l, Node: i}); onPath[id] {
			calls = append(calls, id)
		}
	}
	switch {
	case len(calls) == 0:
		return model.NodeID{}, nil, &Error{Layer: name, Msg: "not on the path to the model's output, so it cannot feed the head",
			Hint: "choose a layer the output depends on"}
	case len(calls) > 1:
		return model.NodeID{}, nil, &Error{Layer: name, Msg: fmt.Sprintf("called %d times on the path to the output; the head needs one tensor", len(calls)),
			Hint: "cut at a layer that is called once"}
	}
	id := calls[0]
	o := shapes.Outputs(id)
	if len(o) != 1 {
		return model.NodeID{}, nil, &Error{Layer: name, Msg: fmt.Sprintf("has %d outputs; the head needs one tensor", len(o))}
	}
	if o[0] == nil {
		return model.NodeID{}, nil, unknownShape(c, shapes, id)
	}
	return id, o[0], nil
}

// headClasses are the layers a classifier head is made of: walking back
// from the output through them finds the backbone's last feature map.
var headClasses = map[string]bool{
	"Dense": true, "Dropout": true, "AlphaDropout": true, "GaussianDropout": true, "GaussianNoise": true,
	"Activation": true, "Softmax": true, "ReLU": true, "LeakyReLU": true, "ELU": true, "PReLU": true,
	"Flatten": true, "Reshape": true, "BatchNormalization": true, "LayerNormalization": true,
	"GlobalAveragePooling1D": true, "GlobalAveragePooling2D": true, "GlobalAveragePooling3D": true,
	"GlobalMaxPooling1D": true, "GlobalMaxPooling2D": true, "GlobalMaxPooling3D": true,
}

// classifierInput finds the input of the model's final Dense classifier:
// walking back from the output past activations, the last Dense, then past
// the dropout that belongs to it.
func classifierInput(c *model.Model, shapes *model.Shapes, id model.NodeID, tensor int) (model.NodeID, int, model.Shape, bool) {
	step := func(classes map[string]bool) bool {
		for id.Node >= 0 && classes[id.Layer.Class] {
			parents := c.Parents(id)
			if len(parents) != 1 {
				return false
			}
			tensor = id.Layer.Nodes[id.Node].In[0].Index
			id = parents[0]
		}
		return true
	}
	if !step(outputActivations) || id.Node < 0 || !denseLike(id.Layer) {
		return model.NodeID{}, 0, nil, false
	}
	dense := id.Layer
	parents := c.Parents(id) // past the final Dense alone
	if len(parents) != 1 {
		return model.NodeID{}, 0, nil, false
	}
	tensor, id = id.Layer.Nodes[id.Node].In[0].Index, parents[0]
	if !step(map[string]bool{"Dropout": true, "AlphaDropout": true, "GaussianDropout": true}) {
		return model.NodeID{}, 0, nil, false
	}
	if o := shapes.Outputs(id); tensor < len(o) && o[tensor] != nil {
		return id, tensor, o[tensor], true
	}
	// Behind a layer modelsurg cannot infer (a Lambda, a custom class), the
	// classifier's kernel tells how many features it reads.
	if len(dense.Weights) > 0 && len(dense.Weights[0].Shape) == 2 {
		return id, tensor, model.Shape{model.None, dense.Weights[0].Shape[0]}, true
	}
	return model.NodeID{}, 0, nil, false
}

// denseLike reports a Dense layer, or a class built on it (QKeras's
// QDense, a custom FooDense) whose kernel is a matrix.
func denseLike(l *model.Layer) bool {
	if l.Class == "Dense" {
		return true
	}
	return strings.HasSuffix(l.Class, "Dense") && len(l.Weights) > 0 && len(l.Weights[0].Shape) == 2
}

// outputActivations are the layers a classifier may end with.
var outputActivations = map[string]bool{
	"Activation": true, "Softmax": true, "ReLU": true, "LeakyReLU": true, "PReLU": true, "ELU": true, "ThresholdedReLU": true,
}

// unknownShape explains an unknown output shape by the first layer on the
// way there whose inputs are known but whose output modelsurg cannot infer.
func unknownShape(c *model.Model, shapes *model.Shapes, id model.NodeID) error {
	cause := id.Layer
	seen := map[model.NodeID]bool{}
	for at := id; !seen[at] && at.Node >= 0; {
		seen[at] = true
		parents := c.Parents(at)
		next := at
		for i, p := range parents {
			o := shapes.Outputs(p)
			if t := at.Layer.Nodes[at.Node].Inputs[i].Tensor; t >= len(o) || o[t] == nil {
				next = p
				break
			}
		}
		if next == at {
			break
		}
		at, cause = next, next.Layer
	}
	msg := fmt.Sprintf("its output shape is unknown because modelsurg cannot infer the output of layer %q (%s), so the head cannot be sized", cause.Name, cause.Class)
	if cause == id.Layer {
		msg = fmt.Sprintf("modelsurg cannot infer the output shape of this %s layer, so the head cannot be sized", cause.Class)
	}
	return &Error{Layer: id.Layer.Name, Msg: msg, Hint: fmt.Sprintf("give {CutAt} a layer before %q", cause.Name)}
}

// capList joins names, at most 5 of them.
func capList(names []string) string {
	if len(names) > 5 {
		return strings.Join(names[:5], ", ") + fmt.Sprintf(", ... (%d more)", len(names)-5)
	}
	return strings.Join(names, ", ")
}

// headLayer is one planned layer of the head.
type headLayer struct {
	model.LayerSpec
	base string
	out  model.Shape
}

// planHead decides the head's layers and their output shapes, refusing a
// pooling the cut shape cannot take.
func planHead(c *model.Model, spec HeadSpec, cut model.NodeID, s model.Shape) ([]headLayer, error) {
	name := cut.Layer.Name
	var plan []headLayer
	flat := s
	switch spec.Pooling {
	case PoolAvg, PoolMax:
		r := len(s) - 2
		if r < 1 || r > 3 {
			hint := "use {Pooling} flatten, or cut at a feature map with {CutAt}"
			if len(s) == 2 {
				hint = "use {Pooling} none: the output is already flat"
			}
			return nil, &Error{Layer: name, Msg: fmt.Sprintf("{Pooling} %s needs a 1D, 2D or 3D feature map (rank 3 to 5) but the layer gives %s", spec.Pooling, s), Hint: hint}
		}
		df := dataFormat(c, cut)
		ch := s[len(s)-1]
		if df == "channels_first" {
			ch = s[1]
		}
		class, base := fmt.Sprintf("GlobalAveragePooling%dD", r), "avg_pool"
		if spec.Pooling == PoolMax {
			class, base = fmt.Sprintf("GlobalMaxPooling%dD", r), "max_pool"
		}
		flat = model.Shape{s[0], ch}
		plan = append(plan, headLayer{LayerSpec: model.LayerSpec{Class: class, DataFormat: df}, base: base, out: flat})
	case PoolFlatten:
		n := 1
		for _, d := range s[1:] {
			if d == model.None {
				return nil, &Error{Layer: name, Msg: fmt.Sprintf("{Pooling} flatten needs fixed sizes but the layer gives %s", s),
					Hint: "use {Pooling} avg or max, which take any spatial size"}
			}
			if n > maxNewWeights/max(d, 1) {
				return nil, &Error{Layer: name, Msg: fmt.Sprintf("flattening %s gives too many features", s)}
			}
			n *= d
		}
		flat = model.Shape{s[0], n}
		plan = append(plan, headLayer{LayerSpec: model.LayerSpec{Class: "Flatten", DataFormat: "channels_last"}, base: "flatten", out: flat})
	case PoolNone:
		if len(s) != 2 {
			return nil, &Error{Layer: name, Msg: fmt.Sprintf("{Pooling} none needs a flat output (rank 2) but the layer gives %s", s),
				Hint: "use {Pooling} avg, max or flatten"}
		}
	}
	if flat[len(flat)-1] == model.None {
		return nil, &Error{Layer: name, Msg: fmt.Sprintf("the number of features is unknown (%s), so the Dense kernel cannot be sized", flat)}
	}
	features := flat[len(flat)-1]
	for _, h := range spec.Hidden {
		if int64(features)*int64(h) > maxNewWeights {
			return nil, &Error{Field: "Hidden", Msg: fmt.Sprintf("a %d x %d kernel is too large", features, h)}
		}
		plan = append(plan, headLayer{LayerSpec: model.LayerSpec{Class: "Dense", Units: h, Activation: "relu"}, base: "dense", out: model.Shape{flat[0], h}})
		features = h
	}
	if spec.Dropout > 0 {
		plan = append(plan, headLayer{LayerSpec: model.LayerSpec{Class: "Dropout", Rate: spec.Dropout}, base: "dropout", out: model.Shape{flat[0], features}})
	}
	if int64(features)*int64(spec.Classes) > maxNewWeights {
		return nil, &Error{Field: "Classes", Msg: fmt.Sprintf("a %d x %d kernel is too large", features, spec.Classes)}
	}
	final := spec.Name
	if final == "" {
		final = "predictions"
	}
	plan = append(plan, headLayer{LayerSpec: model.LayerSpec{Class: "Dense", Units: spec.Classes, Activation: spec.Activation}, base: final, out: model.Shape{flat[0], spec.Classes}})
	return plan, nil
}

// dataFormat is the data_format of the backbone at the cut: the cut
// layer's own, else that of the nearest layer above it that has one.
func dataFormat(c *model.Model, cut model.NodeID) string {
	id := cut
	for i := 0; i < 10000; i++ {
		if df, ok := id.Layer.Config.String("data_format"); ok && id.Layer.Sub == nil {
			return df
		}
		if id.Node < 0 {
			break
		}
		parents := c.Parents(id)
		if len(parents) == 0 {
			break
		}
		id = parents[0]
	}
	return "channels_last"
}

// freeze sets trainable: false on every kept layer, nested ones included,
// as Keras's layer.trainable = False does, and reorders the saved weights
// of each layer whose trainable-then-non-trainable order changes.
func freeze(c *model.Model, shapes *model.Shapes, keep map[model.NodeID]bool) int {
	n := 0
	for _, l := range c.Layers {
		if !kept(l, keep) {
			continue
		}
		before, errB := model.LayerWeightInfo(c, l, shapes)
		model.SetWrappedTrainable(l, false)
		n += model.SetUntrainable(l)
		if l.Sub != nil {
			l.Sub.Walk(func(_ []string, sl *model.Layer) {
				model.SetWrappedTrainable(sl, false)
				n += model.SetUntrainable(sl)
			})
		}
		after, errA := model.LayerWeightInfo(c, l, shapes)
		if errB == nil && errA == nil {
			l.Weights = model.ReorderWeights(l.Weights, before, after)
		}
	}
	return n
}

func kept(l *model.Layer, keep map[model.NodeID]bool) bool {
	if keep[model.NodeID{Layer: l, Node: -1}] {
		return true
	}
	for i := range l.Nodes {
		if keep[model.NodeID{Layer: l, Node: i}] {
			return true
		}
	}
	return false
}

// prune removes every call not in keep (and layers left without calls)
// and reports the removed layers and the model inputs that no longer feed
// anything.
func prune(c *model.Model, keep map[model.NodeID]bool, rep *HeadReport) {
	order := c.Order()
	ins := c.InputIDs()
	isInput := map[*model.Layer]bool{}
	for _, id := range ins {
		isInput[id.Layer] = true
		if !keep[id] {
			rep.DroppedInputs = append(rep.DroppedInputs, id.Layer.Name)
		}
	}
	removed := c.Keep(keep)
	gone := map[*model.Layer]bool{}
	for _, l := range removed {
		gone[l] = true
	}
	// in model order, then layers outside the output's graph
	listed := map[*model.Layer]bool{}
	for _, l := range append(order, removed...) {
		if gone[l] && !listed[l] && !isInput[l] {
			rep.Removed = append(rep.Removed, l.Name)
		}
		listed[l] = true
	}
}
