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

func weights(shapes ...[]int) []*model.Weight {
	var ws []*model.Weight
	for _, s := range shapes {
		ws = append(ws, &model.Weight{Shape: s, DType: "float32"})
	}
	return ws
}

func build(t *testing.T) *Report {
	m, err := model.Parse([]byte(cnn), model.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	m.Layer("conv").Weights = weights([]int{3, 3, 3, 4}, []int{4})
	m.Layer("bn").Weights = weights([]int{4}, []int{4}, []int{4}, []int{4})
	m.Layer("out").Weights = weights([]int{144, 2}, []int{2})
	r, err := Build(m, Options{})
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

func TestWeightMismatchNamesLayer(t *testing.T) {
	m, _ := model.Parse([]byte(cnn), model.Keras2)
	m.Layer("conv").Weights = weights([]int{3, 3, 3, 4}, []int{4})
	m.Layer("bn").Weights = weights([]int{4}, []int{4}, []int{4}, []int{4})
	m.Layer("out").Weights = weights([]int{100, 2}, []int{2})
	_, err := Build(m, Options{})
	if err == nil || !strings.Contains(err.Error(), `layer "out"`) {
		t.Errorf("err = %v, want one naming layer out", err)
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
