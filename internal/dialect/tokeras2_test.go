package dialect

import (
	"os"
	"strings"
	"testing"

	"github.com/modelsurg/modelsurg/internal/jsonx"
	"github.com/modelsurg/modelsurg/internal/model"
)

func parseConfig(t *testing.T, path string, d model.Dialect) *model.Model {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Parse(data, d)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// layerEntry is the layers[] entry named name in m's marshalled config.
func layerEntry(t *testing.T, m *model.Model, name string) *jsonx.Obj {
	t.Helper()
	v, err := jsonx.Parse(model.Marshal(m))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range v.Obj.Object("config").Get("layers").Elems {
		if n, _ := l.Obj.String("name"); n == name {
			return l.Obj
		}
	}
	t.Fatalf("no layer %q", name)
	return nil
}

// TestConvertKeras3Lambda: Keras 3's Lambda (configs/k3/lambda.json) is
// written as tf-keras writes the same lambda (configs/k2/lambda.json):
// the same bytecode, function_type lambda; module null (Keras 3 keeps none).
func TestConvertKeras3Lambda(t *testing.T) {
	out, rep, err := Convert(parseConfig(t, "../../testdata/configs/k3/lambda.json", model.Keras3), model.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	got := layerEntry(t, out, "affine_lambda").Object("config")
	want := layerEntry(t, parseConfig(t, "../../testdata/configs/k2/lambda.json", model.Keras2), "affine_lambda").Object("config")
	want.Set("module", jsonx.NullV())
	if g, w := string(jsonx.Marshal(&jsonx.Value{Kind: jsonx.Object, Obj: got})), string(jsonx.Marshal(&jsonx.Value{Kind: jsonx.Object, Obj: want})); g != w {
		t.Errorf("config\n got %s\nwant %s", g, w)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "holds Python bytecode") {
		t.Errorf("warnings %q", rep.Warnings)
	}
}

func TestConvertKeras3LambdaRefuses(t *testing.T) {
	for _, c := range []struct{ fn, want string }{
		{`{"module": "builtins", "class_name": "function", "config": "abs", "registered_name": "function"}`, `function: not a Python lambda (class_name "function")`},
		{`{"class_name": "__lambda__", "config": {"code": "x", "defaults": null, "closure": [{"class_name": "__tensor__", "config": {}}]}}`, `function: its closure are not plain values`},
	} {
		m := seq(t, model.Keras3, `"class_name": "Lambda", "config": {"name": "lam", "trainable": true, "function": `+c.fn+`, "arguments": {}}`)
		if _, _, err := Convert(m, model.Keras2); err == nil || !strings.Contains(err.Error(), `layer "lam": `+c.want) {
			t.Errorf("%s: %v, want %q", c.fn, err, c.want)
		}
	}
}

// TestConvertMergeConstant: Keras 3's Add / Multiply on a constant
// (configs/k3/keras3_ops.json) become the TFOpLambda node tf-keras writes
// for tf.math.add(h, y=np.ones((1, 4), "float32")) (measured with
// tf_keras 2.21.0: a bare entry, the constant as the keyword y).
func TestConvertMergeConstant(t *testing.T) {
	out, _, err := Convert(parseConfig(t, "../../testdata/configs/k3/keras3_ops.json", model.Keras3), model.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"add_const": `{"class_name": "TFOpLambda", "config": {"name": "add_const", "trainable": true, "dtype": "float32", "function": "math.add"}, "name": "add_const", "inbound_nodes": [["dense", 0, 0, {"y": [[1.0, 1.0, 1.0, 1.0]]}]]}`,
		"mul_const": `{"class_name": "TFOpLambda", "config": {"name": "mul_const", "trainable": true, "dtype": "float32", "function": "math.multiply"}, "name": "mul_const", "inbound_nodes": [["dense", 0, 0, {"y": [[2.0, 2.0, 2.0, 2.0]]}]]}`,
	} {
		if got := string(jsonx.Marshal(&jsonx.Value{Kind: jsonx.Object, Obj: layerEntry(t, out, name)})); got != want {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}

func TestConvertMergeConstantRefuses(t *testing.T) {
	k := func(name string, shape string) string {
		return `{"class_name": "__keras_tensor__", "config": {"shape": ` + shape + `, "dtype": "float32", "keras_history": ["` + name + `", 0, 0]}}`
	}
	c := func(v, dtype string) string {
		return `{"class_name": "__tensor__", "config": {"value": ` + v + `, "dtype": "` + dtype + `"}}`
	}
	for _, tc := range []struct{ class, args, want string }{
		{"Subtract", c("[[1.0]]", "float32") + ", " + k("d", "[null, 1]"), "a constant first operand"},
		{"Add", k("d", "[null, 1]") + ", " + c("[1.0]", "float32"), "a constant of another rank"},
		{"Add", k("d", "[null, 1]") + ", " + c("[[1.0]]", "float64"), `a constant of dtype "float64"`},
		{"Average", k("d", "[null, 1]") + ", " + c("[[1.0]]", "float32"), "Average called on a constant, which convert rewrites for Add"},
	} {
		cfg := `{"class_name": "Functional", "config": {"name": "m", "layers": [
			{"class_name": "InputLayer", "config": {"batch_shape": [null, 1], "dtype": "float32", "name": "d"}, "name": "d", "inbound_nodes": []},
			{"class_name": "` + tc.class + `", "config": {"name": "op", "trainable": true, "dtype": "float32"}, "name": "op",
			 "inbound_nodes": [{"args": [[` + tc.args + `]], "kwargs": {}}]}],
			"input_layers": [["d", 0, 0]], "output_layers": [["op", 0, 0]]}}`
		m, err := model.Parse([]byte(cfg), model.Keras3)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := Convert(m, model.Keras2); err == nil || !strings.Contains(err.Error(), `layer "op": `) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s(%s): %v, want %q", tc.class, tc.args, err, tc.want)
		}
	}
}
