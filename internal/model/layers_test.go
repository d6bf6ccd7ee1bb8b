package model

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// layerCase is one record of testdata/layer_cases/*.json, produced by real
// Keras (testdata/gen_layer_cases.py).
type layerCase struct {
	index   int
	class   string
	source  string
	config  *jsonx.Obj
	kwargs  *jsonx.Obj // the call's keyword arguments, nil for none
	inputs  []Shape
	outputs []Shape
	weights []WeightSpec
	params  int
	err     bool
	errAt   string
	message string
}

func (lc *layerCase) String() string {
	in := make([]string, len(lc.inputs))
	for i, s := range lc.inputs {
		in[i] = s.String()
	}
	return fmt.Sprintf("case %d %s %s on %s", lc.index, lc.class, jsonx.Marshal(&jsonx.Value{Kind: jsonx.Object, Obj: shapeKeys(lc.config)}), strings.Join(in, ", "))
}

// shapeKeys drops the config keys that never matter for shapes, to keep
// failure messages readable.
func shapeKeys(o *jsonx.Obj) *jsonx.Obj {
	out := &jsonx.Obj{}
	for i, k := range o.Keys {
		if k == "name" || k == "dtype" || k == "trainable" || strings.HasSuffix(k, "_initializer") ||
			strings.HasSuffix(k, "_regularizer") || strings.HasSuffix(k, "_constraint") {
			continue
		}
		out.Keys = append(out.Keys, k)
		out.Vals = append(out.Vals, o.Vals[i])
	}
	return out
}

func shapeFromJSON(t testing.TB, v *jsonx.Value) Shape {
	t.Helper()
	if v.IsNull() {
		return nil
	}
	s := Shape{}
	for _, e := range v.Elems {
		if e.IsNull() {
			s = append(s, None)
			continue
		}
		n, ok := e.Int()
		if !ok {
			t.Fatalf("bad dimension %s", jsonx.Marshal(e))
		}
		s = append(s, int(n))
	}
	return s
}

// layerCasesDir holds the committed cases. MODELSURG_LAYER_CASES names
// another directory to check instead, e.g. one written by
// gen_layer_cases.py --apps --out DIR (every layer of keras.applications
// models; too slow and too large to commit).
func layerCasesDir() string {
	if dir := os.Getenv("MODELSURG_LAYER_CASES"); dir != "" {
		return dir
	}
	return filepath.Join("..", "..", "testdata", "layer_cases")
}

func loadLayerCases(t testing.TB, file string) (Dialect, []*layerCase) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(layerCasesDir(), file))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonx.Parse(data)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	d := Keras2
	if s, _ := doc.Obj.String("dialect"); s == "keras3" {
		d = Keras3
	}
	var out []*layerCase
	for i, v := range doc.Obj.Get("cases").Elems {
		o := v.Obj
		lc := &layerCase{index: i, config: o.Object("config"), kwargs: o.Object("kwargs")}
		lc.class, _ = o.String("class")
		lc.source, _ = o.String("source")
		lc.err, _ = o.Bool("error")
		lc.errAt, _ = o.String("error_at")
		lc.message, _ = o.String("message")
		for _, s := range o.Get("inputs").Elems {
			lc.inputs = append(lc.inputs, shapeFromJSON(t, s))
		}
		if !lc.err {
			for _, s := range o.Get("outputs").Elems {
				lc.outputs = append(lc.outputs, shapeFromJSON(t, s))
			}
			for _, wv := range o.Get("weights").Elems {
				ws := WeightSpec{Shape: shapeFromJSON(t, wv.Obj.Get("shape"))}
				ws.Name, _ = wv.Obj.String("name")
				ws.Trainable, _ = wv.Obj.Bool("trainable")
				lc.weights = append(lc.weights, ws)
			}
			n, _ := o.Get("params").Int()
			lc.params = int(n)
		}
		out = append(out, lc)
	}
	return d, out
}

// zeroSized reports whether Keras produced a zero-sized dimension: modelsurg
// refuses those (a layer of size 0 is a broken model) where tf-keras may
// accept them.
func (lc *layerCase) zeroSized() bool {
	for _, s := range lc.outputs {
		for _, d := range s {
			if d == 0 {
				return true
			}
		}
	}
	for _, w := range lc.weights {
		for _, d := range w.Shape {
			if d == 0 {
				return true
			}
		}
	}
	return false
}

// sameWeightName compares a weight name with Keras's. Keras 3 names an
// unnamed weight "variable" plus a session-wide "_N" counter.
var autoVariable = regexp.MustCompile(`^variable(_\d+)?$`)

func sameWeightName(got, want string) bool {
	return got == want || (got == "variable" && autoVariable.MatchString(want))
}

func TestLayerCasesFromKeras(t *testing.T) {
	for _, file := range []string{"k2.json", "k3.json"} {
		t.Run(strings.TrimSuffix(file, ".json"), func(t *testing.T) {
			d, cases := loadLayerCases(t, file)
			if len(cases) < 150 {
				t.Errorf("only %d cases in %s", len(cases), file)
			}
			classes := map[string]bool{}
			var nShape, nConfig, nOK int
			for _, lc := range cases {
				classes[lc.class] = true
				out, err := InferCall(lc.class, lc.config, lc.inputs, lc.kwargs, d)
				if lc.err {
					switch {
					case err == nil:
						t.Errorf("%v: Keras refuses it (%s: %s) but InferLayer gives %v", lc, lc.errAt, lc.message, out)
					case errors.As(err, new(*ShapeError)):
						nShape++
					case errors.Is(err, ErrUnknownLayer):
						nConfig++
					default:
						t.Errorf("%v: error %v is neither a ShapeError nor ErrUnknownLayer", lc, err)
					}
					continue
				}
				if err != nil {
					if lc.zeroSized() {
						t.Logf("%v: Keras accepts a zero-sized result, we refuse: %v", lc, err)
						continue
					}
					t.Errorf("%v: %v (Keras gives %v)", lc, err, lc.outputs)
					continue
				}
				if !shapesEqual(out, lc.outputs) {
					t.Errorf("%v: InferLayer = %v, Keras = %v", lc, out, lc.outputs)
					continue
				}
				ws, err := CallWeights(lc.class, lc.config, lc.inputs, lc.kwargs, d)
				if err != nil {
					t.Errorf("%v: LayerWeights: %v", lc, err)
					continue
				}
				if msg := compareWeights(ws, lc.weights); msg != "" {
					t.Errorf("%v: %s", lc, msg)
					continue
				}
				if n := countParams(ws); n != lc.params {
					t.Errorf("%v: %d params, Keras counts %d", lc, n, lc.params)
					continue
				}
				checkUnknownInputs(t, lc, d)
				nOK++
			}
			t.Logf("%s: %d cases: %d match Keras, %d Keras refusals give a ShapeError, %d an ErrUnknownLayer; %d classes",
				file, len(cases), nOK, nShape, nConfig, len(classes))
		})
	}
}

// checkUnknownInputs: with one input unknown, the output is unknown, and
// the weights keep their names with shapes either unknown or Keras's.
func checkUnknownInputs(t *testing.T, lc *layerCase, d Dialect) {
	t.Helper()
	for i := range lc.inputs {
		in := append([]Shape{}, lc.inputs...)
		in[i] = nil
		out, err := InferCall(lc.class, lc.config, in, lc.kwargs, d)
		if err != nil || len(out) != len(lc.outputs) || !allUnknown(out) {
			t.Errorf("%v with input %d unknown: got %v, %v; want %d unknown outputs", lc, i, out, err, len(lc.outputs))
		}
		ws, err := CallWeights(lc.class, lc.config, in, lc.kwargs, d)
		if err != nil {
			t.Errorf("%v with input %d unknown: LayerWeights: %v", lc, i, err)
			continue
		}
		if len(ws) != len(lc.weights) {
			t.Errorf("%v with input %d unknown: %d weights, want %d", lc, i, len(ws), len(lc.weights))
			continue
		}
		for j, w := range ws {
			want := lc.weights[j]
			if !sameWeightName(w.Name, want.Name) || w.Trainable != want.Trainable || (w.Shape != nil && !w.Shape.Equal(want.Shape)) {
				t.Errorf("%v with input %d unknown: weight %d is %+v, want %+v", lc, i, j, w, want)
			}
		}
	}
}

func allUnknown(out []Shape) bool {
	for _, s := range out {
		if s != nil {
			return false
		}
	}
	return true
}

func shapesEqual(a, b []Shape) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}

func compareWeights(got, want []WeightSpec) string {
	format := func(ws []WeightSpec) string {
		parts := make([]string, len(ws))
		for i, w := range ws {
			tr := ""
			if !w.Trainable {
				tr = " (non-trainable)"
			}
			parts[i] = fmt.Sprintf("%s %s%s", w.Name, w.Shape, tr)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	bad := len(got) != len(want)
	for i := 0; !bad && i < len(got); i++ {
		bad = !sameWeightName(got[i].Name, want[i].Name) || !got[i].Shape.Equal(want[i].Shape) || got[i].Trainable != want[i].Trainable
	}
	if bad {
		return fmt.Sprintf("weights %s, Keras %s", format(got), format(want))
	}
	return ""
}

func countParams(ws []WeightSpec) int {
	total := 0
	for _, w := range ws {
		n := 1
		for _, d := range w.Shape {
			n *= d
		}
		total += n
	}
	return total
}

// Every keras.applications class, and every class the brief names, is covered.
func TestLayerClassesCovered(t *testing.T) {
	for _, class := range strings.Fields(`InputLayer Dense Conv1D Conv2D Conv3D Conv1DTranspose Conv2DTranspose
		Conv3DTranspose DepthwiseConv1D DepthwiseConv2D SeparableConv1D SeparableConv2D MaxPooling1D MaxPooling2D
		MaxPooling3D AveragePooling1D AveragePooling2D AveragePooling3D GlobalAveragePooling1D GlobalAveragePooling2D
		GlobalAveragePooling3D GlobalMaxPooling1D GlobalMaxPooling2D GlobalMaxPooling3D Flatten Reshape Permute
		RepeatVector Dropout SpatialDropout1D SpatialDropout2D SpatialDropout3D GaussianNoise GaussianDropout
		AlphaDropout ActivityRegularization Activation ReLU LeakyReLU PReLU ELU ThresholdedReLU Softmax
		BatchNormalization LayerNormalization GroupNormalization UnitNormalization Add Subtract Multiply Average
		Maximum Minimum Concatenate Dot ZeroPadding1D ZeroPadding2D ZeroPadding3D Cropping1D Cropping2D Cropping3D
		UpSampling1D UpSampling2D UpSampling3D Rescaling Normalization CenterCrop Resizing Embedding Identity
		Masking LayerScale StochasticDepth CustomScaleLayer Custom>CustomScaleLayer TFOpLambda SlicingOpLambda
		LSTM GRU SimpleRNN CuDNNLSTM CuDNNGRU ConvLSTM1D ConvLSTM2D ConvLSTM3D Bidirectional TimeDistributed
		MultiHeadAttention Attention AdditiveAttention Lambda Merge`) {
		if layerKinds[class] == nil {
			t.Errorf("class %s is not covered", class)
		}
	}
	for _, class := range []string{"Functional", "Sequential", "Model", "Lambda", "MyLayer", "QDense", ""} {
		if _, err := InferLayer(class, &jsonx.Obj{}, []Shape{{None, 3}}, Keras3); !errors.Is(err, ErrUnknownLayer) {
			t.Errorf("InferLayer(%q) error = %v, want ErrUnknownLayer", class, err)
		}
		if _, err := LayerWeights(class, &jsonx.Obj{}, []Shape{{None, 3}}, Keras2); !errors.Is(err, ErrUnknownLayer) {
			t.Errorf("LayerWeights(%q) error = %v, want ErrUnknownLayer", class, err)
		}
	}
}

func TestShapeErrorText(t *testing.T) {
	for _, tc := range []struct {
		e    ShapeError
		want string
	}{
		{ShapeError{"fc1", "Dense", "the last dimension of the input (None, None) must be defined"}, `layer "fc1" (Dense): the last dimension of the input (None, None) must be defined`},
		{ShapeError{"", "Dense", "x"}, `Dense: x`},
		{ShapeError{"fc1", "", "x"}, `layer "fc1": x`},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func mustObj(t testing.TB, s string) *jsonx.Obj {
	t.Helper()
	v, err := jsonx.Parse([]byte(s))
	if err != nil || v.Kind != jsonx.Object {
		t.Fatalf("bad JSON %s: %v", s, err)
	}
	return v.Obj
}

func TestInferLayerExamples(t *testing.T) {
	N := None
	for _, tc := range []struct {
		class, cfg string
		in         []Shape
		d          Dialect
		want       Shape
	}{
		{"InputLayer", `{"batch_input_shape": [null, 224, 224, 3]}`, nil, Keras2, Shape{N, 224, 224, 3}},
		{"InputLayer", `{"batch_shape": [2, 5]}`, nil, Keras3, Shape{2, 5}},
		{"InputLayer", `{"input_shape": [7]}`, nil, Keras2, Shape{N, 7}},
		{"InputLayer", `{"shape": [null, 3]}`, nil, Keras3, Shape{N, N, 3}},
		{"InputLayer", `{"batch_shape": []}`, nil, Keras3, Shape{}},
		{"Dense", `{"units": 10}`, []Shape{{N, 2048}}, Keras2, Shape{N, 10}},
		{"Conv2D", `{"filters": 64, "kernel_size": 7, "strides": 2, "padding": "same"}`, []Shape{{N, 224, 224, 3}}, Keras3, Shape{N, 112, 112, 64}},
		{"Conv2D", `{"filters": 64, "kernel_size": [7, 7], "strides": [2, 2]}`, []Shape{{N, 230, 230, 3}}, Keras2, Shape{N, 112, 112, 64}},
		{"MaxPooling2D", `{"pool_size": [3, 3], "strides": [2, 2]}`, []Shape{{N, 114, 114, 64}}, Keras2, Shape{N, 56, 56, 64}},
		{"GlobalAveragePooling2D", `{"keepdims": true, "data_format": "channels_first"}`, []Shape{{N, 8, 7, 7}}, Keras3, Shape{N, 8, 1, 1}},
		{"Reshape", `{"target_shape": [1, 1, -1]}`, []Shape{{N, 32}}, Keras3, Shape{N, 1, 1, 32}},
		{"Conv2D", `{"filters": 4, "kernel_size": 2.0}`, []Shape{{N, 5, 5, 3}}, Keras3, Shape{N, 4, 4, 4}},
	} {
		out, err := InferLayer(tc.class, mustObj(t, tc.cfg), tc.in, tc.d)
		if err != nil || len(out) != 1 || !out[0].Equal(tc.want) {
			t.Errorf("InferLayer(%s %s, %v) = %v, %v; want %v", tc.class, tc.cfg, tc.in, out, err, tc.want)
		}
	}
}

func TestInferLayerErrors(t *testing.T) {
	N := None
	big := 1 << 40
	for _, tc := range []struct {
		class, cfg string
		in         []Shape
		unknown    bool // ErrUnknownLayer rather than a ShapeError
	}{
		{"Dense", `{}`, []Shape{{N, 3}}, true},
		{"Dense", `{"units": "ten"}`, []Shape{{N, 3}}, true},
		{"Dense", `{"units": 2.5}`, []Shape{{N, 3}}, true},
		{"Dense", `{"units": NaN}`, []Shape{{N, 3}}, true},
		{"Dense", `{"units": Infinity}`, []Shape{{N, 3}}, false},
		{"Dense", `{"units": 1e300}`, []Shape{{N, 3}}, false},
		{"Dense", `{"units": -1}`, []Shape{{N, 3}}, false},
		{"Dense", `{"units": 3}`, []Shape{{N, 3}, {N, 3}}, false},
		{"Dense", `{"units": 3}`, nil, false},
		{"Dense", `{"units": 3}`, []Shape{{N, -7}}, false},
		{"Conv2D", `{"filters": 4, "kernel_size": [3, 3], "padding": "circular"}`, []Shape{{N, 8, 8, 3}}, true},
		{"Conv2D", `{"filters": 4, "kernel_size": [3, 3], "data_format": "NHWC"}`, []Shape{{N, 8, 8, 3}}, true},
		{"Conv2D", `{"filters": 4, "kernel_size": [3, 3, 3]}`, []Shape{{N, 8, 8, 3}}, false},
		{"Conv2D", `{"filters": 4, "kernel_size": [3, 3]}`, []Shape{{N, big, big, 1 << 50}}, false}, // a kernel of 9*2^50*4 values
		{"Conv2D", `{"filters": 4, "kernel_size": [3, 3], "dilation_rate": 9007199254740992}`, []Shape{{N, 8, 8, 3}}, false},
		{"Conv2DTranspose", `{"filters": 4, "kernel_size": 3, "strides": 4503599627370496}`, []Shape{{N, 8, 8, 3}}, false},
		{"Flatten", `{}`, []Shape{{N, big, big}}, false},
		{"Reshape", `{"target_shape": [0, -1]}`, []Shape{{N, 12}}, false},
		{"Reshape", `{"target_shape": [4096, 4096, 4096, 4096]}`, []Shape{{N, 12}}, false},
		{"UpSampling2D", `{"size": [4503599627370496, 4]}`, []Shape{{N, 4, 4, 3}}, false},
		{"Concatenate", `{"axis": 1}`, []Shape{{N, 9007199254740992, 3}, {N, 1, 3}}, false},
		{"ZeroPadding2D", `{"padding": [[1, 2], [3]]}`, []Shape{{N, 4, 4, 3}}, true},
		{"ZeroPadding2D", `{"padding": [[-1, 2], [3, 4]]}`, []Shape{{N, 4, 4, 3}}, false},
		{"InputLayer", `{"batch_input_shape": [null, -3]}`, nil, false},
		{"InputLayer", `{"batch_input_shape": "(None, 3)"}`, nil, true},
		{"InputLayer", `{"name": "x"}`, nil, true},
		{"BatchNormalization", `{"axis": [1, 1]}`, []Shape{{N, 3, 4}}, false},
		{"BatchNormalization", `{"axis": 7}`, []Shape{{N, 3, 4}}, false},
		{"TFOpLambda", `{"function": "image.resize"}`, []Shape{{N, 3, 4}}, true},
		{"MaxPooling2D", `{"pool_size": [2, 2], "border_mode": "circular", "dim_ordering": "th"}`, []Shape{{N, 3, 8, 8}}, true},
		{"MaxPooling2D", `{"pool_size": [2, 2], "border_mode": "valid", "dim_ordering": "xy"}`, []Shape{{N, 3, 8, 8}}, true},
	} {
		out, err := InferLayer(tc.class, mustObj(t, tc.cfg), tc.in, Keras3)
		if tc.class == "Conv2D" && len(tc.in) == 1 && tc.in[0][1] == big {
			// 2^40 spatial sizes and 2^50 channels are fine; the kernel is not.
			if err != nil {
				t.Errorf("InferLayer(%s %s, %v): %v", tc.class, tc.cfg, tc.in, err)
			}
			ws, err := LayerWeights(tc.class, mustObj(t, tc.cfg), tc.in, Keras3)
			if err == nil {
				t.Errorf("LayerWeights(%s %s, %v) = %v, want an overflow error", tc.class, tc.cfg, tc.in, ws)
			}
			continue
		}
		if err == nil {
			t.Errorf("InferLayer(%s %s, %v) = %v, want an error", tc.class, tc.cfg, tc.in, out)
			continue
		}
		checkErrorText(t, err)
		if tc.unknown != errors.Is(err, ErrUnknownLayer) || tc.unknown == errors.As(err, new(*ShapeError)) {
			t.Errorf("InferLayer(%s %s, %v) error %v: want unknown=%v", tc.class, tc.cfg, tc.in, err, tc.unknown)
		}
	}
}

// Weights modelsurg does not model (LoRA, quantization) make LayerWeights
// unknown, while shapes stay known.
func TestLayerWeightsUnsupported(t *testing.T) {
	for _, tc := range []struct{ class, cfg string }{
		{"Dense", `{"units": 4, "lora_rank": 2}`},
		{"Dense", `{"units": 4, "quantization_config": {"mode": "int8"}}`},
		{"Embedding", `{"input_dim": 4, "output_dim": 2, "dtype": {"class_name": "QuantizedDTypePolicy", "config": {"name": "int8_from_float32"}}}`},
		{"Conv2D", `{"filters": 4, "kernel_size": 3, "lora_rank": 4}`},
	} {
		in := []Shape{{None, 8, 8, 3}}
		if tc.class != "Conv2D" {
			in = []Shape{{None, 3}}
		}
		cfg := mustObj(t, tc.cfg)
		if _, err := InferLayer(tc.class, cfg, in, Keras3); err != nil {
			t.Errorf("InferLayer(%s %s): %v", tc.class, tc.cfg, err)
		}
		if ws, err := LayerWeights(tc.class, cfg, in, Keras3); !errors.Is(err, ErrUnknownLayer) {
			t.Errorf("LayerWeights(%s %s) = %v, %v; want ErrUnknownLayer", tc.class, tc.cfg, ws, err)
		}
	}
}

// checkErrorText: lowercase after the class prefix, no trailing period.
func checkErrorText(t testing.TB, err error) {
	t.Helper()
	msg := err.Error()
	if strings.HasSuffix(msg, ".") {
		t.Errorf("error %q ends with a period", msg)
	}
	var se *ShapeError
	if errors.As(err, &se) && se.Msg != "" && unicode.IsUpper([]rune(se.Msg)[0]) {
		t.Errorf("error %q starts with a capital letter", se.Msg)
	}
}
