package model

import (
	"strings"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// SlicingOpLambda (x[...] in tf-keras), Lambda, and the keras.ops
// operations Keras 3 saves in a Functional model.

var slicingOpLayer = &layerKind{nIn: -1, infer: func(c *lcfg, in []Shape) (Shape, error) {
	spec := c.kwValue("slice_spec")
	if spec == nil {
		return nil, c.badf("no slice_spec in the call")
	}
	items := []*jsonx.Value{spec}
	if spec.Kind == jsonx.Array {
		items = spec.Elems
	}
	return c.slice(in[0], items)
}}

// slice applies a Python index (slices, integers, None, Ellipsis) to s.
func (c *lcfg) slice(s Shape, items []*jsonx.Value) (Shape, error) {
	used, ellipsis := 0, false
	for _, it := range items {
		switch {
		case it.Kind == jsonx.Null:
		case isEllipsis(it):
			if ellipsis {
				return nil, c.errf("an index can only have a single ellipsis")
			}
			ellipsis = true
		default:
			used++
		}
	}
	if used > len(s) {
		return nil, c.errf("too many indices for input %s", s)
	}
	out, dim := Shape{}, 0
	for _, it := range items {
		switch {
		case it.Kind == jsonx.Null:
			out = append(out, 1)
		case isEllipsis(it):
			n := len(s) - used
			out = append(out, s[dim:dim+n]...)
			dim += n
		case it.Kind == jsonx.Number:
			i, err := c.number("slice_spec", it)
			if err != nil {
				return nil, err
			}
			if d := s[dim]; d != None && (i >= d || i < -d) {
				return nil, c.errf("index %d is out of range for axis %d of %s", i, dim, s)
			}
			dim++
		case it.Kind == jsonx.Object:
			n, err := c.sliceLen(it.Obj, s[dim])
			if err != nil {
				return nil, err
			}
			out = append(out, n)
			dim++
		default:
			return nil, c.badf("slice_spec entry %s is not supported", jsonx.Marshal(it))
		}
	}
	return append(out, s[dim:]...), nil
}

func isEllipsis(v *jsonx.Value) bool {
	if v.Kind != jsonx.Object {
		return false
	}
	cn, _ := v.Obj.String("class_name")
	return cn == "__ellipsis__"
}

// sliceLen is len(range(n)[start:stop:step]); None stays None.
func (c *lcfg) sliceLen(o *jsonx.Obj, n int) (int, error) {
	tmp := &lcfg{o: o, class: c.class, d: c.d}
	get := func(k string) (int, bool, error) {
		v := o.Get(k)
		if v.IsNull() {
			return 0, false, nil
		}
		if v.Kind != jsonx.Number {
			return 0, false, c.badf("slice %s %s is not a constant", k, jsonx.Marshal(v))
		}
		x, err := tmp.number(k, v)
		return x, true, err
	}
	start, hasStart, err := get("start")
	if err != nil {
		return 0, err
	}
	stop, hasStop, err := get("stop")
	if err != nil {
		return 0, err
	}
	step, hasStep, err := get("step")
	if err != nil {
		return 0, err
	}
	if !hasStep {
		step = 1
	}
	if step == 0 {
		return 0, c.errf("slice step cannot be zero")
	}
	if n == None {
		return None, nil
	}
	// Python's slice.indices.
	clamp := func(x int, has bool, def, lo, hi int) int {
		if !has {
			return def
		}
		if x < 0 {
			x += n
		}
		return max(lo, min(x, hi))
	}
	var count int
	if step > 0 {
		b, e := clamp(start, hasStart, 0, 0, n), clamp(stop, hasStop, n, 0, n)
		if e > b {
			count = (e - b + step - 1) / step
		}
	} else {
		b, e := clamp(start, hasStart, n-1, -1, n-1), clamp(stop, hasStop, -1, -1, n-1)
		if hasStop && stop < 0 && stop+n < 0 {
			e = -1
		}
		if b > e {
			count = (b - e - step - 1) / -step
		}
	}
	return count, nil
}

// lambdaLayer knows a Lambda's shape only from a list output_shape in its
// config (never by running its code): the first input's batch size, then
// output_shape.
var lambdaLayer = &layerKind{nIn: -1, infer: func(c *lcfg, in []Shape) (Shape, error) {
	v, err := c.lambdaShape()
	if err != nil {
		return nil, err
	}
	out := Shape{}
	if len(in[0]) > 0 {
		out = Shape{in[0][0]}
	}
	for _, e := range v.Elems {
		if e.IsNull() {
			out = append(out, None)
			continue
		}
		n, err := c.number("output_shape", e)
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, c.errf("output_shape %s has a negative dimension", jsonx.Marshal(v))
		}
		out = append(out, n)
	}
	return out, nil
}, weights: func(c *lcfg, _ []Shape) ([]WeightSpec, error) {
	// A Lambda's code may hold variables: its weights are only known
	// (none) when its shape is.
	_, err := c.lambdaShape()
	return nil, err
}}

// lambdaShape is a Lambda's output_shape when it is a list.
func (c *lcfg) lambdaShape() (*jsonx.Value, error) {
	if t, _ := c.str("output_shape_type", "raw"); t != "raw" {
		return nil, c.badf("output_shape is a function")
	}
	v := c.o.Get("output_shape")
	if v.IsNull() || v.Kind != jsonx.Array {
		return nil, c.badf("no output_shape in config")
	}
	return v, nil
}

// opKind is a Keras 3 keras.ops operation: its config holds the op's
// arguments (axis, newshape...); the node passes the tensors.
func opKind(f func(c *lcfg, in []Shape) (Shape, error)) *layerKind {
	return &layerKind{nIn: -1, infer: f}
}

func sameAsFirst(c *lcfg, in []Shape) (Shape, error) { return in[0].Clone(), nil }

func init() {
	register(slicingOpLayer, "SlicingOpLambda")
	register(lambdaLayer, "Lambda")
	bcast := opKind(func(c *lcfg, in []Shape) (Shape, error) { return c.broadcast(in) })
	register(bcast, strings.Fields(`Divide TrueDivide FloorDivide Power Mod Where Greater Less
		Equal NotEqual GreaterEqual LessEqual LogicalAnd LogicalOr`)...)
	register(opKind(sameAsFirst), strings.Fields(`Relu Relu6 Sigmoid Tanh Gelu Silu Elu Selu
		Softplus LogSoftmax HardSigmoid Exp Log Sqrt Rsqrt Abs Square Negative Cast Round Floor
		Ceil Sign Erf Clip Absolute Reciprocal`)...)
	register(opKind(func(c *lcfg, in []Shape) (Shape, error) {
		perm, ok, err := c.ints("axes")
		if err != nil {
			return nil, err
		}
		return c.permute(in[0], perm, ok)
	}), "Transpose")
	reduce := opKind(func(c *lcfg, in []Shape) (Shape, error) {
		keep, err := c.boolean("keepdims", false)
		if err != nil {
			return nil, err
		}
		return c.reduce(in[0], c.o.Get("axis"), keep)
	})
	register(reduce, "Mean", "Sum", "Max", "Min", "Prod", "Any", "All", "Std", "Var", "Amax", "Amin")
	register(opKind(func(c *lcfg, in []Shape) (Shape, error) {
		return c.expandDims(in[0], c.o.Get("axis"))
	}), "ExpandDims")
	register(opKind(func(c *lcfg, in []Shape) (Shape, error) {
		return c.squeeze(in[0], c.o.Get("axis"))
	}), "Squeeze")
	register(opKind(func(c *lcfg, in []Shape) (Shape, error) {
		if len(in) != 2 {
			return nil, c.errf("expects 2 inputs, got %d", len(in))
		}
		return c.matmul(in[0], in[1], false, false)
	}), "Matmul")
}
