package model

import (
	"errors"
	"fmt"
)

// WeightInfo is one weight of a layer as Keras stores it, with the layer
// (or nested sublayer) that owns it and whether it counts as trainable.
type WeightInfo struct {
	Spec      WeightSpec
	Owner     *Layer
	Trainable bool
}

// IsTrainable reports the layer's own trainable flag as Python reads it
// (true when absent; 0, null and "" are false, 1 is true).
func IsTrainable(l *Layer) bool {
	v := l.Config.Get("trainable")
	if v == nil {
		return true
	}
	return truthy(v)
}

// Inputs returns the shapes of the tensors a call reads.
func (s *Shapes) Inputs(id NodeID) []Shape {
	if id.Node < 0 {
		return nil
	}
	if s.m.IsSequential() && len(id.Layer.Nodes[id.Node].Inputs) == 0 {
		return s.out[NodeID{id.Layer, -2}]
	}
	parents := s.m.Parents(id)
	in := make([]Shape, len(parents))
	for i, p := range parents {
		outs := s.out[p]
		if t := id.Layer.Nodes[id.Node].Inputs[i].Tensor; t < len(outs) {
			in[i] = outs[t]
		}
	}
	return in
}

// LayerWeightInfo returns the weights Keras creates for l (built by its
// first call in m) in the order Keras saves them: trainable weights, then
// non-trainable ones; for a nested model, those of all its sublayers in
// their order. It is ErrUnknownLayer when a class or input shape is unknown.
func LayerWeightInfo(m *Model, l *Layer, s *Shapes) ([]WeightInfo, error) {
	var train, frozen []WeightInfo
	if err := collectWeights(m, l, s, IsTrainable(l), &train, &frozen, 0); err != nil {
		return nil, err
	}
	return append(train, frozen...), nil
}

func collectWeights(m *Model, l *Layer, s *Shapes, trainable bool, train, frozen *[]WeightInfo, depth int) error {
	if depth > maxNesting {
		return ErrUnknownLayer
	}
	if l.Sub != nil {
		sub := s.Nested(l)
		if sub == nil {
			return ErrUnknownLayer
		}
		order := l.Sub.Order()
		for _, sl := range order {
			if err := collectWeights(l.Sub, sl, sub, trainable && IsTrainable(sl), train, frozen, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if l.Class == "InputLayer" {
		return nil
	}
	if len(l.Nodes) == 0 {
		return ErrUnknownLayer
	}
	in := s.Inputs(NodeID{l, 0})
	for _, x := range in {
		if x == nil {
			return ErrUnknownLayer
		}
	}
	specs, err := CallWeights(l.Class, l.Config, in, l.Nodes[0].Kwargs, m.Dialect)
	if err != nil {
		return WithLayer(err, l)
	}
	for _, sp := range specs {
		w := WeightInfo{Spec: sp, Owner: l, Trainable: trainable && sp.Trainable}
		if w.Trainable {
			*train = append(*train, w)
		} else {
			*frozen = append(*frozen, w)
		}
	}
	return nil
}

// Params is a layer's parameter count split as Keras's summary splits it.
type Params struct {
	Total, Trainable, NonTrainable int64
	// Checked reports that the saved weights were matched against what the
	// config implies; false for layers modelsurg cannot build.
	Checked bool
}

// LayerParams counts l's saved weights and checks them against the
// weights its config implies: a different count or shape is an error
// naming the layer. Unknown layers count every weight as trainable unless
// the layer is frozen.
func LayerParams(m *Model, l *Layer, s *Shapes) (Params, error) {
	var p Params
	for _, w := range l.Weights {
		p.Total += w.Size()
	}
	infos, err := LayerWeightInfo(m, l, s)
	if errors.Is(err, ErrUnknownLayer) || (err == nil && s == nil) {
		if IsTrainable(l) {
			p.Trainable = p.Total
		} else {
			p.NonTrainable = p.Total
		}
		return p, nil
	}
	if err != nil {
		return p, err
	}
	if len(infos) != len(l.Weights) {
		return p, fmt.Errorf("layer %q (%s): the file has %d weights but the config implies %d", l.Name, l.Class, len(l.Weights), len(infos))
	}
	for i, w := range l.Weights {
		if want := infos[i].Spec.Shape; !Shape(w.Shape).Equal(want) {
			return p, fmt.Errorf("layer %q (%s): weight %q is %s but the config implies %s", l.Name, l.Class, w.Name, Shape(w.Shape), want)
		}
	}
	p, _ = countInfos(infos) // the saved shapes are these
	return p, nil
}

// ConfigParams counts the parameters l's config implies, as LayerParams
// counts them once the saved weights match: for a model whose weights are
// not read yet. It is ErrUnknownLayer when they cannot be derived.
func ConfigParams(m *Model, l *Layer, s *Shapes) (Params, error) {
	var p Params
	if s == nil {
		return p, ErrUnknownLayer
	}
	infos, err := LayerWeightInfo(m, l, s)
	if err != nil {
		return p, err
	}
	p, ok := countInfos(infos)
	if !ok {
		return Params{}, ErrUnknownLayer
	}
	return p, nil
}

// countInfos counts the parameters of weights of known shape, split as
// Keras's summary splits them; false if a shape has an unknown size.
func countInfos(infos []WeightInfo) (Params, bool) {
	p := Params{Checked: true}
	for _, w := range infos {
		n := int64(1)
		for _, d := range w.Spec.Shape {
			if d < 0 {
				return Params{}, false
			}
			n *= int64(d)
		}
		p.Total += n
		if w.Trainable {
			p.Trainable += n
		} else {
			p.NonTrainable += n
		}
	}
	return p, true
}
