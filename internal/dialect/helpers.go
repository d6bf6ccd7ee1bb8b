package dialect

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/modelsurg/modelsurg/internal/jsonx"
	"github.com/modelsurg/modelsurg/internal/model"
)

// rewriteHelper rewrites one of tf-keras's keras.applications helper
// layers (layer l of m), which Keras 3 does not register, into built-in
// layers that compute the same (measured with tf_keras 2.21.0 and keras
// 3.15.1 on CPU):
//   - LayerScale (ConvNeXt), x * gamma on the last axis, into a
//     DepthwiseConv2D (rank-4 input) or DepthwiseConv1D (rank 3) of kernel
//     size 1 without bias, whose kernel is gamma's values as (1, 1, C, 1):
//     the same float32 products, except that a product of -0 comes out +0;
//   - CustomScaleLayer (InceptionResNetV2), a + b * scale, into an Add of a
//     and a new Rescaling(scale, offset -0.0) of b: bit for bit (the -0.0
//     offset keeps the sign of a zero product);
//   - StochasticDepth (ConvNeXt with drop_path_rate), the identity at
//     inference and in training 0 or x / (1 - rate), drawn once per
//     sample, into a Dropout of that rate whose noise_shape is (None, 1, ...).
func rewriteHelper(m *model.Model, l *model.Layer, s *model.Shapes) (string, error) {
	switch l.Class {
	case "LayerScale":
		return rewriteLayerScale(l, s)
	case "StochasticDepth":
		return rewriteStochasticDepth(l, s)
	case "CustomScaleLayer", "Custom>CustomScaleLayer":
		return rewriteCustomScale(m, l)
	}
	return "", fmt.Errorf("class %s is no helper layer convert knows", l.Class)
}

// builtinConfig starts the config of the built-in layer that replaces l:
// l's name and base-layer keys. Any key besides those and own (the keys of
// l's class) is refused: dropping it could change what the layer does.
func builtinConfig(l *model.Layer, own ...string) (*jsonx.Obj, error) {
	cfg := jsonx.NewObject().Obj
	cfg.Set("name", jsonx.Str(l.Name))
	for i, k := range l.Config.Keys {
		switch {
		case k == "name" || slices.Contains(own, k):
		case k == "trainable" || k == "dtype" || k == "batch_input_shape" || k == "batch_shape":
			cfg.Set(k, l.Config.Vals[i])
		default:
			return nil, fmt.Errorf("a %s with config key %q, which convert does not know", l.Class, k)
		}
	}
	return cfg, nil
}

// callRank is the rank (with the batch axis) of the input of every call
// of l, and the input's last dimension (model.None when unknown); an
// error when the shape is unknown or the calls differ.
func callRank(l *model.Layer, s *model.Shapes) (rank, last int, err error) {
	rank = -1
	for i := range l.Nodes {
		var in []model.Shape
		if s != nil {
			in = s.Inputs(model.NodeID{Layer: l, Node: i})
		}
		if len(in) != 1 || len(in[0]) < 2 {
			return 0, 0, fmt.Errorf("a %s whose input shape modelsurg cannot infer", l.Class)
		}
		if rank >= 0 && (len(in[0]) != rank || in[0][rank-1] != last) {
			return 0, 0, fmt.Errorf("a %s called on inputs of different shapes", l.Class)
		}
		rank, last = len(in[0]), in[0][len(in[0])-1]
	}
	if rank < 0 {
		return 0, 0, fmt.Errorf("a %s that is never called", l.Class)
	}
	return rank, last, nil
}

func rewriteLayerScale(l *model.Layer, s *model.Shapes) (string, error) {
	rank, last, err := callRank(l, s)
	if err != nil {
		return "", err
	}
	class := map[int]string{3: "DepthwiseConv1D", 4: "DepthwiseConv2D"}[rank]
	if class == "" {
		return "", fmt.Errorf("a LayerScale on a rank-%d input: convert rewrites it (as a depthwise convolution) on rank 3 and 4 only", rank)
	}
	c, ok := l.Config.Get("projection_dim").Int()
	if !ok || c <= 0 || int64(last) != c {
		return "", fmt.Errorf("a LayerScale whose projection_dim is not its input's last dimension")
	}
	cfg, err := builtinConfig(l, "init_values", "projection_dim")
	if err != nil {
		return "", err
	}
	n := rank - 2
	for _, k := range []string{"kernel_size", "strides", "dilation_rate"} {
		cfg.Set(k, intsJSON(slices.Repeat([]int{1}, n)))
	}
	cfg.Set("padding", jsonx.Str("valid"))
	cfg.Set("depth_multiplier", jsonx.Int(1))
	cfg.Set("data_format", jsonx.Str("channels_last"))
	cfg.Set("activation", jsonx.Str("linear"))
	cfg.Set("use_bias", jsonx.BoolV(false))
	kernel := append(slices.Repeat([]int{1}, n), int(c), 1)
	switch len(l.Weights) {
	case 0: // a config without weights
	case 1:
		g := l.Weights[0]
		if !slices.Equal(g.Shape, []int{int(c)}) || g.DType != "float32" {
			return "", fmt.Errorf("a LayerScale whose gamma is %s %v, not float32 (%d,)", g.DType, g.Shape, c)
		}
		l.Weights = []*model.Weight{{Name: weightName(g.Name, "depthwise_kernel"), Shape: kernel, DType: g.DType, Src: sameValues{g.Src}}}
	default:
		return "", fmt.Errorf("a LayerScale with %d weights, not its gamma", len(l.Weights))
	}
	l.Become(class, cfg)
	return fmt.Sprintf("rewrote LayerScale as %s of kernel size 1 (gamma's values as its kernel)", class), nil
}

// sameValues holds a weight's values under a new shape: its writer then
// writes them (the same float32 bits) instead of copying the dataset.
type sameValues struct{ model.Source }

// weightName is a weight name with its short name (after the last "/",
// before ":") replaced: "ls/gamma:0" -> "ls/depthwise_kernel:0".
func weightName(name, short string) string {
	prefix, rest := "", name
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		prefix, rest = name[:i+1], name[i+1:]
	}
	suffix := ""
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		suffix = rest[i:]
	}
	return prefix + short + suffix
}

func rewriteStochasticDepth(l *model.Layer, s *model.Shapes) (string, error) {
	rate, ok := l.Config.Get("drop_path_rate").Float64()
	if !ok || math.IsNaN(rate) || rate < 0 || rate >= 1 {
		return "", fmt.Errorf("a StochasticDepth whose drop_path_rate is not a number in [0, 1)")
	}
	rank, _, err := callRank(l, s)
	if err != nil {
		return "", err
	}
	cfg, err := builtinConfig(l, "drop_path_rate")
	if err != nil {
		return "", err
	}
	noise := intsJSON(slices.Repeat([]int{1}, rank))
	noise.Elems[0] = jsonx.NullV()
	cfg.Set("rate", l.Config.Get("drop_path_rate"))
	cfg.Set("noise_shape", noise)
	cfg.Set("seed", jsonx.NullV())
	l.Become("Dropout", cfg)
	return "rewrote StochasticDepth as Dropout of its rate with one draw per sample (the identity at inference)", nil
}

func rewriteCustomScale(m *model.Model, l *model.Layer) (string, error) {
	scale := l.Config.Get("scale")
	if _, ok := scale.Float64(); !ok {
		return "", fmt.Errorf("a CustomScaleLayer whose scale is not a number")
	}
	if m.IsSequential() {
		return "", fmt.Errorf("a CustomScaleLayer in a Sequential model")
	}
	for _, n := range l.Nodes {
		if len(n.In) != 2 || (n.Kwargs != nil && n.Kwargs.Len() > 0) {
			return "", fmt.Errorf("a CustomScaleLayer call that is not on two tensors")
		}
	}
	add, err := builtinConfig(l, "scale")
	if err != nil {
		return "", err
	}
	rcfg := jsonx.NewObject().Obj
	for _, k := range []string{"trainable", "dtype"} {
		if v := l.Config.Get(k); v != nil {
			rcfg.Set(k, v)
		}
	}
	rcfg.Set("scale", scale)
	rcfg.Set("offset", jsonx.Float(math.Copysign(0, -1))) // x + -0.0 is x, a zero's sign too
	r := model.NewLayer("Rescaling", m.UniqueName(l.Name+"_scale", m.AllNames()), rcfg)
	m.InsertBefore(r, l)
	for i, n := range l.Nodes {
		a, b := n.In[0], n.In[1]
		k := m.Call(r, []model.Tensor{b}, nil)
		m.Recall(l, i, []model.Tensor{a, {Layer: r, Node: r.Nodes[k]}}, nil)
	}
	l.Become("Add", add)
	return `rewrote CustomScaleLayer as Add of its first input and a new Rescaling "<name>_scale" (offset -0.0) of its second`, nil
}
