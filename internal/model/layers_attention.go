package model

import (
	"sort"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// Attention layers, and reading a call's keyword arguments.

// isTensorArg reports whether a call argument as a node wrote it is a
// tensor: ["layer", node, index] (Keras 2) or a __keras_tensor__ object
// (Keras 3).
func isTensorArg(v *jsonx.Value) bool {
	if v == nil {
		return false
	}
	switch v.Kind {
	case jsonx.Array:
		if len(v.Elems) < 3 || len(v.Elems) > 4 || v.Elems[0].Kind != jsonx.String {
			return false
		}
		_, ok1 := v.Elems[1].Int()
		_, ok2 := v.Elems[2].Int()
		return ok1 && ok2
	case jsonx.Object:
		cn, _ := v.Obj.String("class_name")
		return cn == "__keras_tensor__"
	}
	return false
}

// tensorKeys returns the call's keyword arguments that hold tensors, in
// the order the graph lists their tensors: as written in Keras 2, sorted
// in Keras 3.
func (c *lcfg) tensorKeys() []string {
	if c.kw == nil {
		return nil
	}
	var keys []string
	for i, k := range c.kw.Keys {
		if isTensorArg(c.kw.Vals[i]) {
			keys = append(keys, k)
		}
	}
	if c.d == Keras3 {
		sort.Strings(keys)
	}
	return keys
}

// callArgs names the call's tensors: the positional ones by names in
// order, the keyword ones by their key.
func (c *lcfg) callArgs(in []Shape, names ...string) (map[string]Shape, error) {
	keys := c.tensorKeys()
	npos := len(in) - len(keys)
	if npos < 0 || npos > len(names) {
		return nil, c.errf("expects at most %d tensors, got %d", len(names), len(in))
	}
	args := map[string]Shape{}
	for i := 0; i < npos; i++ {
		args[names[i]] = in[i]
	}
	for i, k := range keys {
		args[k] = in[npos+i]
	}
	return args, nil
}

// kwValue returns a call keyword argument, nil when absent.
func (c *lcfg) kwValue(key string) *jsonx.Value {
	if c.kw == nil {
		return nil
	}
	return c.kw.Get(key)
}

// returnScores reads the call's return_attention_scores.
func (c *lcfg) returnScores() bool { return truthy(c.kwValue("return_attention_scores")) }

// mha is a MultiHeadAttention config.
type mha struct {
	heads, keyDim, valueDim int
	out                     []int // output_shape; nil: the query's last dimension
	bias                    bool
}

func (c *lcfg) mha() (*mha, error) {
	p := &mha{}
	var err error
	if p.heads, err = c.positive("num_heads"); err != nil {
		return nil, err
	}
	if p.keyDim, err = c.positive("key_dim"); err != nil {
		return nil, err
	}
	if p.valueDim, err = c.integer("value_dim", p.keyDim); err != nil {
		return nil, err
	}
	if p.valueDim <= 0 {
		return nil, c.errf("value_dim must be positive, got %d", p.valueDim)
	}
	if p.out, _, err = c.ints("output_shape"); err != nil {
		return nil, err
	}
	for _, d := range p.out {
		if d <= 0 {
			return nil, c.errf("output_shape %s has a dimension <= 0", tupleString(p.out))
		}
	}
	if p.bias, err = c.boolean("use_bias", true); err != nil {
		return nil, err
	}
	if use, _ := c.boolean("use_gate", false); use {
		return nil, c.badf("use_gate is not supported")
	}
	return p, nil
}

// mhaArgs returns the query, value and key shapes of a call.
func (c *lcfg) mhaArgs(in []Shape) (q, v, k Shape, err error) {
	args, err := c.callArgs(in, "query", "value", "key")
	if err != nil {
		return nil, nil, nil, err
	}
	q, v, k = args["query"], args["value"], args["key"]
	if _, ok := args["query"]; !ok {
		return nil, nil, nil, c.errf("no query tensor")
	}
	if _, ok := args["value"]; !ok {
		return nil, nil, nil, c.errf("no value tensor")
	}
	if _, ok := args["key"]; !ok {
		k = v
	}
	return q, v, k, nil
}

// attentionAxes reads attention_axes for a query of rank r (default: all
// but the batch and last axes).
func (c *lcfg) attentionAxes(r int) ([]int, error) {
	vals, ok, err := c.ints("attention_axes")
	if err != nil {
		return nil, err
	}
	if !ok {
		for i := 1; i < r-1; i++ {
			vals = append(vals, i)
		}
		return vals, nil
	}
	out := make([]int, len(vals))
	for i, a := range vals {
		if out[i], err = c.axis(a, r); err != nil {
			return nil, err
		}
		if out[i] == 0 || out[i] == r-1 {
			return nil, c.errf("attention_axes %s must not hold the batch or last axis", tupleString(vals))
		}
	}
	return out, nil
}

var mhaLayer = &layerKind{
	nIn: -1,
	nOut: func(c *lcfg) (int, error) {
		if c.returnScores() {
			return 2, nil
		}
		return 1, nil
	},
	multi: func(c *lcfg, in []Shape) ([]Shape, error) {
		p, err := c.mha()
		if err != nil {
			return nil, err
		}
		q, v, k, err := c.mhaArgs(in)
		if err != nil {
			return nil, err
		}
		if err := c.minRankAll([]Shape{q, v, k}, 3); err != nil {
			return nil, err
		}
		if len(v) != len(k) || !v[1:len(v)-1].Equal(k[1:len(k)-1]) {
			return nil, c.errf("value %s and key %s must match except in the last dimension", v, k)
		}
		out := q[:len(q)-1].Clone()
		if p.out != nil {
			out = append(out, p.out...)
		} else {
			out = append(out, q[len(q)-1])
		}
		if !c.returnScores() {
			return []Shape{out}, nil
		}
		return []Shape{out, c.mhaScores(p, q, k)}, nil
	},
	weights: func(c *lcfg, in []Shape) ([]WeightSpec, error) {
		p, err := c.mha()
		if err != nil {
			return nil, err
		}
		q, v, k, err := c.mhaArgs(in)
		if err != nil {
			return nil, err
		}
		var ws []WeightSpec
		proj := func(s Shape, dim int) {
			ws = append(ws, w("kernel", true, last(s), p.heads, dim))
			if p.bias {
				ws = append(ws, w("bias", true, p.heads, dim))
			}
		}
		proj(q, p.keyDim)
		proj(k, p.keyDim)
		proj(v, p.valueDim)
		out := p.out
		if out == nil {
			out = []int{last(q)}
		}
		ws = append(ws, w("kernel", true, append([]int{p.heads, p.valueDim}, out...)...))
		if p.bias {
			ws = append(ws, w("bias", true, out...))
		}
		return ws, nil
	},
}

// mhaScores is the attention scores' shape. Keras 3 gives (batch, heads,
// Tq, Tq) whatever the key; tf-keras the real (batch dims, heads, query
// attention dims, key attention dims).
func (c *lcfg) mhaScores(p *mha, q, k Shape) Shape {
	if c.d == Keras3 {
		return Shape{q[0], p.heads, q[1], q[1]}
	}
	axes, err := c.attentionAxes(len(q))
	if err != nil {
		return nil
	}
	attn := map[int]bool{}
	for _, a := range axes {
		attn[a] = true
	}
	var out Shape
	for i := 0; i < len(q)-1; i++ {
		if !attn[i] {
			out = append(out, q[i])
		}
	}
	out = append(out, p.heads)
	for _, a := range axes {
		out = append(out, q[a])
	}
	for _, a := range axes {
		out = append(out, k[a])
	}
	return out
}

// attentionLayer is Attention and AdditiveAttention: inputs [query, value]
// or [query, value, key]; the output has the query's shape with the
// value's last dimension.
func attentionLayer(additive bool) *layerKind {
	return &layerKind{
		nIn: -1,
		nOut: func(c *lcfg) (int, error) {
			if c.returnScores() {
				return 2, nil
			}
			return 1, nil
		},
		multi: func(c *lcfg, in []Shape) ([]Shape, error) {
			if len(in) != 2 && len(in) != 3 {
				return nil, c.errf("expects [query, value] or [query, value, key], got %d inputs", len(in))
			}
			if err := c.minRankAll(in, 3); err != nil {
				return nil, err
			}
			q, v := in[0], in[1]
			out := append(q[:len(q)-1].Clone(), v[len(v)-1])
			if !c.returnScores() {
				return []Shape{out}, nil
			}
			return []Shape{out, append(q[:len(q)-1].Clone(), v[len(v)-2])}, nil
		},
		weights: func(c *lcfg, in []Shape) ([]WeightSpec, error) {
			scale, err := c.boolean("use_scale", additive)
			if err != nil {
				return nil, err
			}
			var ws []WeightSpec
			switch {
			case scale && additive:
				ws = append(ws, w("scale", true, last(in[0])))
			case scale:
				ws = append(ws, WeightSpec{Name: "scale", Shape: Shape{}, Trainable: true})
			}
			mode, err := c.str("score_mode", "dot")
			if err != nil {
				return nil, err
			}
			if !additive && mode == "concat" {
				ws = append(ws, WeightSpec{Name: "concat_score_weight", Shape: Shape{}, Trainable: true})
			}
			return ws, nil
		},
	}
}

func init() {
	register(mhaLayer, "MultiHeadAttention")
	register(attentionLayer(false), "Attention")
	register(attentionLayer(true), "AdditiveAttention")
}
