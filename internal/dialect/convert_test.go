package dialect

import (
	"errors"
	"os"
	"strings"
	"testing"

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
		{`"class_name": "TFOpLambda", "config": {"name": "tf.math.reduce_mean", "function": "math.reduce_mean"}`, `layer "tf.math.reduce_mean": a TensorFlow op layer (tf.math.reduce_mean), which Keras 3 does not have: no built-in Keras 3 layer computes it exactly`},
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
