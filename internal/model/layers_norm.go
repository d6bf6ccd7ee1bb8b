package model

import (
	"sort"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// Normalization layers: their weights have the shape of the normalized axes.

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

func init() {
	register(batchNormLayer, "BatchNormalization")
	register(layerNormLayer, "LayerNormalization")
	register(groupNormLayer, "GroupNormalization")
	register(normalizationLayer, "Normalization")
}
