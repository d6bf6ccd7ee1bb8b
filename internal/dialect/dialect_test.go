package dialect

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/modelsurg/modelsurg/internal/model"
	"github.com/modelsurg/modelsurg/internal/modeltest"
)

// seq builds a Keras 2 or 3 Sequential config holding an InputLayer and
// the given layer entries (each `"class_name": ..., "config": {...}`).
func seq(t *testing.T, d model.Dialect, layers ...string) *model.Model {
	t.Helper()
	shape := `"batch_input_shape": [null, 8, 8, 3]`
	if d == model.Keras3 {
		shape = `"batch_shape": [null, 8, 8, 3]`
	}
	all := []string{`{"class_name": "InputLayer", "config": {` + shape + `, "dtype": "float32", "name": "in"}}`}
	for _, l := range layers {
		all = append(all, "{"+l+"}")
	}
	cfg := `{"class_name": "Sequential", "config": {"name": "m", "layers": [` + strings.Join(all, ", ") + `]}}`
	m, err := model.Parse([]byte(cfg), d)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func layersOf(fs []Finding, rule string) []string {
	var out []string
	for _, f := range fs {
		if f.Rule == rule {
			out = append(out, f.Layer)
		}
	}
	return out
}

func TestRules(t *testing.T) {
	k2, k3 := model.Keras2, model.Keras3
	tests := []struct {
		rule   string
		d      model.Dialect
		layer  string
		layers []string // nil: the rule must not fire
	}{
		{"slash-in-names", k2, `"class_name": "Conv2D", "config": {"name": "conv1/conv", "filters": 2, "kernel_size": [1, 1]}`, []string{"conv1/conv"}},
		{"slash-in-names", k2, `"class_name": "Conv2D", "config": {"name": "conv1_conv", "filters": 2, "kernel_size": [1, 1]}`, nil},
		{"dot-name", k2, `"class_name": "Flatten", "config": {"name": "."}`, []string{"."}},
		{"depthwise-groups", k2, `"class_name": "DepthwiseConv2D", "config": {"name": "dw", "kernel_size": [3, 3], "groups": 1}`, []string{"dw"}},
		{"depthwise-groups", k3, `"class_name": "DepthwiseConv2D", "config": {"name": "dw", "kernel_size": [3, 3]}`, nil},
		{"separable-kernel-args", k2, `"class_name": "SeparableConv2D", "config": {"name": "sep", "filters": 2, "kernel_size": [3, 3], "kernel_constraint": null}`, []string{"sep"}},
		{"rnn-time-major", k2, `"class_name": "Reshape", "config": {"name": "r", "target_shape": [8, 24]}}, {"class_name": "Bidirectional", "config": {"name": "bi", "layer": {"class_name": "LSTM", "config": {"name": "l", "units": 2, "time_major": false}}}`, []string{"bi"}},
		{"mha-build-shapes", k2, `"class_name": "MultiHeadAttention", "config": {"name": "mha", "num_heads": 1, "key_dim": 2, "query_shape": [null, 8, 3]}`, []string{"mha"}},
		{"attention-score-dot", k2, `"class_name": "Attention", "config": {"name": "att", "score_mode": "dot"}`, []string{"att"}},
		{"attention-score-dot", k3, `"class_name": "Attention", "config": {"name": "att", "score_mode": "dot"}`, nil},
		{"tfoplambda", k2, `"class_name": "TFOpLambda", "config": {"name": "tf.nn.relu6", "function": "nn.relu6"}`, []string{"tf.nn.relu6"}},
		{"keras3-helper-layers", k2, `"class_name": "LayerScale", "config": {"name": "ls", "init_values": 1e-6, "projection_dim": 3}`, []string{"ls"}},
		{"tf-keras-helper-layers", k2, `"class_name": "StochasticDepth", "config": {"name": "sd", "drop_path_rate": 0.1}`, []string{"sd"}},
		{"tf-keras-helper-layers", k2, `"class_name": "CustomScaleLayer", "config": {"name": "cs", "scale": 0.1}`, nil},
		{"batch-shape", k3, `"class_name": "Flatten", "config": {"name": "f"}`, []string{"in"}},
		{"batch-shape", k2, `"class_name": "Flatten", "config": {"name": "f"}`, nil},
		{"dtype-policy", k3, `"class_name": "Flatten", "config": {"name": "f", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}}}`, []string{"f"}},
		{"keras3-config-keys", k3, `"class_name": "Flatten", "config": {"name": "f", "trainable": true}}, {"class_name": "Dense", "config": {"name": "d", "trainable": true, "units": 2, "quantization_config": null}`, []string{"d"}},
		{"initializer-axes", k3, `"class_name": "Flatten", "config": {"name": "f", "trainable": true}}, {"class_name": "Dense", "config": {"name": "d", "trainable": true, "units": 2, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null, "input_axes": null}}}`, []string{"d"}},
		{"lambda-keras3-form", k3, `"class_name": "Lambda", "config": {"name": "lam", "trainable": true, "function": {"class_name": "__lambda__", "config": {"code": "x"}}}`, []string{"lam"}},
		{"lambda-bytecode", k2, `"class_name": "Lambda", "config": {"name": "lam", "function": ["x", null, null], "function_type": "lambda"}`, []string{"lam"}},
		{"lambda-bytecode", k2, `"class_name": "Lambda", "config": {"name": "lam", "function": "relu", "function_type": "function"}`, nil},
		{"rnn-seed", k3, `"class_name": "Reshape", "config": {"name": "r", "target_shape": [8, 24]}}, {"class_name": "GRU", "config": {"name": "g", "units": 2, "seed": null}`, []string{"g"}},
		{"rnn-seed", k2, `"class_name": "Reshape", "config": {"name": "r", "target_shape": [8, 24]}}, {"class_name": "GRU", "config": {"name": "g", "units": 2}`, nil},
		{"mha-query-shape", k3, `"class_name": "MultiHeadAttention", "config": {"name": "mha", "num_heads": 1, "key_dim": 2}`, []string{"mha"}},
		{"mha-query-shape", k2, `"class_name": "MultiHeadAttention", "config": {"name": "mha", "num_heads": 1, "key_dim": 2, "query_shape": null}`, nil},
		{"hard-sigmoid", k2, `"class_name": "Dense", "config": {"name": "d", "units": 2, "activation": "hard_sigmoid"}`, []string{"d"}},
		{"hard-sigmoid", k3, `"class_name": "Reshape", "config": {"name": "r", "target_shape": [8, 24]}}, {"class_name": "LSTM", "config": {"name": "l", "units": 2, "recurrent_activation": "sigmoid"}`, nil},
		{"leaky-relu-slope", k3, `"class_name": "LeakyReLU", "config": {"name": "lr", "negative_slope": 0.2}`, []string{"lr"}},
		{"leaky-relu-slope", k2, `"class_name": "LeakyReLU", "config": {"name": "lr", "alpha": 0.2}`, nil},
		{"unknown-class", k2, `"class_name": "MyPool", "config": {"name": "pool"}`, []string{"pool"}},
		{"unknown-class", k2, `"class_name": "TFOpLambda", "config": {"name": "tf.split", "function": "split"}`, nil},
	}
	for i, tc := range tests {
		t.Run(fmt.Sprintf("%d_%s", i, tc.rule), func(t *testing.T) {
			r := Find(tc.rule)
			if r == nil {
				t.Fatalf("no rule %q", tc.rule)
			}
			got := layersOf(r.Detect(seq(t, tc.d, tc.layer)), tc.rule)
			if !slices.Equal(got, tc.layers) {
				t.Errorf("%s found %q, want %q", tc.rule, got, tc.layers)
			}
		})
	}
}

// Every rule has a test case above.
func TestEveryRuleTested(t *testing.T) {
	seen := map[string]bool{"nested-node-offset": true} // TestNestedOffset
	for _, name := range []string{"slash-in-names", "dot-name", "depthwise-groups", "separable-kernel-args", "rnn-time-major", "mha-build-shapes", "attention-score-dot", "tfoplambda", "keras3-helper-layers", "tf-keras-helper-layers", "batch-shape", "dtype-policy", "keras3-config-keys", "initializer-axes", "lambda-keras3-form", "lambda-bytecode", "unknown-class", "rnn-seed", "mha-query-shape", "hard-sigmoid", "leaky-relu-slope", "merge-constant"} {
		seen[name] = true
	}
	names := map[string]bool{}
	for _, r := range Rules {
		if names[r.Name] {
			t.Errorf("two rules are named %q", r.Name)
		}
		names[r.Name] = true
		if !seen[r.Name] {
			t.Errorf("rule %q has no test", r.Name)
		}
	}
}

func TestNestedOffset(t *testing.T) {
	for _, tc := range []struct {
		dialect, name string
		want          []string
	}{
		{"k2", "nested", []string{"inner"}},
		{"k2", "nested_sequential", []string{"block"}},
		{"k2", "shared", nil},
		{"k3", "nested", nil},
	} {
		got := layersOf(Find("nested-node-offset").Detect(modeltest.Load(t, tc.dialect, tc.name)), "nested-node-offset")
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s/%s: %q, want %q", tc.dialect, tc.name, got, tc.want)
		}
	}
}

// The fixtures' verdicts, as FIXTURES.md records what each Keras does.
func TestFixtureVerdicts(t *testing.T) {
	for _, tc := range []struct {
		dialect, name  string
		keras2, keras3 State
	}{
		{"k2", "sequential_cnn", Loads, Loads},
		{"k2", "lambda", Loads, Loads},
		{"k2", "layers_mix", Loads, DoesNotLoad},
		{"k2", "tfops", Loads, DoesNotLoad},
		{"k2", "rnn", Loads, DoesNotLoad},
		{"k2", "attention", Loads, DoesNotLoad},
		{"k3", "sequential_cnn", DoesNotLoad, Loads},
		{"k3", "keras3_ops", DoesNotLoad, Loads},
	} {
		m := modeltest.Load(t, tc.dialect, tc.name)
		fs := Detect(m)
		if got := Judge(model.Keras2, fs, nil).State; got != tc.keras2 {
			t.Errorf("%s/%s: keras2 %s, want %s", tc.dialect, tc.name, got, tc.keras2)
		}
		if got := Judge(model.Keras3, fs, nil).State; got != tc.keras3 {
			t.Errorf("%s/%s: keras3 %s, want %s", tc.dialect, tc.name, got, tc.keras3)
		}
		if w := CheckWeights(m, mustInfer(t, m)); len(w) > 0 {
			t.Errorf("%s/%s: weights %v", tc.dialect, tc.name, w)
		}
	}
}

func TestJudge(t *testing.T) {
	warn := Finding{Rule: "lambda-bytecode", Keras: Any, Severity: Warns}
	unk := Finding{Rule: "unknown-class", Keras: Any, Severity: Unknown}
	ref := Finding{Rule: "batch-shape", Keras: model.Keras2, Severity: Refuses}
	if v := Judge(model.Keras3, []Finding{warn, ref}, nil); v.State != Loads || len(v.Findings) != 1 {
		t.Errorf("warning only: %+v", v)
	}
	if v := Judge(model.Keras2, []Finding{unk, ref}, nil); v.State != DoesNotLoad {
		t.Errorf("a refusal wins over an unknown: %+v", v)
	}
	if v := Judge(model.Keras3, []Finding{unk}, nil); v.State != Unsure {
		t.Errorf("unknown: %+v", v)
	}
	if v := Judge(model.Keras3, nil, []WeightProblem{{Layer: "d", What: "x"}}); v.State != DoesNotLoad {
		t.Errorf("weights: %+v", v)
	}
}

func TestCheckWeightsMismatch(t *testing.T) {
	m := modeltest.Load(t, "k2", "sequential_cnn")
	d := m.Layer("dense")
	d.Weights[0].Shape = []int{1, 1}
	got := CheckWeights(m, mustInfer(t, m))
	if len(got) != 1 || got[0].Layer != "dense" || !strings.Contains(got[0].What, "(1, 1)") {
		t.Errorf("got %+v", got)
	}
}

func mustInfer(t *testing.T, m *model.Model) *model.Shapes {
	t.Helper()
	s, err := model.Infer(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMessage(t *testing.T) {
	f := Finding{Layer: "conv1/conv", What: `a layer name contains "/"`, Fix: toKeras3}
	want := `layer "conv1/conv": a layer name contains "/" (fix: modelsurg convert --to keras3, not yet available)`
	if got := f.Message(); got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}
