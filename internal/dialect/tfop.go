package dialect

import (
	"fmt"
	"math"
	"slices"

	"github.com/modelsurg/modelsurg/internal/jsonx"
	"github.com/modelsurg/modelsurg/internal/model"
)

// rewriteTFOp rewrites a tf-keras TFOpLambda call (layer l of m) into the
// built-in layer that computes exactly what the TensorFlow op computes:
// x + c, x - c, c - x, x * c and x / 2^k into Rescaling (x * scale +
// offset, where one of the two is the identity), two-tensor add, subtract,
// multiply, maximum, minimum into the merge layers, relu6 and relu into
// ReLU, concat into Concatenate, reshape into Reshape, a transpose that
// keeps the batch axis into Permute, expand_dims and squeeze of a
// non-batch axis of a tensor of known shape into Reshape. Anything else is
// refused.
func rewriteTFOp(m *model.Model, l *model.Layer, s *model.Shapes) (string, error) {
	fn, _ := l.Config.String("function")
	refuse := func(why string) (string, error) {
		return "", fmt.Errorf("a TensorFlow op layer (tf.%s), which Keras 3 does not have: %s", fn, why)
	}
	if len(l.Nodes) != 1 {
		return refuse(fmt.Sprintf("called %d times", len(l.Nodes)))
	}
	n := l.Nodes[0]
	op := tfOp{fn: fn, n: n}
	if s != nil {
		if in := s.Inputs(model.NodeID{Layer: l, Node: 0}); len(in) > 0 {
			op.in, op.ins = in[0], in
		}
	}
	if err := op.read(); err != nil {
		return refuse(err.Error())
	}
	if chain := chainOps[fn]; chain != nil {
		steps, err := chain(&op)
		if err != nil {
			return refuse(err.Error())
		}
		if len(steps) > 1 && m.IsSequential() {
			return refuse("it needs several layers, which a Sequential model cannot hold in its place")
		}
		class := l.Class
		return describeChain(class, fn, steps, applyChain(m, l, steps, n.In)), nil
	}
	class, cfg, ins, err := op.layer()
	if err != nil {
		return refuse(err.Error())
	}
	base := jsonx.NewObject().Obj
	base.Set("name", jsonx.Str(l.Name))
	base.Set("trainable", jsonx.BoolV(true))
	if d := l.Config.Get("dtype"); d != nil {
		base.Set("dtype", d)
	}
	for i, k := range cfg.Keys {
		base.Set(k, cfg.Vals[i])
	}
	l.Become(class, base)
	m.Recall(l, 0, ins, nil)
	return fmt.Sprintf("rewrote TFOpLambda tf.%s as %s", fn, class), nil
}

// tfOp is a TFOpLambda call as modelsurg reads it.
type tfOp struct {
	fn string
	n  *model.Node
	// in is the shape of the first tensor, nil when unknown; ins are all
	// the call's tensors' shapes (nil when unknown).
	in  model.Shape
	ins []model.Shape
	// x and y are the operands: a tensor (index into n.In) or a constant.
	xT, yT int
	xC, yC *float64
	kw     *jsonx.Obj // the other keyword arguments
}

func (o *tfOp) read() error {
	o.xT, o.yT = -1, -1
	o.kw = jsonx.NewObject().Obj
	in := 0
	if c, ok := o.n.FirstConstant(); ok {
		f, ok := number(c)
		if !ok {
			return fmt.Errorf("its first operand is a constant that is not a number")
		}
		o.xC = &f
	} else {
		o.xT, in = 0, 1
	}
	if o.n.Kwargs == nil {
		return nil
	}
	for i, k := range o.n.Kwargs.Keys {
		v := o.n.Kwargs.Vals[i]
		switch {
		case k == "name" && (v.IsNull() || v.Kind == jsonx.String):
		case k == "y" && v.Kind == jsonx.Array:
			if in >= len(o.n.In) {
				return fmt.Errorf("malformed call")
			}
			o.yT, in = in, in+1
		case k == "y":
			f, ok := number(v)
			if !ok {
				return fmt.Errorf("y is not a number or a tensor")
			}
			o.yC = &f
		default:
			o.kw.Set(k, v)
		}
	}
	return nil
}

func number(v *jsonx.Value) (float64, bool) {
	if v.Kind != jsonx.Number {
		return 0, false
	}
	f, ok := v.Float64()
	return f, ok && !math.IsNaN(f) && !math.IsInf(f, 0)
}

// layer is the built-in layer for the op: its class, its own config keys,
// and the tensors its call takes.
func (o *tfOp) layer() (string, *jsonx.Obj, []model.Tensor, error) {
	cfg := jsonx.NewObject().Obj
	in := o.n.In
	rescale := func(scale, offset float64) (string, *jsonx.Obj, []model.Tensor, error) {
		cfg.Set("scale", jsonx.Float(scale))
		cfg.Set("offset", jsonx.Float(offset))
		return "Rescaling", cfg, in[:1], nil
	}
	merge := map[string]string{"__operators__.add": "Add", "math.add": "Add", "math.subtract": "Subtract", "__operators__.sub": "Subtract",
		"math.multiply": "Multiply", "__operators__.mul": "Multiply", "math.maximum": "Maximum", "math.minimum": "Minimum"}
	switch o.fn {
	case "concat":
		return o.concat(cfg)
	case "reshape":
		return o.reshape(cfg)
	case "compat.v1.transpose", "transpose":
		return o.transpose(cfg)
	case "expand_dims", "compat.v1.squeeze", "squeeze":
		return o.axisReshape(cfg)
	}
	if o.kw.Len() > 0 {
		return "", nil, nil, fmt.Errorf("no built-in Keras 3 layer computes it exactly (keyword arguments %v)", o.kw.Keys)
	}
	if o.xT >= 0 && o.yT >= 0 && merge[o.fn] != "" {
		return merge[o.fn], cfg, []model.Tensor{in[o.xT], in[o.yT]}, nil
	}
	constant := (o.xC != nil) != (o.yC != nil) && len(in) == 1
	c := 0.0
	if o.xC != nil {
		c = *o.xC
	} else if o.yC != nil {
		c = *o.yC
	}
	switch o.fn {
	case "__operators__.add", "math.add":
		if constant {
			return rescale(1, c)
		}
	case "math.subtract", "__operators__.sub":
		if constant && o.yC != nil {
			return rescale(1, -c)
		}
		if constant {
			return rescale(-1, c) // c - x: negation is exact
		}
	case "math.multiply", "__operators__.mul":
		if constant {
			return rescale(c, 0)
		}
	case "math.truediv", "__operators__.truediv":
		if constant && o.yC != nil && c != 0 {
			if _, e := math.Frexp(c); math.Ldexp(0.5, e) == math.Abs(c) {
				return rescale(1/c, 0) // dividing by a power of two is multiplying by its inverse, exactly
			}
		}
	case "nn.relu6":
		if len(in) == 1 && o.xT == 0 {
			cfg.Set("max_value", jsonx.Float(6))
			return "ReLU", cfg, in, nil
		}
	case "nn.relu":
		if len(in) == 1 && o.xT == 0 {
			return "ReLU", cfg, in, nil
		}
	}
	return "", nil, nil, fmt.Errorf("no built-in Keras 3 layer computes it exactly")
}

func (o *tfOp) concat(cfg *jsonx.Obj) (string, *jsonx.Obj, []model.Tensor, error) {
	axis, ok := o.kw.Get("axis").Int()
	if o.kw.Len() != 1 || !ok || o.xT != 0 {
		return "", nil, nil, fmt.Errorf("a concat modelsurg cannot read")
	}
	cfg.Set("axis", jsonx.Int(axis))
	return "Concatenate", cfg, o.n.In, nil
}

func (o *tfOp) reshape(cfg *jsonx.Obj) (string, *jsonx.Obj, []model.Tensor, error) {
	sv := o.kw.Get("shape")
	if o.kw.Len() != 1 || sv == nil || sv.Kind != jsonx.Array || len(sv.Elems) < 1 || len(o.n.In) != 1 {
		return "", nil, nil, fmt.Errorf("a reshape modelsurg cannot read")
	}
	if b, ok := sv.Elems[0].Int(); !ok || b != -1 {
		return "", nil, nil, fmt.Errorf("a reshape of the batch axis")
	}
	cfg.Set("target_shape", jsonx.Arr(sv.Elems[1:]...))
	return "Reshape", cfg, o.n.In, nil
}

func (o *tfOp) transpose(cfg *jsonx.Obj) (string, *jsonx.Obj, []model.Tensor, error) {
	pv := o.kw.Get("perm")
	for i, k := range o.kw.Keys {
		v := o.kw.Vals[i]
		if k != "perm" && !(k == "conjugate" && v.Kind == jsonx.Bool && !v.B) && !(k == "name" && (v.Kind == jsonx.String || v.IsNull())) {
			return "", nil, nil, fmt.Errorf("a transpose with %s", k)
		}
	}
	if pv == nil || pv.Kind != jsonx.Array || len(pv.Elems) < 2 || len(o.n.In) != 1 {
		return "", nil, nil, fmt.Errorf("a transpose without its perm")
	}
	if b, ok := pv.Elems[0].Int(); !ok || b != 0 {
		return "", nil, nil, fmt.Errorf("a transpose that moves the batch axis")
	}
	cfg.Set("dims", jsonx.Arr(pv.Elems[1:]...))
	return "Permute", cfg, o.n.In, nil
}

// axisReshape is expand_dims or squeeze of one axis, as a Reshape to the
// known result (the batch axis stays).
func (o *tfOp) axisReshape(cfg *jsonx.Obj) (string, *jsonx.Obj, []model.Tensor, error) {
	axis, ok := o.kw.Get("axis").Int()
	for i, k := range o.kw.Keys {
		if k != "axis" && !(k == "name" && (o.kw.Vals[i].IsNull() || o.kw.Vals[i].Kind == jsonx.String)) {
			return "", nil, nil, fmt.Errorf("keyword argument %s", k)
		}
	}
	if !ok || len(o.n.In) != 1 || o.in == nil {
		return "", nil, nil, fmt.Errorf("its axis or its input's shape is unknown")
	}
	shape := append(model.Shape(nil), o.in...)
	rank := int64(len(shape))
	if o.fn == "expand_dims" {
		if axis < 0 {
			axis += rank + 1
		}
		if axis < 1 || axis > rank {
			return "", nil, nil, fmt.Errorf("axis %d", axis)
		}
		shape = append(shape[:axis], append(model.Shape{1}, shape[axis:]...)...)
	} else {
		if axis < 0 {
			axis += rank
		}
		if axis < 1 || axis >= rank || shape[axis] != 1 {
			return "", nil, nil, fmt.Errorf("a squeeze of axis %d", axis)
		}
		shape = append(shape[:axis], shape[axis+1:]...)
	}
	if slices.Contains(shape[1:], model.None) {
		return "", nil, nil, fmt.Errorf("its input's shape is not known in full")
	}
	cfg.Set("target_shape", intsJSON(shape[1:]))
	return "Reshape", cfg, o.n.In, nil
}
