package model

import (
	"strings"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// Core, reshaping, merging and normalization layers.

func inputLayer(c *lcfg, _ []Shape) (Shape, error) {
	for _, key := range []string{"batch_input_shape", "batch_shape", "input_shape", "shape"} {
		v := c.o.Get(key)
		if v.IsNull() {
			continue
		}
		if v.Kind != jsonx.Array {
			return nil, c.badf("config %q is not a list", key)
		}
		if len(v.Elems) > 64 {
			return nil, c.errf("config %q has too many dimensions", key)
		}
		var s Shape
		if key == "input_shape" || key == "shape" {
			s = Shape{None}
		}
		for _, e := range v.Elems {
			if e.IsNull() {
				s = append(s, None)
				continue
			}
			n, err := c.number(key, e)
			if err != nil {
				return nil, err
			}
			if n < 0 {
				return nil, c.errf("%s %s has a negative dimension", key, jsonx.Marshal(v))
			}
			s = append(s, n)
		}
		if s == nil {
			s = Shape{}
		}
		return s, nil
	}
	return nil, c.badf("no batch_input_shape or batch_shape in config")
}

// noExtraWeights refuses Keras 3 configs that add weights modelsurg does
// not model (LoRA, quantization).
func (c *lcfg) noExtraWeights() error {
	if dt := c.o.Object("dtype"); dt != nil {
		if cn, _ := dt.String("class_name"); strings.Contains(cn, "Quantized") {
			return c.badf("quantized layers are not supported")
		}
	}
	if v := c.o.Get("lora_rank"); !v.IsNull() {
		if n, ok := v.Int(); !ok || n != 0 {
			return c.badf("lora_rank is not supported")
		}
	}
	if !c.o.Get("quantization_config").IsNull() {
		return c.badf("quantization_config is not supported")
	}
	return nil
}

var denseLayer = &layerKind{
	nIn: 1,
	infer: func(c *lcfg, in []Shape) (Shape, error) {
		units, err := c.positive("units")
		if err != nil {
			return nil, err
		}
		s := in[0]
		if err := c.minRank(s, 2); err != nil {
			return nil, err
		}
		if _, err := c.known(s[len(s)-1], "last dimension", s); err != nil {
			return nil, err
		}
		out := s.Clone()
		out[len(out)-1] = units
		return out, nil
	},
	weights: func(c *lcfg, in []Shape) ([]WeightSpec, error) {
		units, err := c.positive("units")
		if err != nil {
			return nil, err
		}
		bias, err := c.boolean("use_bias", true)
		if err != nil {
			return nil, err
		}
		if err := c.noExtraWeights(); err != nil {
			return nil, err
		}
		ws := []WeightSpec{w("kernel", true, last(in[0]), units)}
		if bias {
			ws = append(ws, w("bias", true, units))
		}
		return ws, nil
	},
}

var embeddingLayer = &layerKind{
	nIn: 1,
	infer: func(c *lcfg, in []Shape) (Shape, error) {
		if _, err := c.positive("input_dim"); err != nil {
			return nil, err
		}
		dim, err := c.positive("output_dim")
		if err != nil {
			return nil, err
		}
		if len(in[0]) < 1 {
			return nil, c.errf("expects inputs of rank >= 1, got %s", in[0])
		}
		return append(in[0].Clone(), dim), nil
	},
	weights: func(c *lcfg, in []Shape) ([]WeightSpec, error) {
		n, err := c.positive("input_dim")
		if err != nil {
			return nil, err
		}
		dim, err := c.positive("output_dim")
		if err != nil {
			return nil, err
		}
		if err := c.noExtraWeights(); err != nil {
			return nil, err
		}
		return []WeightSpec{w("embeddings", true, n, dim)}, nil
	},
}

// sameShape is every layer whose output has its input's shape.
var sameShape = &layerKind{nIn: 1, infer: func(c *lcfg, in []Shape) (Shape, error) {
	return in[0].Clone(), nil
}}

func rankedSameShape(rank int) *layerKind {
	return &layerKind{nIn: 1, infer: func(c *lcfg, in []Shape) (Shape, error) {
		if err := c.rank(in[0], rank); err != nil {
			return nil, err
		}
		return in[0].Clone(), nil
	}}
}

var flattenLayer = &layerKind{nIn: 1, infer: func(c *lcfg, in []Shape) (Shape, error) {
	s := in[0]
	if err := c.minRank(s, 1); err != nil {
		return nil, err
	}
	n := 1
	for _, d := range s[1:] {
		if d == None {
			return Shape{s[0], None}, nil
		}
		var err error
		if n, err = c.mul(n, d); err != nil {
			return nil, err
		}
	}
	return Shape{s[0], n}, nil
}}

var reshapeLayer = &layerKind{nIn: 1, infer: func(c *lcfg, in []Shape) (Shape, error) {
	if !c.o.Has("target_shape") && c.o.Has("newshape") {
		// keras.ops.reshape in Keras 3: the shape includes the batch axis.
		newshape, _, err := c.ints("newshape")
		if err != nil {
			return nil, err
		}
		return c.fullReshape(in[0], newshape)
	}
	target, ok, err := c.ints("target_shape")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, c.badf("config %q is missing", "target_shape")
	}
	s := in[0]
	if err := c.minRank(s, 1); err != nil {
		return nil, err
	}
	unknownAt, known := -1, 1
	for i, t := range target {
		switch {
		case t == -1 && unknownAt >= 0:
			return nil, c.errf("target_shape %s has more than one -1", tupleString(target))
		case t == -1:
			unknownAt = i
		case t <= 0:
			return nil, c.errf("target_shape %s has a dimension <= 0", tupleString(target))
		default:
			if known, err = c.mul(known, t); err != nil {
				return nil, err
			}
		}
	}
	out := append(Shape{s[0]}, target...)
	total := 1
	for _, d := range s[1:] {
		if d == None {
			if unknownAt >= 0 {
				out[unknownAt+1] = None
			}
			return out, nil
		}
		if total, err = c.mul(total, d); err != nil {
			return nil, err
		}
	}
	if unknownAt >= 0 {
		if total%known != 0 {
			return nil, c.errf("cannot reshape %s into %s", s, tupleString(target))
		}
		out[unknownAt+1] = total / known
	} else if total != known {
		return nil, c.errf("cannot reshape %s (%d values) into %s (%d values)", s, total, tupleString(target), known)
	}
	return out, nil
}}

var permuteLayer = &layerKind{nIn: 1, infer: func(c *lcfg, in []Shape) (Shape, error) {
	dims, ok, err := c.ints("dims")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, c.badf("config %q is missing", "dims")
	}
	seen := make([]bool, len(dims)+1)
	for _, d := range dims {
		if d < 1 || d > len(dims) || seen[d] {
			return nil, c.errf("dims %s is not a permutation of 1..%d", tupleString(dims), len(dims))
		}
		seen[d] = true
	}
	s := in[0]
	if err := c.rank(s, len(dims)+1); err != nil {
		return nil, err
	}
	out := Shape{s[0]}
	for _, d := range dims {
		out = append(out, s[d])
	}
	return out, nil
}}

var repeatVectorLayer = &layerKind{nIn: 1, infer: func(c *lcfg, in []Shape) (Shape, error) {
	n, err := c.positive("n")
	if err != nil {
		return nil, err
	}
	s := in[0]
	if err := c.rank(s, 2); err != nil {
		return nil, err
	}
	return Shape{s[0], n, s[1]}, nil
}}

// preluAlpha is the alpha shape: the input's non-batch shape with the shared axes set to 1.
func (c *lcfg) preluAlpha(s Shape) (Shape, error) {
	shared, _, err := c.ints("shared_axes")
	if err != nil {
		return nil, err
	}
	if err := c.minRank(s, 2); err != nil {
		return nil, err
	}
	alpha := s[1:].Clone()
	for _, a := range shared {
		if a < 1 || a >= len(s) {
			return nil, c.errf("shared_axes %s is out of range for input %s", tupleString(shared), s)
		}
		alpha[a-1] = 1
	}
	for _, d := range alpha {
		if d == None {
			return nil, c.errf("alpha would have an undefined dimension for input %s and shared_axes %s", s, tupleString(shared))
		}
	}
	return alpha, nil
}

var preluLayer = &layerKind{
	nIn: 1,
	infer: func(c *lcfg, in []Shape) (Shape, error) {
		if _, err := c.preluAlpha(in[0]); err != nil {
			return nil, err
		}
		return in[0].Clone(), nil
	},
	weights: func(c *lcfg, in []Shape) ([]WeightSpec, error) {
		if in[0] == nil {
			if _, _, err := c.ints("shared_axes"); err != nil {
				return nil, err
			}
			return []WeightSpec{wUnknown("alpha", true)}, nil
		}
		a, err := c.preluAlpha(in[0])
		if err != nil {
			return nil, err
		}
		return []WeightSpec{{Name: "alpha", Shape: a, Trainable: true}}, nil
	},
}

var imageSizeLayer = &layerKind{nIn: 1, infer: func(c *lcfg, in []Shape) (Shape, error) {
	h, err := c.positive("height")
	if err != nil {
		return nil, err
	}
	wd, err := c.positive("width")
	if err != nil {
		return nil, err
	}
	cf, err := c.channelsFirst()
	if err != nil {
		return nil, err
	}
	s := in[0]
	if len(s) != 3 && len(s) != 4 {
		return nil, c.errf("expects inputs of rank 3 or 4, got %s", s)
	}
	out := s.Clone()
	hi := len(s) - 3
	if cf {
		hi = len(s) - 2
	}
	out[hi], out[hi+1] = h, wd
	return out, nil
}}

// layerScale is ConvNeXt's LayerScale: x * gamma, gamma of shape (projection_dim,).
var layerScaleLayer = &layerKind{
	nIn: 1,
	infer: func(c *lcfg, in []Shape) (Shape, error) {
		p, err := c.positive("projection_dim")
		if err != nil {
			return nil, err
		}
		return c.broadcast([]Shape{in[0], {p}})
	},
	weights: func(c *lcfg, in []Shape) ([]WeightSpec, error) {
		p, err := c.positive("projection_dim")
		if err != nil {
			return nil, err
		}
		// Keras 3's LayerScale does not name its weight: it gets the
		// automatic name "variable" (with a session-wide _N suffix).
		name := "gamma"
		if c.d == Keras3 {
			name = "variable"
		}
		return []WeightSpec{w(name, true, p)}, nil
	},
}

var inputLayerKind = &layerKind{nIn: 0, infer: inputLayer}

func init() {
	register(inputLayerKind, "InputLayer")
	register(denseLayer, "Dense")
	register(embeddingLayer, "Embedding")
	register(sameShape, "Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout",
		"ActivityRegularization", "Activation", "ReLU", "LeakyReLU", "ELU", "ThresholdedReLU",
		"Softmax", "Identity", "Masking", "UnitNormalization", "Rescaling", "StochasticDepth")
	register(rankedSameShape(3), "SpatialDropout1D")
	register(rankedSameShape(4), "SpatialDropout2D")
	register(rankedSameShape(5), "SpatialDropout3D")
	register(flattenLayer, "Flatten")
	register(reshapeLayer, "Reshape")
	register(permuteLayer, "Permute")
	register(repeatVectorLayer, "RepeatVector")
	register(preluLayer, "PReLU")
	register(imageSizeLayer, "CenterCrop", "Resizing")
	register(layerScaleLayer, "LayerScale")
}
