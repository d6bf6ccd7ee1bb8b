package summary

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/modelsurg/modelsurg/internal/model"
)

// A Keras 2 config written by hand in tf-keras's form: Input(8,8,3) ->
// Conv2D(4, 3, valid) -> BatchNormalization -> Flatten -> Dense(2).
const cnn = `{"class_name": "Functional", "config": {"name": "cnn", "trainable": true, "layers": [
{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 8, 8, 3], "dtype": "float32", "name": "img"}, "name": "img", "inbound_nodes": []},
{"class_name": "Conv2D", "config": {"name": "conv", "trainable": true, "filters": 4, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "use_bias": true}, "name": "conv", "inbound_nodes": [[["img", 0, 0, {}]]]},
{"class_name": "BatchNormalization", "config": {"name": "bn", "trainable": true, "axis": [3], "center": true, "scale": true}, "name": "bn", "inbound_nodes": [[["conv", 0, 0, {}]]]},
{"class_name": "Flatten", "config": {"name": "flat", "trainable": true, "data_format": "channels_last"}, "name": "flat", "inbound_nodes": [[["bn", 0, 0, {}]]]},
{"class_name": "Dense", "config": {"name": "out", "trainable": false, "units": 2, "use_bias": true}, "name": "out", "inbound_nodes": [[["flat", 0, 0, {}]]]}],
"input_layers": [["img", 0, 0]], "output_layers": [["out", 0, 0]]}}`

// noWeights is an Options.Weights for models whose config gives every
// weight: it fails the test if Build asks.
func noWeights(t *testing.T) func(*model.Layer) ([]*model.Weight, error) {
	return func(l *model.Layer) ([]*model.Weight, error) {
		t.Errorf("Build asked for the weights of layer %q", l.Name)
		return nil, nil
	}
}

func parse(t *testing.T, cfg string) *model.Model {
	t.Helper()
	m, err := model.Parse([]byte(cfg), model.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func build(t *testing.T) *Report {
	r, err := Build(parse(t, cnn), Options{Weights: noWeights(t)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestBuildCounts(t *testing.T) {
	r := build(t)
	// conv 3*3*3*4+4 = 112; bn 4*4 = 16 (8 moving statistics); flatten 6*6*4 = 144;
	// out 144*2+2 = 290, frozen.
	if r.Total != 418 || r.Trainable != 120 || r.NonTrainable != 298 {
		t.Errorf("totals %d/%d/%d, want 418/120/298", r.Total, r.Trainable, r.NonTrainable)
	}
	want := map[string]string{"img": "(None, 8, 8, 3)", "conv": "(None, 6, 6, 4)", "flat": "(None, 144)", "out": "(None, 2)"}
	for _, row := range r.Rows {
		if w, ok := want[row.Name]; ok && ShapeText(row.Outputs) != w {
			t.Errorf("%s: %s, want %s", row.Name, ShapeText(row.Outputs), w)
		}
	}
}

func saved(dtype string, shapes ...[]int) []*model.Weight {
	var ws []*model.Weight
	for _, s := range shapes {
		ws = append(ws, &model.Weight{Shape: s, DType: dtype})
	}
	return ws
}

// A Lambda between flat and out: Build reads the weights of the Lambda
// and of the Dense after it (its input shape is unknown), no others.
func TestBuildReadsWhatTheConfigCannotGive(t *testing.T) {
	cfg := strings.Replace(cnn, `"inbound_nodes": [[["flat", 0, 0, {}]]]}]`, `"inbound_nodes": [[["lam", 0, 0, {}]]]},
{"class_name": "Lambda", "config": {"name": "lam", "trainable": true, "function": ["4wEAAA==", null, null]}, "name": "lam", "inbound_nodes": [[["flat", 0, 0, {}]]]}]`, 1)
	saves := map[string][]*model.Weight{"out": saved("float32", []int{144, 2}, []int{2})}
	var asked []string
	r, err := Build(parse(t, cfg), Options{Weights: func(l *model.Layer) ([]*model.Weight, error) {
		asked = append(asked, l.Name)
		return saves[l.Name], nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(asked, " ") != "lam out" {
		t.Errorf("Build read the weights of %v, want lam and out", asked)
	}
	if r.Total != 418 || r.Trainable != 120 || r.NonTrainable != 298 {
		t.Errorf("totals %d/%d/%d, want 418/120/298", r.Total, r.Trainable, r.NonTrainable)
	}
}

// totals renders the three totals lines.
func totals(t *testing.T, r *Report) string {
	var b bytes.Buffer
	if err := r.Text(&b, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	return s[strings.Index(s, " Total params"):]
}

// The model of cnn with every layer trainable and a dtype policy on all but
// the Dense (float32), as keras.config.set_dtype_policy /
// tf_keras.mixed_precision.set_global_policy make it. The expected totals
// are those Keras 3.15.1 and tf-keras 2.21.0 printed for the saved files.
func TestMemoryFromDtypePolicy(t *testing.T) {
	for _, c := range []struct {
		name, policy string
		bnDtype      string // what the file holds; "" when Build must not read it
		want         string
	}{
		{"keras3 float16", `{"class_name": "DTypePolicy", "config": {"name": "float16"}}`, "float16",
			" Total params: 418 (1.38 KB)\n Trainable params: 410 (1.37 KB)\n Non-trainable params: 8 (16.00 B)\n"},
		{"tf-keras float16", `"float16"`, "float32",
			" Total params: 418 (1.41 KB)\n Trainable params: 410 (1.38 KB)\n Non-trainable params: 8 (32.00 B)\n"},
		{"keras3 mixed_float16", `{"class_name": "DTypePolicy", "config": {"name": "mixed_float16"}}`, "",
			" Total params: 418 (1.63 KB)\n Trainable params: 410 (1.60 KB)\n Non-trainable params: 8 (32.00 B)\n"},
		{"tf-keras float64", `"float64"`, "",
			" Total params: 418 (2.13 KB)\n Trainable params: 410 (2.07 KB)\n Non-trainable params: 8 (64.00 B)\n"},
	} {
		cfg := strings.Replace(cnn, `"trainable": false`, `"trainable": true, "dtype": "float32"`, 1)
		for _, l := range []string{"conv", "bn", "flat"} {
			cfg = strings.Replace(cfg, `"name": "`+l+`", "trainable": true`, `"name": "`+l+`", "trainable": true, "dtype": `+c.policy, 1)
		}
		saves := map[string][]*model.Weight{
			"conv": saved("float16", []int{3, 3, 3, 4}, []int{4}),
			"bn":   saved(c.bnDtype, []int{4}, []int{4}, []int{4}, []int{4}),
		}
		var asked []string
		r, err := Build(parse(t, cfg), Options{Weights: func(l *model.Layer) ([]*model.Weight, error) {
			asked = append(asked, l.Name)
			return saves[l.Name], nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		if got := totals(t, r); got != c.want {
			t.Errorf("%s:\n%s want\n%s", c.name, got, c.want)
		}
		if want := map[bool]string{true: "", false: "conv bn"}[c.bnDtype == ""]; strings.Join(asked, " ") != want {
			t.Errorf("%s: Build read the weights of %v, want %q", c.name, asked, want)
		}
	}
}

// Normalization's count is int64 in both Kerases: Input(3) -> Normalization
// is 7 params in 32 bytes in Keras's summary (tf-keras 2.21.0, Keras 3.15.1).
func TestMemoryNormalizationCount(t *testing.T) {
	cfg := `{"class_name": "Functional", "config": {"name": "norm", "trainable": true, "layers": [
{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 3], "dtype": "float32", "name": "x"}, "name": "x", "inbound_nodes": []},
{"class_name": "Normalization", "config": {"name": "n", "trainable": true, "dtype": "float32", "axis": [-1], "invert": false}, "name": "n", "inbound_nodes": [[["x", 0, 0, {}]]]}],
"input_layers": [["x", 0, 0]], "output_layers": [["n", 0, 0]]}}`
	r, err := Build(parse(t, cfg), Options{Weights: noWeights(t)})
	if err != nil {
		t.Fatal(err)
	}
	want := " Total params: 7 (32.00 B)\n Trainable params: 0 (0.00 B)\n Non-trainable params: 7 (32.00 B)\n"
	if got := totals(t, r); got != want {
		t.Errorf("got\n%s want\n%s", got, want)
	}
}

func TestTextAndJSON(t *testing.T) {
	r := build(t)
	var b bytes.Buffer
	if err := r.Text(&b, TextOptions{First: 1, Last: 1, ShowTrainable: true}); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	for _, s := range []string{"Model: \"cnn\"", "Layer (type)", "Connected to", "| ...", "out (Dense)", " Total params: 418 (1.63 KB)", " Non-trainable params: 298 (1.16 KB)"} {
		if !strings.Contains(text, s) {
			t.Errorf("table lacks %q:\n%s", s, text)
		}
	}
	if strings.Contains(text, "conv (Conv2D)") {
		t.Errorf("--first 1 --last 1 kept a middle row:\n%s", text)
	}
	b.Reset()
	if err := r.JSON(&b); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Layers []struct {
			Name    string  `json:"name"`
			Outputs [][]any `json:"output_shapes"`
			Inbound []string
		} `json:"layers"`
		Total int64 `json:"total_params"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, b.String())
	}
	if doc.Total != 418 || len(doc.Layers) != 5 || doc.Layers[1].Inbound[0] != "img[0][0]" || doc.Layers[0].Outputs[0][0] != nil {
		t.Errorf("unexpected JSON:\n%s", b.String())
	}
}

func TestGroupAndSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 25636712: "25,636,712", -1234: "-1,234"} {
		if got := Group(n); got != want {
			t.Errorf("Group(%d) = %s", n, got)
		}
	}
	// Keras: 25,636,712 float32 params = "97.80 MB"; 53,120 = "207.50 KB".
	if got := Size(25636712 * 4); got != "97.80 MB" {
		t.Errorf("Size = %s", got)
	}
	if got := Size(53120 * 4); got != "207.50 KB" {
		t.Errorf("Size = %s", got)
	}
}
