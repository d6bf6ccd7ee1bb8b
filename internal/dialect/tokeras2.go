package dialect

import (
	"fmt"

	"github.com/modelsurg/modelsurg/internal/jsonx"
	"github.com/modelsurg/modelsurg/internal/model"
)

// keras3Lambda writes a Keras 3 Lambda config in tf-keras's form
// (measured: tf_keras 2.21.0 writes function, function_type, module,
// output_shape, output_shape_type, output_shape_module, arguments; Keras
// 3.15.1 writes the function as {"class_name": "__lambda__", "config":
// {code, defaults, closure}}). Both hold the same marshalled bytecode:
// tf-keras reads [code, defaults, closure] with function_type "lambda".
// Keras 3 writes no module: module is null, so tf-keras resolves the
// function's global names in its own Lambda module (Keras 3 in its
// python_utils). A named function, a mask or arguments that are Keras 3
// serialized objects are refused.
func keras3Lambda(l *model.Layer) (string, error) {
	c := l.Config
	fn, fnType, err := lambdaFunction(c.Get("function"), false)
	if err != nil {
		return "", fmt.Errorf("function: %w", err)
	}
	shape, shapeType, err := lambdaFunction(c.Get("output_shape"), true)
	if err != nil {
		return "", fmt.Errorf("output_shape: %w", err)
	}
	if a := c.Get("arguments"); a != nil && serialized(a, 0) {
		return "", fmt.Errorf("arguments hold Keras 3 serialized objects, which tf-keras's Lambda does not read")
	}
	out := jsonx.NewObject().Obj
	set := func(k string, v *jsonx.Value) { out.Set(k, v) }
	for i, k := range c.Keys {
		switch k {
		case "function":
			set("function", fn)
			set("function_type", jsonx.Str(fnType))
			set("module", jsonx.NullV())
			set("output_shape", shape)
			set("output_shape_type", jsonx.Str(shapeType))
			set("output_shape_module", jsonx.NullV())
		case "output_shape":
		case "mask":
			if c.Get("mask").IsNull() {
				continue
			}
			m, mt, err := lambdaFunction(c.Get("mask"), false)
			if err != nil {
				return "", fmt.Errorf("mask: %w", err)
			}
			set("mask", m)
			set("mask_type", jsonx.Str(mt))
			set("mask_module", jsonx.NullV())
		default:
			set(k, c.Vals[i])
		}
	}
	l.Become(l.Class, out)
	return "wrote Keras 3 Lambda functions in tf-keras's form (function_type lambda, the same bytecode)", nil
}

// lambdaFunction is a Keras 3 Lambda function value in tf-keras's form
// and its type: a __lambda__ object gives [code, defaults, closure] and
// "lambda"; with raw allowed (output_shape), null or a shape list is kept
// as "raw".
func lambdaFunction(v *jsonx.Value, raw bool) (*jsonx.Value, string, error) {
	if raw && (v.IsNull() || (v.Kind == jsonx.Array && !serialized(v, 0))) {
		if v == nil {
			v = jsonx.NullV()
		}
		return v, "raw", nil
	}
	if v == nil || v.Kind != jsonx.Object {
		return nil, "", fmt.Errorf("a form modelsurg does not know")
	}
	if cn, _ := v.Obj.String("class_name"); cn != "__lambda__" {
		return nil, "", fmt.Errorf("not a Python lambda (class_name %q), which modelsurg does not rewrite for tf-keras", cn)
	}
	cfg := v.Obj.Object("config")
	if cfg == nil {
		return nil, "", fmt.Errorf("a __lambda__ without its config")
	}
	code, ok := cfg.String("code")
	if !ok {
		return nil, "", fmt.Errorf("a __lambda__ without its code")
	}
	parts := []*jsonx.Value{jsonx.Str(code)}
	for _, k := range []string{"defaults", "closure"} {
		p := cfg.Get(k)
		if p == nil {
			p = jsonx.NullV()
		}
		if !p.IsNull() && (p.Kind != jsonx.Array || serialized(p, 0)) {
			return nil, "", fmt.Errorf("its %s are not plain values", k)
		}
		parts = append(parts, p)
	}
	return jsonx.Arr(parts...), "lambda", nil
}

// serialized reports a Keras 3 serialized object (an object with a
// class_name) inside v.
func serialized(v *jsonx.Value, depth int) bool {
	if v == nil || depth > 64 {
		return depth > 64
	}
	switch v.Kind {
	case jsonx.Array:
		for _, e := range v.Elems {
			if serialized(e, depth+1) {
				return true
			}
		}
	case jsonx.Object:
		if v.Obj.Has("class_name") {
			return true
		}
		for _, e := range v.Obj.Vals {
			if serialized(e, depth+1) {
				return true
			}
		}
	}
	return false
}

// mergeOps are the merge layers whose call on a tensor and a constant is
// the TensorFlow function on them; commutes: the operands may swap (IEEE
// addition and multiplication are commutative, bit for bit).
var mergeOps = map[string]struct {
	fn      string
	commute bool
}{
	"Add": {"math.add", true}, "Multiply": {"math.multiply", true}, "Subtract": {"math.subtract", false},
	"Maximum": {"math.maximum", false}, "Minimum": {"math.minimum", false},
}

// mergeConstant finds a Keras 3 merge layer call that holds a constant in
// its input list ({"class_name": "__tensor__"} or "__numpy__").
func mergeConstant(l *model.Layer, d model.Dialect) string {
	if d != model.Keras3 {
		return ""
	}
	for _, n := range l.Nodes {
		if args := n.Args(); len(args) > 0 && args[0].Kind == jsonx.Array {
			for _, e := range args[0].Elems {
				if !isKerasTensor(e) {
					return "a constant in its input list, which tf-keras's node form cannot write"
				}
			}
		}
	}
	return ""
}

func isKerasTensor(v *jsonx.Value) bool {
	if v.Kind != jsonx.Object {
		return false
	}
	c, _ := v.Obj.String("class_name")
	return c == "__keras_tensor__"
}

// mergeToTFOp rewrites a Keras 3 merge layer called on a tensor and a
// constant into tf-keras's TFOpLambda of the same TensorFlow function with
// the constant as its keyword y, which tf-keras writes for
// tf.math.add(h, y=np.ones((1, 4))) and reads back. Keras 3 computes
// ops.add(x, c) (no reshape when both have one rank), which is tf.math.add
// on its TensorFlow backend. Only float32 tensors and constants of the
// tensor's rank are rewritten.
func mergeToTFOp(m *model.Model, l *model.Layer) (string, error) {
	op, ok := mergeOps[l.Class]
	if !ok {
		return "", fmt.Errorf("%s called on a constant, which convert rewrites for Add, Subtract, Multiply, Maximum and Minimum only", l.Class)
	}
	if p := l.DTypePolicy(); p != "float32" {
		return "", fmt.Errorf("a constant in the inputs of a %s of dtype %q", l.Class, p)
	}
	ins := make([]model.Tensor, len(l.Nodes))
	ys := make([]*jsonx.Value, len(l.Nodes))
	for i, n := range l.Nodes {
		var err error
		ins[i], ys[i], err = tensorAndConstant(n, op.commute)
		if err != nil {
			return "", fmt.Errorf("call %d: %w", i, err)
		}
	}
	cfg := jsonx.NewObject().Obj
	cfg.Set("name", jsonx.Str(l.Name))
	cfg.Set("trainable", jsonx.BoolV(true))
	cfg.Set("dtype", jsonx.Str("float32"))
	cfg.Set("function", jsonx.Str(op.fn))
	l.Become("TFOpLambda", cfg)
	for i := range l.Nodes {
		m.Recall(l, i, []model.Tensor{ins[i]}, nil)
		m.SetKwarg(l, i, "y", ys[i])
	}
	return fmt.Sprintf("rewrote merge layers called on a constant as TFOpLambda tf.%s with the constant as y", op.fn), nil
}

// tensorAndConstant reads a merge call on [tensor, constant] (or
// [constant, tensor] when the operands commute): the tensor and the
// constant's value.
func tensorAndConstant(n *model.Node, commute bool) (model.Tensor, *jsonx.Value, error) {
	args := n.Args()
	if len(args) != 1 || args[0].Kind != jsonx.Array || len(args[0].Elems) != 2 || len(n.In) != 1 {
		return model.Tensor{}, nil, fmt.Errorf("not a call on one tensor and one constant")
	}
	t, c := args[0].Elems[0], args[0].Elems[1]
	if !isKerasTensor(t) {
		if !commute {
			return model.Tensor{}, nil, fmt.Errorf("a constant first operand")
		}
		t, c = c, t
	}
	tc := t.Obj.Object("config")
	if tc == nil {
		return model.Tensor{}, nil, fmt.Errorf("malformed call")
	}
	rank := -1
	if sh := tc.Get("shape"); sh != nil && sh.Kind == jsonx.Array {
		rank = len(sh.Elems)
	}
	if dt, _ := tc.String("dtype"); dt != "float32" {
		return model.Tensor{}, nil, fmt.Errorf("a tensor that is not float32")
	}
	if c.Kind != jsonx.Object {
		return model.Tensor{}, nil, fmt.Errorf("a constant modelsurg cannot read")
	}
	cn, _ := c.Obj.String("class_name")
	cc := c.Obj.Object("config")
	if (cn != "__tensor__" && cn != "__numpy__") || cc == nil {
		return model.Tensor{}, nil, fmt.Errorf("a constant of class %q", cn)
	}
	if dt, _ := cc.String("dtype"); dt != "float32" {
		return model.Tensor{}, nil, fmt.Errorf("a constant of dtype %q", dt)
	}
	v := cc.Get("value")
	if v == nil || serialized(v, 0) || len(model.ConstShape(v)) != rank {
		return model.Tensor{}, nil, fmt.Errorf("a constant of another rank than the tensor (Keras 3 then expands it)")
	}
	return n.In[0], v.Clone(), nil
}
