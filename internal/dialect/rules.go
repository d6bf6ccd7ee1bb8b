package dialect

import (
	"fmt"
	"slices"
	"strings"

	"github.com/modelsurg/modelsurg/internal/jsonx"
	"github.com/modelsurg/modelsurg/internal/model"
)

// Any marks a rule that concerns both Kerases.
const Any model.Dialect = -1

const (
	toKeras3 = "modelsurg convert --to keras3"
	toKeras2 = "modelsurg convert --to keras2"
)

// Rules is the table of dialect rules, in report order. Each entry's
// comment says what the refusing Keras does; adding a rule is adding an
// entry here.
var Rules = []Rule{
	// keras 3: "Argument `name` must be a string and cannot contain
	// character `/`" (DenseNet conv1/conv, MobileNetV3 Conv/BatchNorm).
	{Name: "slash-in-names", Keras: model.Keras3, Fix: toKeras3,
		Layer: func(l *model.Layer, _ model.Dialect) string {
			if strings.Contains(l.Name, "/") {
				return `a layer name contains "/"`
			}
			return ""
		}},
	// keras 3 reads the weights group of a layer named "." as the
	// weights root itself and fails ("Unable to get link info"); tf-keras loads it.
	{Name: "dot-name", Keras: model.Keras3,
		Layer: func(l *model.Layer, _ model.Dialect) string {
			if l.Name == "." {
				return `the layer is named ".", which Keras 3's HDF5 reader takes for the weights group itself (rename it)`
			}
			return ""
		}},
	// keras 3: "Unrecognized keyword arguments passed to DepthwiseConv2D: {'groups': 1}".
	{Name: "depthwise-groups", Keras: model.Keras3, Fix: toKeras3,
		Classes: []string{"DepthwiseConv1D", "DepthwiseConv2D"},
		Layer:   wrapped(hasKeys("groups"))},
	// keras 3: "Unrecognized keyword arguments passed to SeparableConv2D:
	// {'groups': 1, 'kernel_initializer': ..., 'kernel_regularizer': None, 'kernel_constraint': None}".
	{Name: "separable-kernel-args", Keras: model.Keras3, Fix: toKeras3,
		Classes: []string{"SeparableConv1D", "SeparableConv2D"},
		Layer:   wrapped(hasKeys("groups", "kernel_initializer", "kernel_regularizer", "kernel_constraint"))},
	// keras 3: "Unrecognized keyword arguments passed to LSTM: {'time_major': False}",
	// also for GRU, SimpleRNN, ConvLSTM2D and the layers inside Bidirectional.
	{Name: "rnn-time-major", Keras: model.Keras3, Fix: toKeras3,
		Classes: []string{"LSTM", "GRU", "SimpleRNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "Bidirectional"},
		Layer:   wrapped(hasKeys("time_major"))},
	// keras 3: "Unrecognized keyword arguments passed to MultiHeadAttention:
	// {'query_shape': ..., 'key_shape': ..., 'value_shape': ..., 'softmax_robust_masking': False}".
	{Name: "mha-build-shapes", Keras: model.Keras3, Fix: toKeras3,
		Classes: []string{"MultiHeadAttention"},
		Layer:   wrapped(hasKeys("query_shape", "key_shape", "value_shape", "softmax_robust_masking"))},
	// keras 3's legacy loader turns the string "dot" into the function
	// dot: "Invalid value for argument score_mode. Expected one of {'dot', 'concat'}".
	{Name: "attention-score-dot", Keras: model.Keras3, Fix: toKeras3,
		Classes: []string{"Attention"},
		Layer: func(l *model.Layer, d model.Dialect) string {
			if s, _ := l.Config.String("score_mode"); d == model.Keras2 && s == "dot" {
				return `score_mode "dot" in a Keras 2 config, which Keras 3's legacy loader reads as a function`
			}
			return ""
		}},
	// keras 3: "Invalid Functional model configuration ... nodes failed to
	// be resolved": tf-keras numbers a nested model's calls from 1.
	{Name: "nested-node-offset", Keras: model.Keras3, Fix: toKeras3, Model: nestedOffset},
	// keras 3: "Unknown layer: 'TFOpLambda'": it has no TensorFlow-op layers.
	{Name: "tfoplambda", Keras: model.Keras3, Fix: toKeras3,
		Classes: []string{"TFOpLambda", "SlicingOpLambda"},
		Layer:   always("a TensorFlow op layer, which Keras 3 does not have")},
	// keras 3: "Unknown layer: 'LayerScale'" (ConvNeXt), "'Custom>CustomScaleLayer'"
	// (InceptionResNetV2, the class_name tf-keras writes), "'StochasticDepth'"
	// (ConvNeXt with drop_path_rate > 0): tf-keras's keras.applications
	// helper layers. Convert rewrites them into built-in layers (helpers.go).
	{Name: "keras3-helper-layers", Keras: model.Keras3, Fix: toKeras3,
		Classes: []string{"LayerScale", "CustomScaleLayer", "Custom>CustomScaleLayer", "StochasticDepth"},
		Layer: func(l *model.Layer, d model.Dialect) string {
			if d == model.Keras2 {
				return "a tf-keras keras.applications helper layer, which Keras 3 does not register"
			}
			return ""
		}},
	// tf-keras: "Unknown layer: 'LayerScale'" (its own ConvNeXt's .h5),
	// "Unknown layer: 'StochasticDepth'" (ConvNeXt with drop_path_rate):
	// tf-keras defines them in keras.applications without registering them.
	{Name: "tf-keras-helper-layers", Keras: model.Keras2,
		Classes: []string{"LayerScale", "StochasticDepth"},
		Layer: func(l *model.Layer, d model.Dialect) string {
			if d == model.Keras2 {
				return "a keras.applications helper layer that tf-keras does not register: load_model needs it in custom_objects"
			}
			return ""
		}},
	// tf-keras: "Unrecognized keyword arguments: ['batch_shape']".
	{Name: "batch-shape", Keras: model.Keras2, Fix: toKeras2,
		Classes: []string{"InputLayer"},
		Layer: func(l *model.Layer, _ model.Dialect) string {
			if l.Config.Has("batch_shape") && !l.Config.Has("batch_input_shape") {
				return "batch_shape instead of batch_input_shape"
			}
			return ""
		}},
	// tf-keras: "'str' object has no attribute 'name'" for a
	// {"class_name": "DTypePolicy", ...} dtype, in every layer class.
	{Name: "dtype-policy", Keras: model.Keras2, Fix: toKeras2,
		Layer: wrapped(func(c *jsonx.Obj) string {
			if v := c.Get("dtype"); v != nil && v.Kind == jsonx.Object {
				return "dtype is a DTypePolicy object, not a name"
			}
			return ""
		})},
	// tf-keras: "Keyword argument not understood: 'quantization_config'"
	// (Dense, Embedding), "'rms_scaling'" (LayerNormalization), "'use_gate'",
	// "'sliding_window'" (MultiHeadAttention).
	{Name: "keras3-config-keys", Keras: model.Keras2, Fix: toKeras2,
		Classes: []string{"Dense", "EinsumDense", "Embedding", "LayerNormalization", "TimeDistributed", "Bidirectional", "MultiHeadAttention"},
		Layer:   wrapped(hasKeys("quantization_config", "rms_scaling", "use_gate", "sliding_window", "flash_attention", "seed"))},
	// tf-keras: "Keyword argument not understood: 'seed'": Keras 3's
	// recurrent layers take a dropout seed.
	{Name: "rnn-seed", Keras: model.Keras2, Fix: toKeras2,
		Classes: []string{"LSTM", "GRU", "SimpleRNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "Bidirectional"},
		Layer:   wrapped(hasKeys("seed"))},
	// tf-keras: KeyError 'query_shape': its MultiHeadAttention.from_config
	// reads the build shapes, which Keras 3 does not write.
	{Name: "mha-query-shape", Keras: model.Keras2, Fix: toKeras2,
		Classes: []string{"MultiHeadAttention"},
		Layer: func(l *model.Layer, d model.Dialect) string {
			if d == model.Keras3 && !l.Config.Has("query_shape") {
				return "no query_shape / key_shape / value_shape, which tf-keras's MultiHeadAttention.from_config reads"
			}
			return ""
		}},
	// tf-keras: "Keyword argument not understood: 'negative_slope'": its
	// LeakyReLU takes alpha (Keras 3 reads both).
	{Name: "leaky-relu-slope", Keras: model.Keras2, Fix: toKeras2,
		Classes: []string{"LeakyReLU"},
		Layer:   wrapped(hasKeys("negative_slope"))},
	// tf-keras: "GlorotUniform.__init__() got an unexpected keyword argument 'input_axes'".
	{Name: "initializer-axes", Keras: model.Keras2, Fix: toKeras2,
		Layer: wrapped(initializerAxes)},
	// tf-keras: KeyError 'function_type': Keras 3 writes a Lambda's function in its own form.
	{Name: "lambda-keras3-form", Keras: model.Keras2, Fix: toKeras2,
		Classes: []string{"Lambda"},
		Layer: func(l *model.Layer, d model.Dialect) string {
			if d == model.Keras3 && !l.Config.Has("function_type") {
				return "a Keras 3 Lambda (no function_type), which tf-keras cannot read"
			}
			return ""
		}},
	// tf-keras: its node form has no constant among a call's inputs (Keras 3
	// writes Add()([x, ops.ones((1, 4))]) with a {"class_name": "__tensor__"} input).
	{Name: "merge-constant", Keras: model.Keras2, Fix: toKeras2,
		Classes: []string{"Add", "Subtract", "Multiply", "Maximum", "Minimum", "Average", "Concatenate", "Dot"},
		Layer:   mergeConstant},
	// Both Kerases unmarshal a Lambda's bytecode: it loads only in the
	// Python version that wrote it (Keras 3 also needs safe_mode=False).
	{Name: "lambda-bytecode", Keras: Any, Severity: Warns,
		Classes: []string{"Lambda"},
		Layer: func(l *model.Layer, _ model.Dialect) string {
			if t, _ := l.Config.String("function_type"); t == "lambda" || !l.Config.Has("function_type") {
				return "holds Python bytecode: loads only in the Python that wrote it (Keras 3 with safe_mode=False)"
			}
			return ""
		}},
	// tf-keras's hard_sigmoid is clip(0.2x + 0.5, 0, 1), Keras 3's
	// relu6(x + 3) / 6 (measured: 0.7 and 0.667 at 1.0): a file loads in the
	// other Keras and computes differently (ConvLSTM2D's default
	// recurrent_activation in tf-keras).
	{Name: "hard-sigmoid", Keras: Any, Severity: Warns, Differs: true,
		Layer: wrapped(func(c *jsonx.Obj) string {
			for _, k := range []string{"activation", "recurrent_activation"} {
				if s, _ := c.String(k); s == "hard_sigmoid" {
					return k + ` "hard_sigmoid" computes clip(0.2x + 0.5) in tf-keras and relu6(x + 3) / 6 in Keras 3: the other Keras computes differently`
				}
			}
			return ""
		})},
	// A class modelsurg does not know may be a custom one that the user
	// registers before loading: the verdict cannot be known.
	{Name: "unknown-class", Keras: Any, Severity: Unknown,
		Layer: func(l *model.Layer, d model.Dialect) string {
			if l.Sub == nil && !known(l, d) {
				return fmt.Sprintf("class %q is not a Keras class modelsurg knows (a custom class?)", l.Class)
			}
			return ""
		}},
}

// hasKeys reports the keys of keys that a layer config has.
func hasKeys(keys ...string) func(*jsonx.Obj) string {
	return func(c *jsonx.Obj) string {
		var got []string
		for _, k := range keys {
			if c.Has(k) {
				got = append(got, k)
			}
		}
		if len(got) == 0 {
			return ""
		}
		return "config keys the other Keras does not take: " + strings.Join(got, ", ")
	}
}

// wrapped applies a config check to a layer's config and to those of the
// layers a wrapper (Bidirectional, TimeDistributed) holds.
func wrapped(check func(*jsonx.Obj) string) func(*model.Layer, model.Dialect) string {
	return func(l *model.Layer, _ model.Dialect) string {
		if l.Config == nil {
			return ""
		}
		if w := check(l.Config); w != "" {
			return w
		}
		for _, k := range []string{"layer", "backward_layer"} {
			if in := l.Config.Object(k); in != nil {
				if c := in.Object("config"); c != nil {
					if w := check(c); w != "" {
						return "in its wrapped layer: " + w
					}
				}
			}
		}
		return ""
	}
}

func always(what string) func(*model.Layer, model.Dialect) string {
	return func(*model.Layer, model.Dialect) string { return what }
}

// initializerAxes finds an initializer config with input_axes or output_axes.
func initializerAxes(c *jsonx.Obj) string {
	for i, k := range c.Keys {
		v := c.Vals[i]
		if !strings.HasSuffix(k, "_initializer") || v.Kind != jsonx.Object {
			continue
		}
		if ic := v.Obj.Object("config"); ic != nil && (ic.Has("input_axes") || ic.Has("output_axes")) {
			return k + " has input_axes / output_axes"
		}
	}
	return ""
}

// known reports a layer class modelsurg understands.
func known(l *model.Layer, d model.Dialect) bool {
	if l.Class == "InputLayer" || l.Config == nil || named(l.Class) {
		return true
	}
	if model.ThirdParty(l.Class) {
		return false // shapes known, but Keras needs its package to load it
	}
	_, err := model.InferLayer(l.Class, l.Config, []model.Shape{nil}, d)
	return !isUnknown(err)
}

// ruleClasses are the classes a rule registers: Keras classes, even
// when modelsurg cannot infer their shapes (a TFOpLambda of an unknown
// function).
var ruleClasses = map[string]bool{}

func init() {
	for _, r := range Rules {
		if r.Severity != Unknown {
			for _, c := range r.Classes {
				ruleClasses[c] = true
			}
		}
	}
}

func named(class string) bool { return ruleClasses[class] }

// nestedOffset finds the nested models that a tf-keras config calls by
// node index + 1, which Keras 3 reads as the raw index.
func nestedOffset(r *Rule, m *model.Model) []Finding {
	var out []Finding
	if m.Dialect != model.Keras2 {
		return nil
	}
	var walk func(sub *model.Model, path []string)
	walk = func(sub *model.Model, path []string) {
		seen := map[string]bool{}
		for _, l := range sub.Layers {
			for _, n := range l.Nodes {
				for _, in := range n.Inputs {
					src := sub.Layer(in.Layer)
					if src == nil || !offsetModel(src) || seen[src.Name] {
						continue
					}
					seen[src.Name] = true
					out = append(out, r.finding(path, src.Name, fmt.Sprintf("a nested model that %q calls as node %d: tf-keras counts its calls from 1, Keras 3 from 0", l.Name, in.Node)))
				}
			}
			if l.Sub != nil {
				walk(l.Sub, append(slices.Clone(path), l.Name))
			}
		}
	}
	walk(m, nil)
	return out
}

// offsetModel reports a nested model whose calls tf-keras numbers from 1:
// a Functional model, or a Sequential one that starts with an InputLayer.
func offsetModel(l *model.Layer) bool {
	if l.Sub == nil {
		return false
	}
	if !l.Sub.IsSequential() {
		return true
	}
	return len(l.Sub.Layers) > 0 && l.Sub.Layers[0].Class == "InputLayer"
}
