package model

import (
	"strings"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// TensorFlow functions tf-keras saves as TFOpLambda / SlicingOpLambda
// layers (config "function", arguments in the node's kwargs), the keras.ops
// operations Keras 3 saves as layers, and Lambda.

// tfElementwise are the TensorFlow functions whose output is the broadcast
// of their tensor (and constant) arguments.
var tfElementwise = map[string]bool{}

func init() {
	for _, f := range strings.Fields(`__operators__.add __operators__.radd __operators__.sub
		__operators__.rsub __operators__.mul __operators__.rmul __operators__.truediv
		__operators__.rtruediv __operators__.neg __operators__.pow __operators__.rpow
		__operators__.floordiv __operators__.mod math.add math.add_n math.subtract math.multiply
		math.multiply_no_nan math.divide math.truediv math.divide_no_nan math.floordiv math.maximum
		math.minimum math.pow math.squared_difference math.negative math.abs math.exp math.log
		math.sqrt math.rsqrt math.square math.reciprocal math.sigmoid math.tanh math.erf math.round
		math.floor math.ceil math.sign math.softplus math.l2_normalize math.log_sigmoid nn.relu
		nn.relu6 nn.elu nn.selu nn.gelu nn.silu nn.swish nn.sigmoid nn.tanh nn.softplus
		nn.leaky_relu nn.softmax nn.log_softmax nn.l2_normalize identity cast clip_by_value
		math.greater math.less math.equal math.not_equal math.greater_equal math.less_equal
		math.logical_and math.logical_or math.logical_not where ones_like zeros_like`) {
		tfElementwise[f] = true
	}
}

// tfFunctions are the other TensorFlow functions: fn gets every tensor of
// the call (positional first, then keyword ones in sorted key order).
var tfFunctions = map[string]func(c *lcfg, in []Shape) ([]Shape, error){
	"concat":    tfConcat,
	"stack":     tfStack,
	"reshape":   tfReshape,
	"transpose": tfTranspose,
	"expand_dims": func(c *lcfg, in []Shape) ([]Shape, error) {
		return c.one(c.expandDims(in[0], c.kwValue("axis")))
	},
	"squeeze": tfSqueeze,
	"matmul":  tfMatmul,
	"split":   tfSplit,
	"unstack": tfUnstack,
	"gather":  tfGather,
	"shape": func(c *lcfg, in []Shape) ([]Shape, error) {
		return []Shape{{len(in[0])}}, nil
	},
}

// tfName drops the module prefixes that do not change what a function
// computes: compat.v1.squeeze is squeeze, linalg.matmul is matmul.
func tfName(f string) string {
	f = strings.TrimPrefix(f, "compat.v1.")
	for _, p := range []string{"linalg.", "math.", "nn."} {
		f = strings.TrimPrefix(f, p)
	}
	return f
}

// ConstShape is the shape of a constant call argument (a number or nested lists).
func ConstShape(v *jsonx.Value) Shape {
	s := Shape{}
	for v != nil && v.Kind == jsonx.Array {
		s = append(s, len(v.Elems))
		if len(v.Elems) == 0 {
			break
		}
		v = v.Elems[0]
	}
	return s
}

func (c *lcfg) one(s Shape, err error) ([]Shape, error) {
	if err != nil {
		return nil, err
	}
	return []Shape{s}, nil
}

var tfOpLayer = &layerKind{
	nIn: -1,
	nOut: func(c *lcfg) (int, error) {
		f, err := c.str("function", "")
		if err != nil {
			return 0, err
		}
		switch tfName(f) {
		case "split":
			return c.splitCount()
		case "unstack":
			n, ok, err := c.valueInts("num", c.kwValue("num"))
			if err != nil || !ok || n[0] <= 0 || n[0] > 1024 {
				return 0, c.badf("unstack of an unknown input needs num")
			}
			return n[0], nil
		}
		return 1, nil
	},
	multi: func(c *lcfg, in []Shape) ([]Shape, error) {
		f, err := c.str("function", "")
		if err != nil {
			return nil, err
		}
		if tfElementwise[f] || tfElementwise[tfName(f)] {
			shapes := append([]Shape{}, in...)
			if c.kw != nil {
				for i, k := range c.kw.Keys {
					if v := c.kw.Vals[i]; v.Kind == jsonx.Array && !isTensorArg(v) && k != "name" && k != "axis" {
						shapes = append(shapes, ConstShape(v))
					}
				}
			}
			return c.one(c.broadcast(shapes))
		}
		name := tfName(f)
		if fn := tfFunctions[name]; fn != nil {
			return fn(c, in)
		}
		if strings.HasPrefix(name, "reduce_") {
			return c.one(c.reduce(in[0], c.kwValue("axis"), c.kwFlag("keepdims", "keep_dims")))
		}
		return nil, c.badf("TensorFlow function %q is not supported", f)
	},
}

// kwFlag reads the first present keyword argument of keys as a flag.
func (c *lcfg) kwFlag(keys ...string) bool {
	for _, k := range keys {
		if v := c.kwValue(k); v != nil {
			return truthy(v)
		}
	}
	return false
}

// kwInts reads an integer or a list of integers from v (nil: ok=false).
func (c *lcfg) valueInts(key string, v *jsonx.Value) ([]int, bool, error) {
	if v.IsNull() {
		return nil, false, nil
	}
	if isTensorArg(v) {
		return nil, false, c.badf("argument %q is a tensor", key)
	}
	tmp := &lcfg{o: &jsonx.Obj{Keys: []string{key}, Vals: []*jsonx.Value{v}}, class: c.class, d: c.d}
	return tmp.ints(key)
}

func tfConcat(c *lcfg, in []Shape) ([]Shape, error) {
	axis, ok, err := c.valueInts("axis", c.kwValue("axis"))
	if err != nil {
		return nil, err
	}
	if !ok || len(axis) != 1 {
		return nil, c.badf("concat needs an integer axis")
	}
	return c.one(c.concat(in, axis[0]))
}

func tfStack(c *lcfg, in []Shape) ([]Shape, error) {
	axis, ok, err := c.valueInts("axis", c.kwValue("axis"))
	if err != nil {
		return nil, err
	}
	a := 0
	if ok {
		a = axis[0]
	}
	s, err := c.broadcastEqual(in)
	if err != nil {
		return nil, err
	}
	if a, err = c.axis(a, len(s)+1); err != nil {
		return nil, err
	}
	out := append(s[:a].Clone(), len(in))
	return c.one(append(out, s[a:]...), nil)
}

// broadcastEqual checks that shapes are equal where known, and merges them.
func (c *lcfg) broadcastEqual(in []Shape) (Shape, error) {
	out := in[0].Clone()
	for _, s := range in[1:] {
		if len(s) != len(out) {
			return nil, c.errf("shapes %s and %s differ", in[0], s)
		}
		for i, d := range s {
			switch {
			case out[i] == None:
				out[i] = d
			case d != None && d != out[i]:
				return nil, c.errf("shapes %s and %s differ", in[0], s)
			}
		}
	}
	return out, nil
}

func tfReshape(c *lcfg, in []Shape) ([]Shape, error) {
	target, ok, err := c.valueInts("shape", c.kwValue("shape"))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, c.badf("reshape needs a constant shape")
	}
	return c.one(c.fullReshape(in[0], target))
}

// fullReshape is a reshape whose target includes the batch axis; -1 is
// inferred when every input size is known, else None.
func (c *lcfg) fullReshape(s Shape, target []int) (Shape, error) {
	out := make(Shape, len(target))
	unknownAt, known := -1, 1
	var err error
	for i, t := range target {
		switch {
		case t == -1 && unknownAt >= 0:
			return nil, c.errf("shape %s has more than one -1", tupleString(target))
		case t == -1:
			unknownAt = i
		case t < 0:
			return nil, c.errf("shape %s has a negative dimension", tupleString(target))
		default:
			if known, err = c.mul(known, t); err != nil {
				return nil, err
			}
		}
		out[i] = t
	}
	total := 1
	for _, d := range s {
		if d == None {
			if unknownAt >= 0 {
				out[unknownAt] = None
			}
			return out, nil
		}
		if total, err = c.mul(total, d); err != nil {
			return nil, err
		}
	}
	switch {
	case unknownAt >= 0 && (known == 0 || total%known != 0):
		return nil, c.errf("cannot reshape %s into %s", s, tupleString(target))
	case unknownAt >= 0:
		out[unknownAt] = total / known
	case total != known:
		return nil, c.errf("cannot reshape %s into %s", s, tupleString(target))
	}
	return out, nil
}

func tfTranspose(c *lcfg, in []Shape) ([]Shape, error) {
	perm, ok, err := c.valueInts("perm", c.kwValue("perm"))
	if err != nil {
		return nil, err
	}
	return c.one(c.permute(in[0], perm, ok))
}

// permute is numpy's transpose; no perm reverses the axes.
func (c *lcfg) permute(s Shape, perm []int, ok bool) (Shape, error) {
	if !ok {
		out := make(Shape, len(s))
		for i := range s {
			out[i] = s[len(s)-1-i]
		}
		return out, nil
	}
	if len(perm) != len(s) {
		return nil, c.errf("perm %s does not fit input %s", tupleString(perm), s)
	}
	out := make(Shape, len(s))
	seen := map[int]bool{}
	for i, p := range perm {
		a, err := c.axis(p, len(s))
		if err != nil {
			return nil, err
		}
		if seen[a] {
			return nil, c.errf("perm %s repeats an axis", tupleString(perm))
		}
		seen[a] = true
		out[i] = s[a]
	}
	return out, nil
}

func (c *lcfg) expandDims(s Shape, v *jsonx.Value) (Shape, error) {
	axis, ok, err := c.valueInts("axis", v)
	if err != nil {
		return nil, err
	}
	if !ok || len(axis) != 1 {
		return nil, c.badf("expand_dims needs an integer axis")
	}
	a, err := c.axis(axis[0], len(s)+1)
	if err != nil {
		return nil, err
	}
	out := append(s[:a].Clone(), 1)
	return append(out, s[a:]...), nil
}

func tfSqueeze(c *lcfg, in []Shape) ([]Shape, error) {
	v := c.kwValue("axis")
	if v.IsNull() {
		v = c.kwValue("squeeze_dims")
	}
	return c.one(c.squeeze(in[0], v))
}

// squeeze drops the given size-1 axes (all of them when v is null).
func (c *lcfg) squeeze(s Shape, v *jsonx.Value) (Shape, error) {
	axis, ok, err := c.valueInts("axis", v)
	if err != nil {
		return nil, err
	}
	drop := map[int]bool{}
	for _, a := range axis {
		if a, err = c.axis(a, len(s)); err != nil {
			return nil, err
		}
		if s[a] != 1 && s[a] != None {
			return nil, c.errf("cannot squeeze axis %d of size %d", a, s[a])
		}
		drop[a] = true
	}
	var out Shape = Shape{}
	for i, d := range s {
		if !ok && d == None {
			return nil, c.badf("squeeze without axis on an input with undefined sizes")
		}
		if drop[i] || (!ok && d == 1) {
			continue
		}
		out = append(out, d)
	}
	return out, nil
}

// reduce drops (or keeps as 1) the axes v names, all of them when null.
func (c *lcfg) reduce(s Shape, v *jsonx.Value, keep bool) (Shape, error) {
	axis, ok, err := c.valueInts("axis", v)
	if err != nil {
		return nil, err
	}
	red := map[int]bool{}
	for _, a := range axis {
		if a, err = c.axis(a, len(s)); err != nil {
			return nil, err
		}
		red[a] = true
	}
	out := Shape{}
	for i, d := range s {
		switch {
		case ok && !red[i]:
			out = append(out, d)
		case keep:
			out = append(out, 1)
		}
	}
	return out, nil
}

func tfMatmul(c *lcfg, in []Shape) ([]Shape, error) {
	args, err := c.callArgs(in, "a", "b")
	if err != nil {
		return nil, err
	}
	a, b := args["a"], args["b"]
	if a == nil || b == nil {
		return nil, c.badf("matmul needs two tensors")
	}
	return c.one(c.matmul(a, b, c.kwFlag("transpose_a", "adjoint_a"), c.kwFlag("transpose_b", "adjoint_b")))
}

// matmul multiplies the last two axes, broadcasting the others.
func (c *lcfg) matmul(a, b Shape, ta, tb bool) (Shape, error) {
	if err := c.minRankAll([]Shape{a, b}, 2); err != nil {
		return nil, err
	}
	m, k1 := a[len(a)-2], a[len(a)-1]
	if ta {
		m, k1 = k1, m
	}
	k2, n := b[len(b)-2], b[len(b)-1]
	if tb {
		k2, n = n, k2
	}
	if k1 != None && k2 != None && k1 != k2 {
		return nil, c.errf("cannot multiply %s by %s", a, b)
	}
	batch, err := c.broadcast([]Shape{a[:len(a)-2], b[:len(b)-2]})
	if err != nil {
		return nil, err
	}
	return append(batch, m, n), nil
}

func (c *lcfg) splitCount() (int, error) {
	v := c.kwValue("num_or_size_splits")
	if v != nil && v.Kind == jsonx.Array {
		return len(v.Elems), nil
	}
	n, ok, err := c.valueInts("num_or_size_splits", v)
	if err != nil {
		return 0, err
	}
	if !ok || n[0] <= 0 || n[0] > 1024 {
		return 0, c.badf("split needs a constant number of splits")
	}
	return n[0], nil
}

func tfSplit(c *lcfg, in []Shape) ([]Shape, error) {
	s := in[0]
	axis, ok, err := c.valueInts("axis", c.kwValue("axis"))
	if err != nil {
		return nil, err
	}
	a := 0
	if ok {
		a = axis[0]
	}
	if a, err = c.axis(a, len(s)); err != nil {
		return nil, err
	}
	var sizes []int
	if v := c.kwValue("num_or_size_splits"); v != nil && v.Kind == jsonx.Array {
		if sizes, _, err = c.valueInts("num_or_size_splits", v); err != nil {
			return nil, err
		}
	} else {
		n, err := c.splitCount()
		if err != nil {
			return nil, err
		}
		if s[a] != None && s[a]%n != 0 {
			return nil, c.errf("axis %d of size %d does not split into %d", a, s[a], n)
		}
		for i := 0; i < n; i++ {
			sizes = append(sizes, s[a]/n)
			if s[a] == None {
				sizes[i] = None
			}
		}
	}
	outs := make([]Shape, len(sizes))
	for i, n := range sizes {
		outs[i] = s.Clone()
		outs[i][a] = n
	}
	return outs, nil
}

func init() {
	register(tfOpLayer, "TFOpLambda")
}

// tfUnstack splits along axis (default 0) into one tensor per entry.
func tfUnstack(c *lcfg, in []Shape) ([]Shape, error) {
	s := in[0]
	axis, ok, err := c.valueInts("axis", c.kwValue("axis"))
	if err != nil {
		return nil, err
	}
	a := 0
	if ok {
		a = axis[0]
	}
	if a, err = c.axis(a, len(s)); err != nil {
		return nil, err
	}
	n := s[a]
	if num, ok, _ := c.valueInts("num", c.kwValue("num")); ok {
		n = num[0]
	}
	if n == None || n <= 0 || n > 1024 {
		return nil, c.badf("unstack needs a known axis size")
	}
	rest := append(s[:a].Clone(), s[a+1:]...)
	outs := make([]Shape, n)
	for i := range outs {
		outs[i] = rest.Clone()
	}
	return outs, nil
}

// tfGather takes constant indices along axis (batch_dims 0).
func tfGather(c *lcfg, in []Shape) ([]Shape, error) {
	idx := c.kwValue("indices")
	if idx == nil || isTensorArg(idx) || truthy(c.kwValue("batch_dims")) {
		return nil, c.badf("gather needs constant indices and batch_dims 0")
	}
	s := in[0]
	axis, ok, err := c.valueInts("axis", c.kwValue("axis"))
	if err != nil {
		return nil, err
	}
	a := 0
	if ok {
		a = axis[0]
	}
	if a, err = c.axis(a, len(s)); err != nil {
		return nil, err
	}
	out := append(s[:a].Clone(), ConstShape(idx)...)
	return c.one(append(out, s[a+1:]...), nil)
}
