package surgery

import (
	"fmt"

	"github.com/modelsurg/modelsurg/internal/model"
)

// ExtractSpec names the sub-model Extract cuts out.
type ExtractSpec struct {
	// Outputs are the top-level layers whose outputs become the model's
	// outputs, in order (every output tensor of each).
	Outputs []string
	// Inputs, if set, are the layers whose outputs become the model's
	// inputs, in order: an InputLayer stays, any other layer is replaced
	// by a new InputLayer of its output shape. Every input the outputs
	// still need must be listed. Empty keeps the inputs the outputs need.
	Inputs []string
}

// ExtractReport says what Extract did.
type ExtractReport struct {
	// Outputs and Inputs are the new model's, as "layer" or
	// "layer[tensor]" for a layer with several outputs, and NewInputs the
	// InputLayers made for Inputs, with their shapes.
	Outputs, Inputs []string
	NewInputs       []NewLayer
	// Removed lists the removed layers in model order; DroppedInputs the
	// model inputs the outputs do not need.
	Removed, DroppedInputs []string
	Warnings               []string
}

// Check validates the values of s that do not depend on a model.
func (s ExtractSpec) Check() error {
	if len(s.Outputs) == 0 {
		return &Error{Field: "Outputs", Msg: "name at least one layer", Usage: true}
	}
	for _, f := range []struct {
		field string
		names []string
	}{{"Outputs", s.Outputs}, {"Inputs", s.Inputs}} {
		field, names := f.field, f.names
		seen := map[string]bool{}
		for _, n := range names {
			if n == "" {
				return &Error{Field: field, Msg: "a layer name is empty", Usage: true}
			}
			if seen[n] {
				return &Error{Field: field, Msg: fmt.Sprintf("layer %q is named twice", n), Usage: true}
			}
			seen[n] = true
		}
	}
	for _, o := range s.Outputs {
		for _, i := range s.Inputs {
			if o == i {
				return &Error{Field: "Inputs", Msg: fmt.Sprintf("layer %q is also one of {Outputs}: the model would compute nothing", o), Usage: true}
			}
		}
	}
	return nil
}

// Extract returns the sub-model of m from its inputs (or spec.Inputs) to
// the outputs of spec.Outputs, as Keras's Model(inputs, [layer.output,
// ...]) builds it: every layer and weight the outputs do not need is
// removed, kept weights stay references. m is not modified.
func Extract(m *model.Model, spec ExtractSpec) (_ *model.Model, _ *ExtractReport, err error) {
	defer asError(&err)
	if err := spec.Check(); err != nil {
		return nil, nil, err
	}
	c := model.Clone(m)
	shapes, err := model.Infer(c)
	if err != nil {
		return nil, nil, err
	}
	rep := &ExtractReport{}
	outs, refs, err := extractOutputs(c, shapes, spec.Outputs, rep)
	if err != nil {
		return nil, nil, err
	}
	if c.IsSequential() {
		if len(spec.Inputs) > 0 {
			return nil, nil, &Error{Field: "Inputs", Msg: "a Sequential model cannot take a new input inside it",
				Hint: "extract from the inputs, or convert the model to a Functional one first"}
		}
		if len(outs) > 1 {
			return nil, nil, &Error{Field: "Outputs", Msg: "a Sequential model has one output: name one layer"}
		}
	}
	ins, err := extractInputs(c, shapes, spec, rep)
	if err != nil {
		return nil, nil, err
	}
	if !c.IsSequential() {
		c.SetOutputs(refs)
	}
	keep := c.Ancestors(outs)
	if err := checkInputs(c, keep, ins, spec); err != nil {
		return nil, nil, err
	}
	if len(spec.Inputs) == 0 {
		ins = nil
		for _, t := range c.Inputs {
			if id := c.ID(t); keep[id] {
				ins = append(ins, id)
			}
		}
	}
	hr := &HeadReport{}
	prune(c, keep, hr)
	rep.Removed, rep.DroppedInputs = hr.Removed, hr.DroppedInputs
	if !c.IsSequential() {
		inRefs := make([]model.Ref, len(ins))
		for i, id := range ins {
			inRefs[i] = c.IORef(id, 0)
			rep.Inputs = append(rep.Inputs, id.Layer.Name)
		}
		c.SetInputs(inRefs)
	}
	s2, err := model.Infer(c)
	if err != nil {
		return nil, nil, err
	}
	model.RefreshShapes(c, s2)
	return c, rep, nil
}

// extractOutputs resolves the output layers to their calls and the
// references of every output tensor of each.
func extractOutputs(c *model.Model, shapes *model.Shapes, names []string, rep *ExtractReport) ([]model.NodeID, []model.Ref, error) {
	var ids []model.NodeID
	var refs []model.Ref
	for _, name := range names {
		id, err := singleCall(c, "Outputs", name)
		if err != nil {
			return nil, nil, err
		}
		if id.Node < 0 {
			return nil, nil, &Error{Field: "Outputs", Msg: fmt.Sprintf("layer %q is an input of the model", name),
				Hint: "name a layer that computes something"}
		}
		n := max(len(shapes.Outputs(id)), 1)
		for k := 0; k < n; k++ {
			refs = append(refs, c.IORef(id, k))
			if n == 1 {
				rep.Outputs = append(rep.Outputs, name)
			} else {
				rep.Outputs = append(rep.Outputs, fmt.Sprintf("%s[%d]", name, k))
			}
		}
		if id.Layer.Sub != nil && c.Dialect == model.Keras2 && c.RefOf(id, 0).Node != id.Node {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("the output of the nested model %q: tf-keras loads the result, "+
				"Keras 3 does not (its reader of tf-keras files misnumbers calls of nested models)", name))
		}
		ids = append(ids, id)
	}
	return ids, refs, nil
}

// singleCall finds a top-level layer called once (or an InputLayer) by name.
func singleCall(c *model.Model, field, name string) (model.NodeID, error) {
	l := c.Layer(name)
	if l == nil {
		msg := fmt.Sprintf("no layer is named %q", name)
		if c.AllNames()[name] {
			msg = fmt.Sprintf("layer %q is inside a nested model, which Keras's get_layer does not reach", name)
		}
		return model.NodeID{}, &Error{Field: field, Msg: msg, Hint: "see the layer names with: modelsurg summary MODEL.h5"}
	}
	if l.Class == "InputLayer" && len(l.Nodes) == 0 {
		return model.NodeID{Layer: l, Node: -1}, nil
	}
	if len(l.Nodes) != 1 {
		return model.NodeID{}, &Error{Layer: name, Msg: fmt.Sprintf("called %d times, so it has no single output (Keras's layer.output is ambiguous too)", len(l.Nodes))}
	}
	return model.NodeID{Layer: l, Node: 0}, nil
}

// extractInputs makes each of spec.Inputs an input of c and returns
// their calls, in order.
func extractInputs(c *model.Model, shapes *model.Shapes, spec ExtractSpec, rep *ExtractReport) ([]model.NodeID, error) {
	var ids []model.NodeID
	taken := c.AllNames()
	for _, name := range spec.Inputs {
		id, err := singleCall(c, "Inputs", name)
		if err != nil {
			return nil, err
		}
		if id.Node < 0 {
			ids = append(ids, id)
			continue
		}
		outs := shapes.Outputs(id)
		if len(outs) != 1 {
			return nil, &Error{Layer: name, Msg: fmt.Sprintf("has %d outputs; a new input replaces one tensor", len(outs))}
		}
		if outs[0] == nil {
			return nil, &Error{Layer: name, Msg: "its output shape is unknown (a layer above it is one modelsurg cannot build), so no input can take its place"}
		}
		in, err := c.CutInput(id, 0, c.UniqueName(name+"_input", taken), outs[0])
		if err != nil {
			return nil, &Error{Field: "Inputs", Msg: err.Error()}
		}
		rep.NewInputs = append(rep.NewInputs, NewLayer{Name: in.Name, Class: in.Class, Shape: outs[0]})
		ids = append(ids, model.NodeID{Layer: in, Node: -1})
	}
	return ids, nil
}

// checkInputs refuses an extraction whose outputs need an input the spec
// leaves out, or that does not need one it lists.
func checkInputs(c *model.Model, keep map[model.NodeID]bool, ins []model.NodeID, spec ExtractSpec) error {
	if len(spec.Inputs) == 0 {
		return nil
	}
	listed := map[model.NodeID]bool{}
	for i, id := range ins {
		listed[id] = true
		if !keep[id] {
			return &Error{Layer: spec.Inputs[i], Msg: "no output in {Outputs} depends on it", Hint: "name an input below the outputs"}
		}
	}
	for _, t := range c.Inputs {
		if id := c.ID(t); keep[id] && !listed[id] {
			return &Error{Field: "Inputs", Msg: fmt.Sprintf("the outputs still depend on the model input %q", id.Layer.Name),
				Hint: fmt.Sprintf("add %q to {Inputs}, or cut below it on every path", id.Layer.Name)}
		}
	}
	return nil
}
