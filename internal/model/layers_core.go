package model

import (
	"sort"
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
		ws := []WeightSpec{wUnknown("kernel", true)}
		if s := in[0]; s != nil {
			ws[0] = w("kernel", true, s[len(s)-1], units)
		}
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

// axes reads an axis config (an integer or a list, def when missing) and
// normalizes it for the given rank. null gives an empty list when
// nullEmpty, else def.
func (c *lcfg) axes(key string, def int, rank int) ([]int, error) {
	vals, ok, err := c.ints(key)
	if err != nil {
		return nil, err
	}
	if !ok {
		vals = []int{def}
	}
	out := make([]int, len(vals))
	seen := map[int]bool{}
	for i, a := range vals {
		if out[i], err = c.axis(a, rank); err != nil {
			return nil, err
		}
		if seen[out[i]] {
			return nil, c.errf("%s %s repeats an axis", key, tupleString(vals))
		}
		seen[out[i]] = true
	}
	return out, nil
}

// axisDims returns the (known) sizes of s at axes.
func (c *lcfg) axisDims(s Shape, axes []int) ([]int, error) {
	out := make([]int, len(axes))
	for i, a := range axes {
		if s[a] == None {
			return nil, c.errf("axis %d of input %s must be defined", a, s)
		}
		out[i] = s[a]
	}
	return out, nil
}

// bnParams is the shape of BatchNormalization's weights.
func (c *lcfg) bnParams(s Shape) (Shape, error) {
	if v := c.o.Get("virtual_batch_size"); !v.IsNull() {
		return nil, c.badf("virtual_batch_size is not supported")
	}
	if err := c.minRank(s, 1); err != nil {
		return nil, err
	}
	axes, err := c.axes("axis", -1, len(s))
	if err != nil {
		return nil, err
	}
	if len(axes) == 0 {
		return nil, c.errf("axis must not be empty")
	}
	dims, err := c.axisDims(s, axes)
	if err != nil {
		return nil, err
	}
	if len(axes) == 1 {
		return Shape{dims[0]}, nil
	}
	// Several axes: tf-keras keeps a broadcastable full-rank shape.
	p := make(Shape, len(s))
	for i := range p {
		p[i] = 1
	}
	for i, a := range axes {
		p[a] = dims[i]
	}
	return p, nil
}

var batchNormLayer = &layerKind{
	nIn: 1,
	infer: func(c *lcfg, in []Shape) (Shape, error) {
		if _, err := c.bnParams(in[0]); err != nil {
			return nil, err
		}
		return in[0].Clone(), nil
	},
	weights: func(c *lcfg, in []Shape) ([]WeightSpec, error) {
		var p Shape
		if in[0] != nil {
			var err error
			if p, err = c.bnParams(in[0]); err != nil {
				return nil, err
			}
		}
		scale, err := c.boolean("scale", true)
		if err != nil {
			return nil, err
		}
		center, err := c.boolean("center", true)
		if err != nil {
			return nil, err
		}
		renorm, err := c.boolean("renorm", false)
		if err != nil {
			return nil, err
		}
		var ws []WeightSpec
		add := func(name string, trainable bool) {
			ws = append(ws, WeightSpec{Name: name, Shape: p.Clone(), Trainable: trainable})
		}
		if scale {
			add("gamma", true)
		}
		if center {
			add("beta", true)
		}
		add("moving_mean", false)
		add("moving_variance", false)
		if renorm {
			add("moving_stddev", false)
			add("renorm_mean", false)
			add("renorm_stddev", false)
		}
		return ws, nil
	},
}

func (c *lcfg) layerNormParams(s Shape) (Shape, error) {
	if err := c.minRank(s, 1); err != nil {
		return nil, err
	}
	axes, err := c.axes("axis", -1, len(s))
	if err != nil {
		return nil, err
	}
	if len(axes) == 0 {
		return nil, c.errf("axis must not be empty")
	}
	dims, err := c.axisDims(s, axes)
	if err != nil {
		return nil, err
	}
	return Shape(dims), nil
}

var layerNormLayer = &layerKind{
	nIn: 1,
	infer: func(c *lcfg, in []Shape) (Shape, error) {
		if _, err := c.layerNormParams(in[0]); err != nil {
			return nil, err
		}
		return in[0].Clone(), nil
	},
	weights: func(c *lcfg, in []Shape) ([]WeightSpec, error) {
		var p Shape
		if in[0] != nil {
			var err error
			if p, err = c.layerNormParams(in[0]); err != nil {
				return nil, err
			}
		}
		scale, err := c.boolean("scale", true)
		if err != nil {
			return nil, err
		}
		center, err := c.boolean("center", true)
		if err != nil {
			return nil, err
		}
		rms, err := c.boolean("rms_scaling", false)
		if err != nil {
			return nil, err
		}
		var ws []WeightSpec
		if scale || rms {
			ws = append(ws, WeightSpec{Name: "gamma", Shape: p.Clone(), Trainable: true})
		}
		if center && !rms {
			ws = append(ws, WeightSpec{Name: "beta", Shape: p.Clone(), Trainable: true})
		}
		return ws, nil
	},
}

func (c *lcfg) groupNormChannels(s Shape) (int, error) {
	if err := c.minRank(s, 2); err != nil {
		return 0, err
	}
	a, err := c.integer("axis", -1)
	if err != nil {
		return 0, err
	}
	if a, err = c.axis(a, len(s)); err != nil {
		return 0, err
	}
	ch, err := c.known(s[a], "normalized axis", s)
	if err != nil {
		return 0, err
	}
	groups, err := c.integer("groups", 32)
	if err != nil {
		return 0, err
	}
	if groups == -1 {
		groups = ch
	}
	switch {
	case groups <= 0:
		return 0, c.errf("groups must be positive, got %d", groups)
	case groups > ch:
		return 0, c.errf("groups (%d) cannot be more than the number of channels (%d)", groups, ch)
	case ch%groups != 0:
		return 0, c.errf("channels (%d) must be a multiple of groups (%d)", ch, groups)
	}
	return ch, nil
}

var groupNormLayer = &layerKind{
	nIn: 1,
	infer: func(c *lcfg, in []Shape) (Shape, error) {
		if _, err := c.groupNormChannels(in[0]); err != nil {
			return nil, err
		}
		return in[0].Clone(), nil
	},
	weights: func(c *lcfg, in []Shape) ([]WeightSpec, error) {
		var p Shape
		if in[0] != nil {
			ch, err := c.groupNormChannels(in[0])
			if err != nil {
				return nil, err
			}
			p = Shape{ch}
		}
		scale, err := c.boolean("scale", true)
		if err != nil {
			return nil, err
		}
		center, err := c.boolean("center", true)
		if err != nil {
			return nil, err
		}
		var ws []WeightSpec
		if scale {
			ws = append(ws, WeightSpec{Name: "gamma", Shape: p.Clone(), Trainable: true})
		}
		if center {
			ws = append(ws, WeightSpec{Name: "beta", Shape: p.Clone(), Trainable: true})
		}
		return ws, nil
	},
}

// normalizationShape is the shape of Normalization's mean and variance:
// the input's sizes at the kept axes, in axis order. null axis keeps none.
func (c *lcfg) normalizationShape(s Shape) (Shape, error) {
	var axes []int
	if v := c.o.Get("axis"); v == nil || !v.IsNull() {
		var err error
		if axes, err = c.axes("axis", -1, len(s)); err != nil {
			return nil, err
		}
	}
	sort.Ints(axes)
	dims, err := c.axisDims(s, axes)
	if err != nil {
		return nil, err
	}
	return Shape(dims), nil
}

var normalizationLayer = &layerKind{
	nIn: 1,
	infer: func(c *lcfg, in []Shape) (Shape, error) {
		if _, err := c.normalizationShape(in[0]); err != nil {
			return nil, err
		}
		return in[0].Clone(), nil
	},
	weights: func(c *lcfg, in []Shape) ([]WeightSpec, error) {
		if !c.o.Get("mean").IsNull() {
			return nil, nil // constants from the config, no weights
		}
		var p Shape
		if in[0] != nil {
			var err error
			if p, err = c.normalizationShape(in[0]); err != nil {
				return nil, err
			}
		} else if v := c.o.Get("axis"); v != nil && (v.IsNull() || (v.Kind == jsonx.Array && len(v.Elems) == 0)) {
			p = Shape{}
		}
		return []WeightSpec{
			{Name: "mean", Shape: p.Clone()},
			{Name: "variance", Shape: p.Clone()},
			{Name: "count", Shape: Shape{}},
		}, nil
	},
}

// mergeCheck applies Keras's elementwise merge rule to the non-batch
// shapes (aligned right, 1 broadcasts, None matches anything) and returns
// Keras 3's result: None wherever either side is None.
func (c *lcfg) mergeCheck(in []Shape) (Shape, error) {
	out := in[0][1:].Clone()
	for _, s := range in[1:] {
		b := s[1:]
		if len(out) < len(b) {
			out, b = b.Clone(), out
		}
		off := len(out) - len(b)
		for i, j := range b {
			o := out[off+i]
			switch {
			case o == None || j == None:
				out[off+i] = None
			case o == 1:
				out[off+i] = j
			case j == 1 || o == j:
			default:
				return nil, c.errf("inputs have incompatible shapes %s and %s", in[0], s)
			}
		}
	}
	batch := None
	for _, s := range in {
		switch {
		case s[0] == None:
		case batch == None:
			batch = s[0]
		case batch != s[0]:
			batch = -2 // two different batch sizes: Keras leaves it None
		}
	}
	if batch == -2 {
		batch = None
	}
	return append(Shape{batch}, out...), nil
}

// broadcast is NumPy/TensorFlow broadcasting of full shapes, None included:
// None against 1 stays None, None against n > 1 gives n.
func (c *lcfg) broadcast(in []Shape) (Shape, error) {
	out := in[0].Clone()
	for _, s := range in[1:] {
		b := s
		if len(out) < len(b) {
			out, b = b.Clone(), out
		}
		off := len(out) - len(b)
		for i, j := range b {
			o := out[off+i]
			switch {
			case o == 1:
				out[off+i] = j
			case j == 1 || o == j:
			case o == None:
				out[off+i] = j
			case j == None:
			default:
				return nil, c.errf("inputs have incompatible shapes %s and %s", in[0], s)
			}
		}
	}
	return out, nil
}

func (c *lcfg) minRankAll(in []Shape, n int) error {
	for _, s := range in {
		if err := c.minRank(s, n); err != nil {
			return err
		}
	}
	return nil
}

func mergeLayer(nIn int) *layerKind {
	return &layerKind{nIn: nIn, infer: func(c *lcfg, in []Shape) (Shape, error) {
		if err := c.minRankAll(in, 1); err != nil {
			return nil, err
		}
		out, err := c.mergeCheck(in)
		if err != nil || c.d == Keras3 {
			return out, err
		}
		// tf-keras runs the TensorFlow op, which broadcasts the full shapes.
		return c.broadcast(in)
	}}
}

var concatenateLayer = &layerKind{nIn: -1, infer: func(c *lcfg, in []Shape) (Shape, error) {
	rank := len(in[0])
	for _, s := range in {
		if len(s) != rank {
			return nil, c.errf("inputs must have the same rank, got %s and %s", in[0], s)
		}
	}
	if rank == 0 {
		return nil, c.errf("cannot concatenate scalars")
	}
	a, err := c.integer("axis", -1)
	if err != nil {
		return nil, err
	}
	if a, err = c.axis(a, rank); err != nil {
		return nil, err
	}
	out := in[0].Clone()
	for i := 0; i < rank; i++ {
		if i == a {
			continue
		}
		known := None
		for _, s := range in {
			switch {
			case s[i] == None:
			case known == None:
				known = s[i]
			case known != s[i]:
				return nil, c.errf("inputs must match except on the concatenation axis, got %s and %s", in[0], s)
			}
		}
		if c.d == Keras2 { // TensorFlow's concat fills in sizes known from any input
			out[i] = known
		}
	}
	for _, s := range in[1:] {
		if out[a] == None || s[a] == None {
			out[a] = None
			break
		}
		if out[a], err = c.add(out[a], s[a]); err != nil {
			return nil, err
		}
	}
	return out, nil
}}

var dotLayer = &layerKind{nIn: 2, infer: func(c *lcfg, in []Shape) (Shape, error) {
	s1, s2 := in[0], in[1]
	if err := c.minRankAll(in, 2); err != nil {
		return nil, err
	}
	ax, ok, err := c.ints("axes")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, c.badf("config %q is missing", "axes")
	}
	if len(ax) == 1 {
		ax = []int{ax[0], ax[0]}
	}
	if len(ax) != 2 {
		return nil, c.errf("axes must have 1 or 2 values, got %s", tupleString(ax))
	}
	a1, err := c.axis(ax[0], len(s1))
	if err != nil {
		return nil, err
	}
	a2, err := c.axis(ax[1], len(s2))
	if err != nil {
		return nil, err
	}
	if a1 == 0 || a2 == 0 {
		return nil, c.errf("cannot take the dot product over the batch axis")
	}
	if s1[a1] != None && s2[a2] != None && s1[a1] != s2[a2] {
		return nil, c.errf("axis sizes differ: %d (axis %d of %s) and %d (axis %d of %s)", s1[a1], a1, s1, s2[a2], a2, s2)
	}
	out := append(Shape{}, s1[:a1]...)
	out = append(out, s1[a1+1:]...)
	for i, d := range s2 {
		if i != 0 && i != a2 {
			out = append(out, d)
		}
	}
	if len(out) == 1 {
		out = append(out, 1)
	}
	return out, nil
}}

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

// broadcastLayer computes an elementwise op on all inputs (CustomScaleLayer, TFOpLambda).
func broadcastLayer(nIn int) *layerKind {
	return &layerKind{nIn: nIn, infer: func(c *lcfg, in []Shape) (Shape, error) {
		return c.broadcast(in)
	}}
}

// tfElementwise are the TensorFlow functions a tf-keras TFOpLambda may wrap
// whose output is the broadcast of their tensor inputs.
var tfElementwise = map[string]bool{}

func init() {
	for _, f := range []string{
		"__operators__.add", "__operators__.radd", "__operators__.sub", "__operators__.rsub",
		"__operators__.mul", "__operators__.rmul", "__operators__.truediv", "__operators__.rtruediv",
		"__operators__.neg", "__operators__.pow", "__operators__.rpow",
		"math.add", "math.add_n", "math.subtract", "math.multiply", "math.multiply_no_nan",
		"math.divide", "math.truediv", "math.divide_no_nan", "math.floordiv", "math.maximum",
		"math.minimum", "math.pow", "math.squared_difference", "math.negative", "math.abs",
		"math.exp", "math.log", "math.sqrt", "math.rsqrt", "math.square", "math.reciprocal",
		"math.sigmoid", "math.tanh", "math.erf", "math.round", "math.floor", "math.ceil",
		"math.sign", "math.softplus", "nn.relu", "nn.relu6", "nn.elu", "nn.selu", "nn.gelu",
		"nn.silu", "nn.swish", "nn.sigmoid", "nn.tanh", "nn.softplus", "nn.leaky_relu",
		"nn.softmax", "identity", "cast", "clip_by_value",
	} {
		tfElementwise[f] = true
	}
}

var tfOpLayer = &layerKind{nIn: -1, infer: func(c *lcfg, in []Shape) (Shape, error) {
	f, err := c.str("function", "")
	if err != nil {
		return nil, err
	}
	if !tfElementwise[f] {
		return nil, c.badf("TensorFlow function %q is not supported", f)
	}
	return c.broadcast(in)
}}

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
	register(batchNormLayer, "BatchNormalization")
	register(layerNormLayer, "LayerNormalization")
	register(groupNormLayer, "GroupNormalization")
	register(normalizationLayer, "Normalization")
	register(mergeLayer(-1), "Add", "Multiply", "Average", "Maximum", "Minimum")
	register(mergeLayer(2), "Subtract")
	register(concatenateLayer, "Concatenate")
	register(dotLayer, "Dot")
	register(imageSizeLayer, "CenterCrop", "Resizing")
	register(layerScaleLayer, "LayerScale")
	register(broadcastLayer(2), "CustomScaleLayer", "Custom>CustomScaleLayer")
	register(tfOpLayer, "TFOpLambda")
}
