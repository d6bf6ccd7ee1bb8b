package model

import (
	"errors"
	"fmt"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// ErrWeightOrder: the order Keras stores a nested model's weights in
// depends on a layer modelsurg does not know.
var ErrWeightOrder = errors.New("the weights' order in a nested model is unknown")

func shapeErrf(l *Layer, format string, args ...any) *ShapeError {
	return &ShapeError{Layer: l.Name, Class: l.Class, Msg: fmt.Sprintf(format, args...)}
}

// InputSlot is one input of a model: its InputLayer (or, for an old
// Sequential without one, the first layer, which holds
// batch_input_shape) and its batch shape.
type InputSlot struct {
	Layer *Layer
	Shape Shape
}

// InputSlots returns the inputs of m with their declared shapes.
func InputSlots(m *Model) ([]InputSlot, error) {
	var layers []*Layer
	if m.IsSequential() {
		if len(m.Layers) == 0 {
			return nil, errors.New("the model has no layers")
		}
		layers = []*Layer{m.Layers[0]}
	} else {
		for _, t := range m.Inputs {
			layers = append(layers, t.Layer)
		}
	}
	var out []InputSlot
	for _, l := range layers {
		s, err := InputShape(l, m.Dialect)
		if err != nil || s == nil {
			return nil, fmt.Errorf("layer %q (%s): the model does not declare its input shape", l.Name, l.Class)
		}
		if len(s) < 2 {
			return nil, fmt.Errorf("layer %q (%s): input shape %s has no dimension besides the batch", l.Name, l.Class, s)
		}
		out = append(out, InputSlot{Layer: l, Shape: s})
	}
	return out, nil
}

// Nest wraps c (with shapes s) as one nested layer of a
// new Functional model called on new InputLayers, as Keras's
// Model(new_input, c(new_input)) writes it. The nested layer's weights
// are c's, in the order Keras stores a nested model's weights: every
// trainable weight of every sublayer in layer order, then the others.
// A Keras 2 Sequential is nested as an equivalent Functional model:
// Keras 3 cannot load a Keras 2 file that nests a Sequential.
func Nest(c *Model, s *Shapes) (*Model, error) {
	ws, err := nestedWeights(c, s)
	if err != nil {
		return nil, err
	}
	env, sub, err := nestable(c)
	if err != nil {
		return nil, err
	}
	slots, err := InputSlots(sub)
	if err != nil {
		return nil, err
	}
	k3 := c.Dialect == Keras3
	taken := sub.AllNames()
	layers, ins, node := nestInputs(sub, slots, taken, k3)
	off := 1 // Keras 2 and Keras 3 number a nested Functional's first call 1 here
	if sub.IsSequential() && (k3 || sub.Layers[0].Class != "InputLayer") {
		off = 0
	}
	var outs []*jsonx.Value
	for t := range sub.Outputs {
		outs = append(outs, jsonx.Arr(jsonx.Str(sub.Name), jsonx.Int(int64(off)), jsonx.Int(int64(t))))
	}
	ne := jsonx.NewObject()
	ne.Obj.Set("class_name", jsonx.Str(sub.Class))
	ne.Obj.Set("config", env.Obj.Get("config"))
	ne.Obj.Set("name", jsonx.Str(sub.Name))
	ne.Obj.Set("inbound_nodes", jsonx.Arr(node))
	layers = append(layers, ne)

	outerName := "model"
	if k3 {
		outerName = "functional"
	}
	cfg := jsonx.NewObject()
	cfg.Obj.Set("name", jsonx.Str(sub.UniqueName(outerName, taken)))
	cfg.Obj.Set("trainable", jsonx.BoolV(true))
	cfg.Obj.Set("layers", jsonx.Arr(layers...))
	cfg.Obj.Set("input_layers", ioList(ins, k3))
	cfg.Obj.Set("output_layers", ioList(outs, k3))
	top := jsonx.NewObject()
	top.Obj.Set("class_name", jsonx.Str("Functional"))
	top.Obj.Set("config", cfg)
	o, err := fromJSON(top.Obj, c.Dialect, 0)
	if err != nil {
		return nil, fmt.Errorf("nest: %w", err)
	}
	nl := o.Layer(sub.Name)
	nl.Weights = ws
	// The nested layer must hold exactly the weights Keras will build for it.
	shapes, err := Infer(o)
	if err != nil {
		return nil, fmt.Errorf("nest: %w", err)
	}
	if _, err := LayerParams(o, nl, shapes); err != nil {
		return nil, fmt.Errorf("nest: %w", err)
	}
	return o, nil
}

// ioList writes input_layers/output_layers: Keras 3 writes one bare triple.
func ioList(triples []*jsonx.Value, k3 bool) *jsonx.Value {
	if k3 && len(triples) == 1 {
		return triples[0]
	}
	return jsonx.Arr(triples...)
}

// nestable returns the config envelope c is nested as, and c as parsed
// from it: a Keras 2 Sequential becomes the equivalent Functional model,
// and a model without a name gets one.
func nestable(c *Model) (*jsonx.Value, *Model, error) {
	env := &jsonx.Value{Kind: jsonx.Object, Obj: envelope(c)}
	env = env.Clone()
	if c.Dialect == Keras2 && c.IsSequential() {
		var err error
		if env, err = sequentialAsFunctional(c, env); err != nil {
			return nil, nil, err
		}
	}
	if name, _ := env.Obj.Object("config").String("name"); name == "" {
		base := "model"
		if c.IsSequential() && !(c.Dialect == Keras2) {
			base = "sequential"
		}
		env.Obj.Object("config").Set("name", jsonx.Str(c.UniqueName(base, c.AllNames())))
	}
	sub, err := fromJSON(env.Clone().Obj, c.Dialect, 1)
	if err != nil {
		return nil, nil, fmt.Errorf("nest: %w", err)
	}
	return env, sub, nil
}

// nestInputs makes one new InputLayer per input of sub (the source's
// InputLayer config renamed: same keys and dtype, new shape) and the node
// that calls sub on them, as the dialect writes it.
func nestInputs(sub *Model, slots []InputSlot, taken map[string]bool, k3 bool) (layers, ins []*jsonx.Value, node *jsonx.Value) {
	var args []*jsonx.Value
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
		icfg := (&jsonx.Value{Kind: jsonx.Object, Obj: slot.Layer.Config}).Clone()
		icfg.Obj.Set("name", jsonx.Str(name))
		e := jsonx.NewObject()
		e.Obj.Set("class_name", jsonx.Str("InputLayer"))
		e.Obj.Set("config", icfg)
		e.Obj.Set("name", jsonx.Str(name))
		e.Obj.Set("inbound_nodes", jsonx.Arr())
		layers = append(layers, e)
		ins = append(ins, jsonx.Arr(jsonx.Str(name), jsonx.Int(0), jsonx.Int(0)))
		if k3 {
			dt, ok := slot.Layer.Config.String("dtype")
			if !ok {
				dt = "float32"
			}
			t := kerasTensor(slot.Shape, dt)
			writeRef(historyOf(t), Ref{Layer: name})
			args = append(args, t)
		} else {
			args = append(args, jsonx.Arr(jsonx.Str(name), jsonx.Int(0), jsonx.Int(0), jsonx.NewObject()))
		}
	}
	if !k3 {
		return layers, ins, jsonx.Arr(args...)
	}
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
	return layers, ins, node
}

// nestedWeights lists c's weights in the order Keras saves them for c used
// as a layer, with names unique within that one group.
func nestedWeights(c *Model, s *Shapes) ([]*Weight, error) {
	order := c.Order()
	modelTrainable := true
	if t, ok := c.Config.Bool("trainable"); ok {
		modelTrainable = t
	}
	var train, frozen []*Weight
	for _, l := range order {
		if len(l.Weights) == 0 {
			continue
		}
		nTrain, n, err := countTrainable(c, l, s, true, 0)
		if err != nil {
			if !modelTrainable || !IsTrainable(l) {
				frozen = append(frozen, l.Weights...) // all of it counts as non-trainable
				continue
			}
			return nil, fmt.Errorf("%w: %w", ErrWeightOrder, err)
		}
		if n != len(l.Weights) {
			return nil, shapeErrf(l, "the file has %d weights but the config implies %d", len(l.Weights), n)
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
	// Keras writes for the nested  Files whose names are not unique
	// within the group (Keras 3.0-3.2 wrote bare "kernel") get the owning
	// layer's name in front.
	seen := map[string]int{}
	for _, w := range all {
		seen[w.Name]++
	}
	owner := map[*Weight]string{}
	for _, l := range order {
		for _, w := range l.Weights {
			owner[w] = l.Name
		}
	}
	out := make([]*Weight, len(all))
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
func countTrainable(m *Model, l *Layer, s *Shapes, parent bool, depth int) (nTrain, n int, err error) {
	t := parent && IsTrainable(l)
	if l.Sub != nil {
		if depth > 64 {
			return 0, 0, shapeErrf(l, "models nested too deep")
		}
		order := l.Sub.Order()
		var sub *Shapes
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
	var in []Shape
	if s != nil && len(l.Nodes) > 0 {
		in = s.Inputs(NodeID{Layer: l, Node: 0})
	}
	if len(in) == 0 && len(l.Nodes) > 0 {
		in = make([]Shape, max(len(l.Nodes[0].Inputs), 1))
	}
	var kw *jsonx.Obj
	if len(l.Nodes) > 0 {
		kw = l.Nodes[0].Kwargs
	}
	specs, err := CallWeights(l.Class, l.Config, in, kw, m.Dialect)
	if errors.Is(err, ErrUnknownLayer) && weightless[l.Class] {
		return 0, 0, nil
	}
	if errors.Is(err, ErrUnknownLayer) {
		return 0, 0, shapeErrf(l, "modelsurg does not know this class, so not which of its weights are trainable, which decides their order in a nested model")
	}
	if err != nil {
		return 0, 0, WithLayer(err, l)
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
func sequentialAsFunctional(c *Model, env *jsonx.Value) (*jsonx.Value, error) {
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
