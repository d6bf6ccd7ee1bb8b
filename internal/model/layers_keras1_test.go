package model

import (
	"testing"
)

// Keras 1.2 configs, as teamsoulless/thunderhill's models/nando/model.h5
// (Keras 1.2.1) stores them, and the weight shapes that file holds: no
// installed Keras writes Keras 1 configs, so the file is the oracle.
func TestKeras1Configs(t *testing.T) {
	N := None
	steps := []struct {
		class, cfg string
		weights    []WeightSpec
	}{
		{"Convolution2D", `{"nb_col": 5, "activation": "linear", "trainable": true, "dim_ordering": "tf", "nb_row": 5, "border_mode": "valid", "subsample": [2, 2], "bias": true, "init": "glorot_uniform", "nb_filter": 24, "name": "convolution2d_1"}`,
			[]WeightSpec{w("W", true, 5, 5, 3, 24), w("b", true, 24)}},
		{"ELU", `{"trainable": true, "alpha": 1.0, "name": "elu_1"}`, nil},
		{"Convolution2D", `{"nb_col": 5, "activation": "linear", "trainable": true, "dim_ordering": "tf", "nb_row": 5, "border_mode": "valid", "subsample": [2, 2], "bias": true, "init": "glorot_uniform", "nb_filter": 36, "name": "convolution2d_2"}`,
			[]WeightSpec{w("W", true, 5, 5, 24, 36), w("b", true, 36)}},
		{"Convolution2D", `{"nb_col": 5, "activation": "linear", "trainable": true, "dim_ordering": "tf", "nb_row": 5, "border_mode": "valid", "subsample": [2, 2], "bias": true, "init": "glorot_uniform", "nb_filter": 48, "name": "convolution2d_3"}`,
			[]WeightSpec{w("W", true, 5, 5, 36, 48), w("b", true, 48)}},
		{"Convolution2D", `{"nb_col": 3, "activation": "linear", "trainable": true, "dim_ordering": "tf", "nb_row": 3, "border_mode": "valid", "subsample": [1, 1], "bias": true, "init": "glorot_uniform", "nb_filter": 64, "name": "convolution2d_4"}`,
			[]WeightSpec{w("W", true, 3, 3, 48, 64), w("b", true, 64)}},
		{"Convolution2D", `{"nb_col": 3, "activation": "linear", "trainable": true, "dim_ordering": "tf", "nb_row": 3, "border_mode": "valid", "subsample": [1, 1], "bias": true, "init": "glorot_uniform", "nb_filter": 64, "name": "convolution2d_5"}`,
			[]WeightSpec{w("W", true, 3, 3, 64, 64), w("b", true, 64)}},
		{"Flatten", `{"trainable": true, "name": "flatten_1"}`, nil},
		// The Keras 1 Dense config records its input_dim: 1152 checks the convolutions.
		{"Dense", `{"input_dim": 1152, "output_dim": 100, "activation": "linear", "trainable": true, "init": "glorot_uniform", "bias": true, "name": "dense_1"}`,
			[]WeightSpec{w("W", true, 1152, 100), w("b", true, 100)}},
		{"Dropout", `{"trainable": true, "p": 0.5, "name": "dropout_1"}`, nil},
		{"Dense", `{"input_dim": 100, "output_dim": 50, "activation": "linear", "trainable": true, "init": "glorot_uniform", "bias": true, "name": "dense_2"}`,
			[]WeightSpec{w("W", true, 100, 50), w("b", true, 50)}},
	}
	s := Shape{N, 66, 200, 3}
	for _, st := range steps {
		cfg := mustObj(t, st.cfg)
		ws, err := LayerWeights(st.class, cfg, []Shape{s}, Keras2)
		if err != nil {
			t.Fatalf("%s on %s: %v", st.class, s, err)
		}
		if msg := compareWeights(ws, st.weights); msg != "" {
			t.Errorf("%s on %s: %s", st.class, s, msg)
		}
		out, err := InferLayer(st.class, cfg, []Shape{s}, Keras2)
		if err != nil || len(out) != 1 {
			t.Fatalf("%s on %s: %v, %v", st.class, s, out, err)
		}
		s = out[0]
	}
	if !s.Equal(Shape{N, 50}) {
		t.Errorf("output %s, want (None, 50)", s)
	}
}

// Other Keras 1 argument names, converted as keras/legacy/interfaces.py
// converts them.
func TestKeras1Arguments(t *testing.T) {
	N := None
	for _, tc := range []struct {
		class, cfg string
		in         []Shape
		want       Shape
	}{
		{"MaxPooling2D", `{"pool_size": [2, 2], "strides": null, "border_mode": "valid", "dim_ordering": "th"}`, []Shape{{N, 3, 8, 9}}, Shape{N, 3, 4, 4}},
		{"AveragePooling2D", `{"pool_size": [3, 3], "strides": [2, 2], "border_mode": "same", "dim_ordering": "tf"}`, []Shape{{N, 9, 8, 3}}, Shape{N, 5, 4, 3}},
		{"MaxPooling1D", `{"pool_length": 2, "stride": null, "border_mode": "valid"}`, []Shape{{N, 9, 3}}, Shape{N, 4, 3}},
		{"Convolution1D", `{"nb_filter": 4, "filter_length": 3, "border_mode": "same", "subsample_length": 2}`, []Shape{{N, 9, 3}}, Shape{N, 5, 4}},
		{"Convolution2D", `{"nb_filter": 4, "nb_row": 3, "nb_col": 3, "border_mode": "valid", "subsample": [1, 1], "dim_ordering": "th", "bias": false}`, []Shape{{N, 3, 8, 8}}, Shape{N, 4, 6, 6}},
		{"Merge", `{"mode": "concat", "concat_axis": -1}`, []Shape{{N, 4, 3}, {N, 4, 5}}, Shape{N, 4, 8}},
		{"Merge", `{"mode": "sum"}`, []Shape{{N, 4}, {N, 4}}, Shape{N, 4}},
		{"Merge", `{"mode": "dot", "dot_axes": [1, 1]}`, []Shape{{N, 4}, {N, 4}}, Shape{N, 1}},
		{"BatchNormalization", `{"epsilon": 0.001, "mode": 0, "axis": 1, "momentum": 0.99}`, []Shape{{N, 3, 8, 8}}, Shape{N, 3, 8, 8}},
		{"UpSampling1D", `{"length": 2}`, []Shape{{N, 4, 3}}, Shape{N, 8, 3}},
	} {
		out, err := InferLayer(tc.class, mustObj(t, tc.cfg), tc.in, Keras2)
		if err != nil || len(out) != 1 || !out[0].Equal(tc.want) {
			t.Errorf("InferLayer(%s %s, %v) = %v, %v; want %v", tc.class, tc.cfg, tc.in, out, err, tc.want)
		}
	}
	ws, err := LayerWeights("BatchNormalization", mustObj(t, `{"epsilon": 0.001, "mode": 0, "axis": 1}`), []Shape{{N, 3, 8, 8}}, Keras2)
	want := []WeightSpec{w("gamma", true, 3), w("beta", true, 3), w("running_mean", false, 3), w("running_std", false, 3)}
	if msg := compareWeights(ws, want); err != nil || msg != "" {
		t.Errorf("Keras 1 BatchNormalization weights: %v %s", err, msg)
	}
	if _, err := InferLayer("LSTM", mustObj(t, `{"output_dim": 4, "inner_init": "orthogonal"}`), []Shape{{N, 5, 3}}, Keras2); err == nil {
		t.Errorf("Keras 1 LSTM: want a refusal")
	}
}

// Flags read as Python reads them: an old config's "scale": 1 is true.
func TestConfigTruthiness(t *testing.T) {
	in := []Shape{{None, 4, 4, 8}}
	for _, tc := range []struct {
		cfg  string
		want int
	}{
		{`{"axis": [3], "center": true, "scale": 1}`, 4},
		{`{"axis": [3], "center": true, "scale": 0}`, 3},
		{`{"axis": [3], "center": "", "scale": null}`, 2},
		{`{"axis": [3], "center": [0], "scale": 2.5}`, 4},
	} {
		ws, err := LayerWeights("BatchNormalization", mustObj(t, tc.cfg), in, Keras2)
		if err != nil || len(ws) != tc.want {
			t.Errorf("BatchNormalization %s: %v, %v; want %d weights", tc.cfg, ws, err, tc.want)
		}
	}
	for cfg, want := range map[string]bool{`{}`: true, `{"trainable": 1}`: true, `{"trainable": 0}`: false,
		`{"trainable": null}`: false, `{"trainable": false}`: false, `{"trainable": "yes"}`: true} {
		if got := IsTrainable(&Layer{Config: mustObj(t, cfg)}); got != want {
			t.Errorf("IsTrainable(%s) = %v, want %v", cfg, got, want)
		}
	}
}

// A Lambda's shape is known only from a list output_shape; never guessed.
func TestLambdaShape(t *testing.T) {
	for _, cfg := range []string{`{"function": "x", "output_shape": null}`, `{"output_shape_type": "function", "output_shape": ["abc"]}`, `{}`} {
		if out, err := InferLayer("Lambda", mustObj(t, cfg), []Shape{{None, 3}}, Keras2); err == nil {
			t.Errorf("Lambda %s = %v, want unknown", cfg, out)
		}
	}
	out, err := InferLayer("Lambda", mustObj(t, `{"output_shape": [2], "output_shape_type": "raw"}`), []Shape{{None, 3}, {None, 3}}, Keras2)
	if err != nil || !shapesEqual(out, []Shape{{None, 2}}) {
		t.Errorf("Lambda with output_shape [2] = %v, %v", out, err)
	}
}
