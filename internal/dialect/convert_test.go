package dialect

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/modelsurg/modelsurg/internal/jsonx"
	"github.com/modelsurg/modelsurg/internal/model"
)

func TestConvertRenamesSlashes(t *testing.T) {
	m := seq(t, model.Keras2,
		`"class_name": "Conv2D", "config": {"name": "conv1/conv", "filters": 2, "kernel_size": [1, 1], "dtype": "float32"}`,
		`"class_name": "Conv2D", "config": {"name": "conv1_conv", "filters": 2, "kernel_size": [1, 1], "dtype": "float32"}`)
	out, rep, err := Convert(m, model.Keras3)
	if err != nil {
		t.Fatal(err)
	}
	// conv1_conv is taken: the new name must not clash
	if got := rep.Renamed["conv1/conv"]; got == "" || got == "conv1_conv" || strings.Contains(got, "/") {
		t.Errorf("renamed to %q", got)
	}
	if out.Dialect != model.Keras3 || m.Dialect != model.Keras2 {
		t.Errorf("dialects %v, %v", out.Dialect, m.Dialect)
	}
	if fs := Find("slash-in-names").Detect(out); len(fs) != 0 {
		t.Errorf("still %v", fs)
	}
	if out.Layers[1].DTypePolicy() != "float32" || out.Layers[1].Config.Get("dtype").Str != "" {
		t.Errorf("dtype %v is not a DTypePolicy object", out.Layers[1].Config.Get("dtype"))
	}
}

func TestConvertRefuses(t *testing.T) {
	cases := []struct{ layer, want string }{
		{`"class_name": "DepthwiseConv2D", "config": {"name": "dw", "kernel_size": [3, 3], "groups": 2}`, `layer "dw": groups is 2`},
		{`"class_name": "Reshape", "config": {"name": "r", "target_shape": [8, 24]}}, {"class_name": "LSTM", "config": {"name": "l", "units": 2, "time_major": true}`, `layer "l": time_major is true`},
		{`"class_name": "Dense", "config": {"name": "d", "units": 2, "activation": "hard_sigmoid"}`, `layer "d": activation "hard_sigmoid"`},
		{`"class_name": "TFOpLambda", "config": {"name": "tf.math.reduce_max", "function": "math.reduce_max"}`, `layer "tf.math.reduce_max": a TensorFlow op layer (tf.math.reduce_max), which Keras 3 does not have: no built-in Keras 3 layer computes it exactly`},
		{`"class_name": "TFOpLambda", "config": {"name": "tf.math.reduce_mean", "function": "math.reduce_mean"}`, `layer "tf.math.reduce_mean": a TensorFlow op layer (tf.math.reduce_mean), which Keras 3 does not have: a mean over every axis, the batch axis too`},
	}
	for _, c := range cases {
		_, _, err := Convert(seq(t, model.Keras2, c.layer), model.Keras3)
		var ce *ConvertError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.layer, err, c.want)
		}
	}
}

// TestConvertTFOps: every TF op of testdata/convert/k2/tfops_exact (made by
// tf-keras, see gen_convert_fixtures.py) becomes the built-in layer that
// computes it; tests/interop/test_convert.py checks the predictions.
func TestConvertTFOps(t *testing.T) {
	data, err := os.ReadFile("../../testdata/convert/k2/tfops_exact.json")
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Parse(data, model.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	out, rep, err := Convert(m, model.Keras3)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"tf.__operators__.add": "Rescaling", "tf.math.multiply": "Rescaling", "tf.math.subtract": "Rescaling",
		"tf.math.truediv": "Rescaling", "tf.nn.relu6": "ReLU", "tf.nn.relu": "ReLU", "tf.concat": "Concatenate",
		"tf.reshape": "Reshape", "tf.compat.v1.transpose": "Permute", "tf.expand_dims": "Reshape",
		"tf.compat.v1.squeeze": "Reshape", "tf.math.add": "Add", "tf.math.maximum": "Maximum",
		"tf.math.minimum": "Minimum", "tf.math.multiply_1": "Multiply", "tf.math.subtract_2": "Subtract",
	}
	got := map[string]string{}
	for _, l := range out.Layers {
		got[l.Name] = l.Class
	}
	for name, class := range want {
		if got[name] != class {
			t.Errorf("%s is %s, want %s", name, got[name], class)
		}
	}
	for _, l := range out.Layers {
		if l.Class == "TFOpLambda" {
			t.Errorf("%s left", l.Name)
		}
	}
	if len(rep.Rewrites) == 0 {
		t.Error("no rewrites reported")
	}
}

// TestConvertTFOpChains: the ops of testdata/configs/k2/tfops.json that
// become several built-in layers (tests/interop/test_convert.py measures
// them bit-identical in Keras 3): the op layer keeps its name as the
// chain's last layer.
func TestConvertTFOpChains(t *testing.T) {
	out, _, err := Convert(parseConfig(t, "../../testdata/configs/k2/tfops.json", model.Keras2), model.Keras3)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ name, class, cfg string }{
		{"tf.math.reduce_mean", "GlobalAveragePooling1D", `"data_format": "channels_last", "keepdims": true`},
		{"tf.linalg.matmul", "Dot", `"axes": [2, 2], "normalize": false`},
		{"tf.math.reduce_mean_1_reshape", "Reshape", `"target_shape": [16, 1]`},
		{"tf.math.reduce_mean_1_pool", "GlobalAveragePooling1D", `"data_format": "channels_last", "keepdims": false`},
		{"tf.math.reduce_mean_1", "Reshape", `"target_shape": []`},
		{"tf.__operators__.getitem_reshape", "Reshape", `"target_shape": [8, 1]`},
		{"tf.__operators__.getitem_crop", "Cropping1D", `"cropping": [1, 5]`},
		{"tf.__operators__.getitem", "Reshape", `"target_shape": [2]`},
		{"tf.__operators__.getitem_1", "Reshape", `"target_shape": [1]`},
	}
	for _, w := range want {
		l := out.Layer(w.name)
		if l == nil {
			t.Errorf("no layer %s", w.name)
			continue
		}
		if cfg := string(jsonx.Marshal(&jsonx.Value{Kind: jsonx.Object, Obj: l.Config})); l.Class != w.class || !strings.Contains(cfg, w.cfg) {
			t.Errorf("%s is %s %s, want %s with %s", w.name, l.Class, cfg, w.class, w.cfg)
		}
	}
	for _, l := range out.Layers {
		if l.Class == "TFOpLambda" || l.Class == "SlicingOpLambda" {
			t.Errorf("%s left", l.Name)
		}
	}
	s, err := model.Infer(out)
	if err != nil {
		t.Fatal(err)
	}
	for name, shape := range map[string]string{"tf.math.reduce_mean_1": "(None,)", "tf.__operators__.getitem": "(None, 2)", "tf.__operators__.getitem_1": "(None, 1)", "tf.linalg.matmul": "(None, 4, 4)"} {
		if got := s.Outputs(model.NodeID{Layer: out.Layer(name), Node: 0})[0].String(); got != shape {
			t.Errorf("%s outputs %s, want %s", name, got, shape)
		}
	}
}

// chainOf runs the chain rewrite of op fn on one tensor of shape in with
// the keyword arguments kw (a JSON object).
func chainOf(t *testing.T, fn string, in model.Shape, kw string) ([]step, error) {
	t.Helper()
	v, err := jsonx.Parse(kw)
	if err != nil {
		t.Fatal(err)
	}
	o := &tfOp{fn: fn, n: &model.Node{In: []model.Tensor{{}}}, in: in, ins: []model.Shape{in}, kw: v.Obj}
	return chainOps[fn](o)
}

func describeSteps(steps []step) string {
	var parts []string
	for _, st := range steps {
		parts = append(parts, st.class+string(jsonx.Marshal(&jsonx.Value{Kind: jsonx.Object, Obj: st.cfg})))
	}
	return strings.Join(parts, " + ")
}

func TestTFOpChainForms(t *testing.T) {
	n := model.None
	for _, c := range []struct {
		fn   string
		in   model.Shape
		kw   string
		want string // the steps, or the error
	}{
		{"math.reduce_mean", model.Shape{n, 4, 4}, `{"axis": 2}`, `GlobalAveragePooling1D{"data_format": "channels_first", "keepdims": false}`},
		{"math.reduce_mean", model.Shape{n, 7, 9, 5}, `{"axis": [1, 2]}`, `Reshape{"target_shape": [63, 5]} + GlobalAveragePooling1D{"data_format": "channels_last", "keepdims": false}`},
		{"math.reduce_mean", model.Shape{n, 7, 9, 5}, `{"axis": [-1], "keepdims": true}`, `Reshape{"target_shape": [63, 5]} + GlobalAveragePooling1D{"data_format": "channels_first", "keepdims": false} + Reshape{"target_shape": [7, 9, 1]}`},
		{"math.reduce_mean", model.Shape{n, 7, 9, 5}, `{"axis": 2}`, "a mean over middle axes [2]"},
		{"math.reduce_mean", model.Shape{n, 7, 9, 5}, `{"axis": [1, 3]}`, "not contiguous"},
		{"math.reduce_mean", model.Shape{n, 7, 9}, `{"axis": 0}`, "a mean over axis 0"},
		{"math.reduce_mean", model.Shape{n, n, 9}, `{"axis": 1}`, "not known in full"},
		{"__operators__.getitem", model.Shape{n, 3, 8, 5}, `{"slice_spec": [{"start": null, "stop": null, "step": null}, {"start": null, "stop": null, "step": null}, {"start": 2, "stop": -2, "step": null}]}`,
			`Cropping2D{"cropping": [[0, 0], [2, 2]], "data_format": "channels_last"}`},
		{"__operators__.getitem", model.Shape{n, 8, 3}, `{"slice_spec": [{"start": null, "stop": null, "step": null}, 5]}`, `Cropping1D{"cropping": [5, 2]} + Reshape{"target_shape": [3]}`},
		{"__operators__.getitem", model.Shape{n, 8, 3}, `{"slice_spec": [{"start": null, "stop": null, "step": null}, {"start": -3, "stop": null, "step": 1}, null]}`, `Cropping1D{"cropping": [5, 0]} + Reshape{"target_shape": [3, 1, 3]}`},
		{"__operators__.getitem", model.Shape{n, 8}, `{"slice_spec": [{"start": null, "stop": null, "step": null}, {"start": null, "stop": null, "step": 2}]}`, "a slice with a step"},
		{"__operators__.getitem", model.Shape{n, 8, 3}, `{"slice_spec": [{"start": null, "stop": null, "step": null}, 1, 2]}`, "a slice of more than one axis"},
		{"__operators__.getitem", model.Shape{n, 8}, `{"slice_spec": [{"start": 1, "stop": null, "step": null}]}`, "a slice of the batch axis"},
		{"__operators__.getitem", model.Shape{n, 8}, `{"slice_spec": [{"start": null, "stop": null, "step": null}, {"start": 5, "stop": 2, "step": null}]}`, "an empty slice"},
	} {
		steps, err := chainOf(t, c.fn, c.in, c.kw)
		got := describeSteps(steps)
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, c.want) {
			t.Errorf("%s %s %s:\n got %s\nwant %s", c.fn, c.in, c.kw, got, c.want)
		}
	}
}

func TestTFOpMatmulForms(t *testing.T) {
	for _, c := range []struct {
		a, b model.Shape
		kw   string
		want string
	}{
		{model.Shape{-1, 7, 33}, model.Shape{-1, 33, 9}, `{"b": ["x", 0, 0]}`, `Dot{"axes": [2, 1], "normalize": false}`},
		{model.Shape{-1, 7, 33}, model.Shape{-1, 9, 33}, `{"b": ["x", 0, 0], "transpose_b": true}`, `Dot{"axes": [2, 2], "normalize": false}`},
		{model.Shape{-1, 33, 7}, model.Shape{-1, 33, 9}, `{"b": ["x", 0, 0], "transpose_a": true}`, `transpose_a is true`},
		{model.Shape{-1, 33}, model.Shape{-1, 33}, `{"b": ["x", 0, 0], "transpose_b": true}`, `not both of rank 3`},
		{model.Shape{-1, 7, 33}, nil, `{"b": [[1.0]]}`, `not two tensors`},
	} {
		v, err := jsonx.Parse(c.kw)
		if err != nil {
			t.Fatal(err)
		}
		in := []model.Tensor{{}, {}}
		if c.b == nil {
			in = in[:1]
		}
		o := &tfOp{fn: "linalg.matmul", n: &model.Node{In: in}, in: c.a, ins: []model.Shape{c.a, c.b}, kw: v.Obj}
		steps, err := o.matmul()
		got := describeSteps(steps)
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, c.want) {
			t.Errorf("%s: got %s, want %s", c.kw, got, c.want)
		}
	}
}
