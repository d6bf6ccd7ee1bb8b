package surgery

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/modelsurg/modelsurg/internal/model"
)

// rsParse parses a model config written by hand and gives every layer the
// weights its config implies (shapes only, as references would carry).
func rsParse(t *testing.T, cfg string, d model.Dialect) *model.Model {
	t.Helper()
	m, err := model.Parse([]byte(cfg), d)
	if err != nil {
		t.Fatal(err)
	}
	s, err := model.Infer(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range m.Layers {
		if len(l.Nodes) == 0 {
			continue
		}
		infos, err := model.LayerWeightInfo(m, l, s)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range infos {
			l.Weights = append(l.Weights, &model.Weight{Name: w.Owner.Name + "/" + w.Spec.Name + ":0", Shape: w.Spec.Shape, DType: "float32"})
		}
	}
	return m
}

func rsReshape(t *testing.T, m *model.Model, spec ReshapeSpec) (*model.Model, []Warning) {
	t.Helper()
	before := string(model.Marshal(m))
	out, warns, err := ReshapeInput(m, spec)
	if err != nil {
		t.Fatalf("ReshapeInput(%s): %v", m.Name, err)
	}
	if string(model.Marshal(m)) != before {
		t.Fatal("ReshapeInput modified its argument")
	}
	return out, warns
}

// rsShapes maps each layer to the output shape of its first call.
func rsShapes(t *testing.T, m *model.Model) map[string]string {
	t.Helper()
	s, err := model.Infer(m)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, l := range m.Layers {
		id := model.NodeID{Layer: l, Node: 0}
		if len(l.Nodes) == 0 {
			id.Node = -1
		}
		if o := s.Outputs(id); len(o) > 0 {
			out[l.Name] = o[0].String()
		}
	}
	return out
}

func rsRefusal(t *testing.T, m *model.Model, spec ReshapeSpec) (*Error, *model.ShapeError) {
	t.Helper()
	_, _, err := ReshapeInput(m, spec)
	if err == nil {
		t.Fatalf("ReshapeInput(%s, %v) succeeded, want a refusal", m.Name, spec.Shape)
	}
	var re *Error
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a *Error", err, err)
	}
	var se *model.ShapeError
	errors.As(err, &se)
	return re, se
}

func TestReshapeBranches(t *testing.T) {
	for _, d := range []string{"k2", "k3"} {
		t.Run(d, func(t *testing.T) {
			m := openFixture(t, d, "branches")
			out, warns := rsReshape(t, m, ReshapeSpec{Shape: model.Shape{16, 16, 3}})
			if len(warns) != 0 {
				t.Errorf("warnings: %v", warns)
			}
			got := rsShapes(t, out)
			want := map[string]string{
				"image": "(None, 16, 16, 3)", "branch_a": "(None, 16, 16, 4)", "concat": "(None, 16, 16, 9)",
				"gap": "(None, 9)", "logits": "(None, 3)",
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s: %s, want %s", k, got[k], v)
				}
			}
			// Every weight is the same reference as in the source model.
			for _, l := range out.Layers {
				src := m.Layer(l.Name)
				if !slices.Equal(l.Weights, src.Weights) {
					t.Errorf("layer %s: weights are not the source's references", l.Name)
				}
			}
			cfg := string(model.Marshal(out))
			key := map[string]string{"k2": `"batch_input_shape": [null, 16, 16, 3]`, "k3": `"batch_shape": [null, 16, 16, 3]`}[d]
			if !strings.Contains(cfg, key) {
				t.Errorf("config lacks %s", key)
			}
			if d == "k3" && (strings.Contains(cfg, `[null, 8, 8, `) || !strings.Contains(cfg, `"shape": [null, 16, 16, 4]`)) {
				t.Errorf("Keras 3 call shapes not refreshed")
			}
		})
	}
}

func TestReshapeNoneDims(t *testing.T) {
	m := openFixture(t, "k2", "branches")
	out, _ := rsReshape(t, m, ReshapeSpec{Shape: model.Shape{model.None, model.None, 3}})
	got := rsShapes(t, out)
	if got["concat"] != "(None, None, None, 9)" || got["logits"] != "(None, 3)" {
		t.Errorf("shapes %v", got)
	}
}

func TestReshapeSequentialKeras3(t *testing.T) {
	// A Sequential model keeps its build_input_shape in step.
	m := openFixture(t, "k3", "sequential_cnn")
	re, se := rsRefusal(t, m, ReshapeSpec{Shape: model.Shape{16, 16, 3}})
	if se == nil || se.Layer != "dense" {
		t.Fatalf("refusal %v, want one naming dense", re)
	}
	out, _ := rsReshape(t, m, ReshapeSpec{Shape: model.Shape{8, 8, 3}})
	if !strings.Contains(string(model.Marshal(out)), `"build_input_shape": [null, 8, 8, 3]`) {
		t.Error("build_input_shape lost")
	}
}

func TestReshapeRefusals(t *testing.T) {
	reshapeCfg := `{"class_name": "Functional", "config": {"name": "r", "trainable": true, "layers": [
	  {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4, 4, 2], "dtype": "float32", "sparse": false, "ragged": false, "name": "in"}, "name": "in", "inbound_nodes": []},
	  {"class_name": "Reshape", "config": {"name": "reshape", "trainable": true, "dtype": "float32", "target_shape": [8, 4]}, "name": "reshape", "inbound_nodes": [[["in", 0, 0, {}]]]}],
	  "input_layers": [["in", 0, 0]], "output_layers": [["reshape", 0, 0]]}}`
	tests := []struct {
		name        string
		m           func(t *testing.T) *model.Model
		shape       model.Shape
		layer       string
		msg, hint   string
		notShapeErr bool
		wantNoHint  bool
	}{
		{name: "flatten dense", m: func(t *testing.T) *model.Model { return openFixture(t, "k2", "sequential_cnn") },
			shape: model.Shape{16, 16, 3}, layer: "dense",
			msg:  `layer "dense" (Dense): kernel is (64, 5) but the new input gives 256 features`,
			hint: "cut the head with replace-head {CutAt} pool, or use reshape-input on a model without top"},
		{name: "window", m: func(t *testing.T) *model.Model { return openFixture(t, "k2", "sequential_cnn") },
			shape: model.Shape{1, 1, 3}, layer: "pool", msg: `window of size 2 does not fit in input (None, 1, 1, 4)`, wantNoHint: true},
		{name: "window channels_first", m: func(t *testing.T) *model.Model { return openFixture(t, "k3", "layers_mix") },
			shape: model.Shape{2, 2, 3}, layer: "conv_cf", msg: `window of size 3 does not fit in input (None, 4, 2, 2)`},
		{name: "reshape target", m: func(t *testing.T) *model.Model { return rsParse(t, reshapeCfg, model.Keras2) },
			shape: model.Shape{6, 6, 2}, layer: "reshape", msg: `cannot reshape (None, 6, 6, 2)`},
		{name: "channels", m: func(t *testing.T) *model.Model { return openFixture(t, "k2", "sequential_cnn") },
			shape: model.Shape{8, 8, 1}, layer: "conv",
			msg:  `layer "conv" (Conv2D): kernel is (3, 3, 3, 4) but the new input (None, 8, 8, 1) needs (3, 3, 1, 4)`,
			hint: `input "image" goes from 3 to 1 channels: add {Adapt}`},
		{name: "features", m: func(t *testing.T) *model.Model { return openFixture(t, "k3", "lambda") },
			shape: model.Shape{6}, layer: "dense", msg: `kernel is (5, 4) but the new input gives 6 features`, wantNoHint: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			re, se := rsRefusal(t, tc.m(t), ReshapeSpec{Shape: tc.shape})
			if se == nil || se.Layer != tc.layer {
				t.Fatalf("refusal %q names %v, want layer %q", re, se, tc.layer)
			}
			if !strings.Contains(re.Error(), tc.msg) {
				t.Errorf("message %q lacks %q", re.Error(), tc.msg)
			}
			if tc.hint != "" && !strings.Contains(re.Hint, tc.hint) {
				t.Errorf("hint %q lacks %q", re.Hint, tc.hint)
			}
			if tc.wantNoHint && re.Hint != "" {
				t.Errorf("unexpected hint %q", re.Hint)
			}
		})
	}
}

func TestReshapeInputSelection(t *testing.T) {
	m := openFixture(t, "k2", "multi_io")
	for _, tc := range []struct {
		spec ReshapeSpec
		msg  string
	}{
		{ReshapeSpec{Shape: model.Shape{8, 8, 1}}, `the model has 2 inputs ("img" (None, 8, 8, 1), "vec" (None, 4)): name each one`},
		{ReshapeSpec{Inputs: []NamedShape{{"nope", model.Shape{4}}}}, `the model has no input named "nope"`},
		{ReshapeSpec{Inputs: []NamedShape{{"img", model.Shape{8, 8}}}}, `input "img": the new shape (8, 8) has 2 dimensions, the model's input (None, 8, 8, 1) has 3 besides the batch`},
		{ReshapeSpec{Inputs: []NamedShape{{"vec", model.Shape{0}}}}, `dimension 0`},
		{ReshapeSpec{Inputs: []NamedShape{{"vec", model.Shape{4}}, {"vec", model.Shape{4}}}}, `given twice`},
		{ReshapeSpec{}, `no new input shape`},
	} {
		if _, _, err := ReshapeInput(m, tc.spec); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%+v: error %v, want %q", tc.spec, err, tc.msg)
		}
	}
	// Naming one input leaves the other as it is.
	out, _ := rsReshape(t, m, ReshapeSpec{Inputs: []NamedShape{{"vec", model.Shape{4}}}})
	if got := rsShapes(t, out); got["img"] != "(None, 8, 8, 1)" || got["vec"] != "(None, 4)" {
		t.Errorf("shapes %v", got)
	}
}

// mobileStem is the correct_pad pattern of MobileNetV2 / EfficientNet: a
// ZeroPadding2D computed for a 224x224 input before a strided "valid" conv.
const mobileStem = `{"class_name": "Functional", "config": {"name": "stem", "trainable": true, "layers": [
  {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 224, 224, 3], "dtype": "float32", "sparse": false, "ragged": false, "name": "input_1"}, "name": "input_1", "inbound_nodes": []},
  {"class_name": "ZeroPadding2D", "config": {"name": "stem_pad", "trainable": true, "dtype": "float32", "padding": [[0, 1], [0, 1]], "data_format": "channels_last"}, "name": "stem_pad", "inbound_nodes": [[["input_1", 0, 0, {}]]]},
  {"class_name": "Conv2D", "config": {"name": "stem_conv", "trainable": true, "dtype": "float32", "filters": 4, "kernel_size": [3, 3], "strides": [2, 2], "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "linear", "use_bias": false}, "name": "stem_conv", "inbound_nodes": [[["stem_pad", 0, 0, {}]]]},
  {"class_name": "ZeroPadding2D", "config": {"name": "fixed_pad", "trainable": true, "dtype": "float32", "padding": [[1, 1], [1, 1]], "data_format": "channels_last"}, "name": "fixed_pad", "inbound_nodes": [[["stem_conv", 0, 0, {}]]]},
  {"class_name": "Conv2D", "config": {"name": "conv2", "trainable": true, "dtype": "float32", "filters": 4, "kernel_size": [3, 3], "strides": [2, 2], "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "linear", "use_bias": false}, "name": "conv2", "inbound_nodes": [[["fixed_pad", 0, 0, {}]]]}],
  "input_layers": [["input_1", 0, 0]], "output_layers": [["conv2", 0, 0]]}}`

func TestReshapePaddingWarnings(t *testing.T) {
	m := rsParse(t, mobileStem, model.Keras2)
	for _, tc := range []struct {
		shape model.Shape
		warn  string
	}{
		{model.Shape{128, 128, 3}, ""},
		{model.Shape{model.None, model.None, 3}, ""},
		{model.Shape{97, 97, 3}, `layer "stem_pad" (ZeroPadding2D): keeps padding ((0, 1), (0, 1)), computed for the old input size; built for the new size, Keras's application would compute ((1, 1), (1, 1)) here (correct_pad for its 97x97 input there)`},
	} {
		_, warns := rsReshape(t, m, ReshapeSpec{Shape: tc.shape})
		var got []string
		for _, w := range warns {
			got = append(got, w.String())
		}
		want := []string(nil)
		if tc.warn != "" {
			want = []string{tc.warn} // fixed_pad ((1,1),(1,1)) is not correct_pad's: never warned about
		}
		if !slices.Equal(got, want) {
			t.Errorf("%v: warnings %q, want %q", tc.shape, got, want)
		}
	}
}

func TestReshapeUnknownLayers(t *testing.T) {
	// The same shape: nothing changes after the Lambda, nothing to check.
	m := openFixture(t, "k2", "lambda")
	if _, warns := rsReshape(t, m, ReshapeSpec{Shape: model.Shape{5}, Nest: true}); len(warns) != 0 {
		t.Errorf("warnings %v", warns)
	}
	// A Lambda or custom layer whose input changes: modelsurg cannot know
	// what it does, so it cannot check the Dense after it.
	for _, tc := range []struct{ name, layer, msg string }{
		{"lambda_on_path", "scale", `layer "scale" (Lambda): modelsurg cannot infer its output shape, and its input changes from (None, 4, 4, 4) to (None, 8, 8, 4): it cannot check the layers after it`},
		{"custom_layer", "pool", `layer "pool" (MyPool): modelsurg cannot infer its output shape, and its input changes from (None, 8, 8, 4) to (None, 16, 16, 4)`},
	} {
		re, se := rsRefusal(t, openFixture(t, "bad", tc.name), ReshapeSpec{Shape: model.Shape{16, 16, 3}})
		if se == nil || se.Layer != tc.layer || !strings.Contains(re.Error(), tc.msg) {
			t.Errorf("%s: %v", tc.name, re)
		}
	}
}

func rsNames(ws []*model.Weight) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Name)
	}
	return out
}

func TestReshapeNest(t *testing.T) {
	tests := []struct {
		dialect, name string
		shape         model.Shape
		class         string // of the nested layer
		input, output string // the new input's name, output_layers as written
		weights       []string
	}{
		{"k2", "branches", model.Shape{16, 16, 3}, "Functional", "input_1", `"output_layers": [["branches", 1, 0]]`,
			[]string{"branch_a/kernel:0", "branch_a/bias:0", "branch_b/kernel:0", "branch_b/bias:0", "branch_c/kernel:0", "branch_c/bias:0", "logits/kernel:0", "logits/bias:0"}},
		{"k3", "branches", model.Shape{16, 16, 3}, "Functional", "input_layer", `"output_layers": ["branches", 1, 0]`,
			[]string{"branch_a/kernel", "branch_a/bias", "branch_b/kernel", "branch_b/bias", "branch_c/kernel", "branch_c/bias", "logits/kernel", "logits/bias"}},
		// Trainable weights of every sublayer first, then the BatchNormalization statistics.
		{"k2", "nested", model.Shape{6}, "Functional", "input_1", `"output_layers": [["nested", 1, 0]]`,
			[]string{"pre/kernel:0", "pre/bias:0", "inner_bn_a/gamma:0", "inner_bn_a/beta:0", "inner_dense/kernel:0", "inner_dense/bias:0", "inner_bn_b/gamma:0", "inner_bn_b/beta:0", "post/kernel:0", "post/bias:0", "inner_bn_a/moving_mean:0", "inner_bn_a/moving_variance:0", "inner_bn_b/moving_mean:0", "inner_bn_b/moving_variance:0"}},
		// A Keras 2 Sequential becomes a Functional model (Keras 3 loads that).
		{"k2", "sequential_cnn", model.Shape{8, 8, 3}, "Functional", "input_1", `"output_layers": [["sequential_cnn", 1, 0]]`,
			[]string{"conv/kernel:0", "conv/bias:0", "dense/kernel:0", "dense/bias:0"}},
		{"k3", "sequential_cnn", model.Shape{8, 8, 3}, "Sequential", "input_layer", `"output_layers": ["sequential_cnn", 0, 0]`,
			[]string{"sequential_cnn/conv/kernel", "sequential_cnn/conv/bias", "sequential_cnn/dense/kernel", "sequential_cnn/dense/bias"}},
		{"k3", "lambda", model.Shape{5}, "Functional", "input_layer", `"output_layers": ["lambda_model", 1, 0]`,
			[]string{"dense/kernel", "dense/bias", "out/kernel", "out/bias"}},
	}
	for _, tc := range tests {
		t.Run(tc.dialect+"/"+tc.name, func(t *testing.T) {
			m := openFixture(t, tc.dialect, tc.name)
			out, _ := rsReshape(t, m, ReshapeSpec{Shape: tc.shape, Nest: true})
			if len(out.Layers) != 2 || out.Layers[0].Class != "InputLayer" || out.Layers[0].Name != tc.input || out.Layers[1].Class != tc.class {
				t.Fatalf("layers %v", rsLayerList(out))
			}
			nl := out.Layers[1]
			if got := rsNames(nl.Weights); !slices.Equal(got, tc.weights) {
				t.Errorf("weights\n got %q\nwant %q", got, tc.weights)
			}
			if len(out.Layers[0].Weights) != 0 {
				t.Error("the input has weights")
			}
			cfg := string(model.Marshal(out))
			if !strings.Contains(cfg, tc.output) {
				t.Errorf("config lacks %s:\n%.300s", tc.output, cfg[len(cfg)-300:])
			}
			// The same weights as the source, by reference, and the totals.
			var src []*model.Weight
			for _, l := range m.Layers {
				src = append(src, l.Weights...)
			}
			for _, w := range nl.Weights {
				if !slices.Contains(src, w) {
					t.Errorf("weight %s is not a source reference", w.Name)
				}
			}
			s, err := model.Infer(out)
			if err != nil {
				t.Fatal(err)
			}
			p, err := model.LayerParams(out, nl, s)
			if err != nil {
				t.Fatal(err)
			}
			var total int64
			for _, w := range src {
				total += w.Size()
			}
			if p.Total != total {
				t.Errorf("nested layer holds %d params, the source %d", p.Total, total)
			}
			if tc.dialect == "k3" && !strings.Contains(cfg, `"kwargs": {"mask": null}`) {
				t.Error("Keras 3 nested call without mask kwarg")
			}
		})
	}
}

func rsLayerList(m *model.Model) []string {
	var out []string
	for _, l := range m.Layers {
		out = append(out, l.Name+" ("+l.Class+")")
	}
	return out
}

func TestReshapeNestNames(t *testing.T) {
	// A source whose input is already called input_1 gets input_2 outside.
	m := openFixture(t, "k2", "branches")
	cfg := strings.ReplaceAll(string(model.Marshal(m)), `"image"`, `"input_1"`)
	m2, err := model.Parse([]byte(cfg), model.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range m.Layers {
		m2.Layers[i].Weights = l.Weights
	}
	out, _ := rsReshape(t, m2, ReshapeSpec{Shape: model.Shape{8, 8, 3}, Nest: true})
	if out.Layers[0].Name != "input_2" || out.Name != "model" {
		t.Errorf("input %q, model %q", out.Layers[0].Name, out.Name)
	}
	// Two inputs, Keras 3: input_layer, input_layer_1, a list-form call.
	out, _ = rsReshape(t, openFixture(t, "k3", "multi_io"), ReshapeSpec{Inputs: []NamedShape{{"vec", model.Shape{4}}}, Nest: true})
	if got := rsLayerList(out); !slices.Equal(got, []string{"input_layer (InputLayer)", "input_layer_1 (InputLayer)", "multi_io (Functional)"}) {
		t.Errorf("layers %v", got)
	}
	cfg = string(model.Marshal(out))
	for _, want := range []string{`"mask": [null, null]`, `"output_layers": [["multi_io", 1, 0], ["multi_io", 1, 1]]`, `"input_layers": [["input_layer", 0, 0], ["input_layer_1", 0, 0]]`} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config lacks %s", want)
		}
	}
}

func TestReshapeNestRefuses(t *testing.T) {
	re, se := rsRefusal(t, openFixture(t, "k2", "sequential_cnn"), ReshapeSpec{Shape: model.Shape{16, 16, 3}, Nest: true})
	if se == nil || se.Layer != "dense" || !strings.Contains(re.Hint, "replace-head") {
		t.Errorf("refusal %v hint %q", re, re.Hint)
	}
}

func TestReshapeAdaptKernel(t *testing.T) {
	// kernel (1, 1, 3, 2): channel c, filter f = 10c + f
	k := []float32{0, 1, 10, 11, 20, 21}
	shape := []int{1, 1, 3, 2}
	for _, tc := range []struct {
		mode  AdaptMode
		n     int
		want  []float32
		shape []int
	}{
		{AdaptSum, 1, []float32{30, 33}, []int{1, 1, 1, 2}},
		{AdaptMean, 1, []float32{10, 11}, []int{1, 1, 1, 2}},
		// repeat to 4: channels 0,1,2,0 scaled by 3/4
		{AdaptRepeat, 4, []float32{0, 0.75, 7.5, 8.25, 15, 15.75, 0, 0.75}, []int{1, 1, 4, 2}},
		{AdaptRepeat, 2, []float32{0, 1.5, 15, 16.5}, []int{1, 1, 2, 2}},
	} {
		got, gs := AdaptKernel(k, shape, tc.n, tc.mode)
		if !slices.Equal(got, tc.want) || !slices.Equal(gs, tc.shape) {
			t.Errorf("%s %d: %v %v, want %v %v", tc.mode, tc.n, got, gs, tc.want, tc.shape)
		}
	}
}

func TestReshapeAdaptChannels(t *testing.T) {
	m := openFixture(t, "k2", "sequential_cnn")
	read := func(w *model.Weight) ([]float32, error) {
		v := make([]float32, w.Size())
		for i := range v {
			v[i] = float32(i)
		}
		return v, nil
	}
	out, warns := rsReshape(t, m, ReshapeSpec{Shape: model.Shape{8, 8, 1}, Adapt: AdaptSum, Read: read})
	if len(warns) != 0 {
		t.Errorf("warnings %v", warns)
	}
	conv, src := out.Layer("conv"), m.Layer("conv")
	k := conv.Weights[0]
	if !isNew(k) || !slices.Equal(k.Shape, []int{3, 3, 1, 4}) || k.DType != "float32" || k.Name != src.Weights[0].Name {
		t.Fatalf("kernel %+v", k)
	}
	// position (0,0), filter 0: channels 0, 4, 8 of the 3x3x3x4 ramp
	if values(k)[0] != 0+4+8 || values(k)[1] != 1+5+9 {
		t.Errorf("kernel data %v", values(k)[:4])
	}
	if conv.Weights[1] != src.Weights[1] {
		t.Error("the bias is not the source reference")
	}
	if out.Layer("dense").Weights[0] != m.Layer("dense").Weights[0] {
		t.Error("dense kernel changed")
	}
	if isNew(m.Layer("conv").Weights[0]) {
		t.Error("the source model was modified")
	}

	for _, tc := range []struct {
		m     *model.Model
		shape model.Shape
		mode  AdaptMode
		msg   string
	}{
		{openFixture(t, "k2", "layers_mix"), model.Shape{8, 8, 1}, AdaptSum, `layer "depthwise" (DepthwiseConv2D): reads the input channels`},
		{openFixture(t, "k2", "branches"), model.Shape{8, 8, 4}, AdaptRepeat, `layer "concat" (Concatenate): combines the input channels`},
		{m, model.Shape{8, 8, 4}, AdaptSum, `{Adapt} sum makes 1 channel, the new shape has 4 (use repeat)`},
		{m, model.Shape{8, 8, 1}, AdaptRepeat, `{Adapt} repeat makes 2 or more channels`},
	} {
		_, _, err := ReshapeInput(tc.m, ReshapeSpec{Shape: tc.shape, Adapt: tc.mode, Read: read})
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s %v %s: error %v, want %q", tc.m.Name, tc.shape, tc.mode, err, tc.msg)
		}
	}
	// No channel change: nothing to adapt, said in a warning.
	_, warns = rsReshape(t, m, ReshapeSpec{Shape: model.Shape{8, 8, 3}, Adapt: AdaptMean, Read: read})
	if len(warns) != 1 || !strings.Contains(warns[0].Msg, "does not change") {
		t.Errorf("warnings %v", warns)
	}
}

// backboneK2 is a transfer-learning model as tf-keras writes it: a conv
// backbone nested as one layer, called on the model's input.
const backboneK2 = `{"class_name": "Functional", "config": {"name": "transfer", "trainable": true, "layers": [
  {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 8, 8, 3], "dtype": "float32", "sparse": false, "ragged": false, "name": "image"}, "name": "image", "inbound_nodes": []},
  {"class_name": "Functional", "config": {"name": "backbone", "trainable": true, "layers": [
     {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 8, 8, 3], "dtype": "float32", "sparse": false, "ragged": false, "name": "bb_in"}, "name": "bb_in", "inbound_nodes": []},
     {"class_name": "Conv2D", "config": {"name": "bb_conv", "trainable": true, "dtype": "float32", "filters": 4, "kernel_size": [3, 3], "strides": [2, 2], "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "linear", "use_bias": true}, "name": "bb_conv", "inbound_nodes": [[["bb_in", 0, 0, {}]]]}],
     "input_layers": [["bb_in", 0, 0]], "output_layers": [["bb_conv", 0, 0]]},
   "name": "backbone", "inbound_nodes": [[["image", 0, 0, {}]]]},
  {"class_name": "GlobalAveragePooling2D", "config": {"name": "gap", "trainable": true, "dtype": "float32", "data_format": "channels_last", "keepdims": false}, "name": "gap", "inbound_nodes": [[["backbone", 1, 0, {}]]]},
  {"class_name": "Dense", "config": {"name": "head", "trainable": true, "dtype": "float32", "units": 2, "activation": "linear", "use_bias": true}, "name": "head", "inbound_nodes": [[["gap", 0, 0, {}]]]}],
  "input_layers": [["image", 0, 0]], "output_layers": [["head", 0, 0]]}}`

func TestReshapeNestedBackbone(t *testing.T) {
	m := rsParse(t, backboneK2, model.Keras2)
	for _, tc := range []struct {
		shape model.Shape
		want  string
	}{
		{model.Shape{16, 16, 3}, `"batch_input_shape": [null, 16, 16, 3], "dtype": "float32", "sparse": false, "ragged": false, "name": "bb_in"`},
		{model.Shape{model.None, model.None, 3}, `"batch_input_shape": [null, null, null, 3], "dtype": "float32", "sparse": false, "ragged": false, "name": "bb_in"`},
	} {
		out, _ := rsReshape(t, m, ReshapeSpec{Shape: tc.shape})
		if cfg := string(model.Marshal(out)); !strings.Contains(cfg, tc.want) {
			t.Errorf("%v: the backbone's input is not reshaped", tc.shape)
		}
		if got := rsShapes(t, out)["backbone"]; tc.shape[0] == 16 && got != "(None, 7, 7, 4)" {
			t.Errorf("backbone output %s", got)
		}
	}
}

func TestReshapeAdaptNested(t *testing.T) {
	m := rsParse(t, backboneK2, model.Keras2)
	read := func(w *model.Weight) ([]float32, error) {
		v := make([]float32, w.Size())
		for i := range v {
			v[i] = float32(i)
		}
		return v, nil
	}
	out, _ := rsReshape(t, m, ReshapeSpec{Shape: model.Shape{8, 8, 1}, Adapt: AdaptMean, Read: read})
	bb, src := out.Layer("backbone"), m.Layer("backbone")
	k := bb.Weights[0]
	if !slices.Equal(k.Shape, []int{3, 3, 1, 4}) || values(k)[0] != (0+4+8)/3.0 {
		t.Errorf("nested kernel %v %v", k.Shape, values(k)[:2])
	}
	if bb.Weights[1] != src.Weights[1] {
		t.Error("the nested bias is not the source reference")
	}
	for _, l := range bb.Sub.Layers {
		if len(l.Weights) != 0 {
			t.Errorf("sublayer %s holds weights", l.Name)
		}
	}
	if !strings.Contains(string(model.Marshal(out)), `"batch_input_shape": [null, 8, 8, 1], "dtype": "float32", "sparse": false, "ragged": false, "name": "bb_in"`) {
		t.Error("the backbone's input keeps 3 channels")
	}
}
