package surgery

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/modelsurg/modelsurg/internal/model"
	"github.com/modelsurg/modelsurg/internal/modeltest"
	"github.com/modelsurg/modelsurg/internal/summary"
)

// openFixture loads testdata/DIALECT/NAME.h5 (Keras-made, see FIXTURES.md)
// in memory, without cgo: its saved config and weights (values a ramp),
// each weight a reference to its in-memory source (see internal/modeltest).
func openFixture(t *testing.T, dialect, name string) *model.Model {
	t.Helper()
	return modeltest.Load(t, dialect, name)
}

func replace(t *testing.T, m *model.Model, spec HeadSpec) (*model.Model, *HeadReport) {
	t.Helper()
	before := string(model.Marshal(m))
	out, rep, err := ReplaceHead(m, spec)
	if err != nil {
		t.Fatalf("ReplaceHead(%s, %+v): %v", m.Name, spec, err)
	}
	if after := string(model.Marshal(m)); after != before {
		t.Fatalf("ReplaceHead modified its argument")
	}
	return out, rep
}

func layerNames(m *model.Model) []string {
	var out []string
	for _, l := range m.Layers {
		out = append(out, l.Name)
	}
	return out
}

func outputShape(t *testing.T, m *model.Model) model.Shape {
	t.Helper()
	s, err := model.Infer(m)
	if err != nil {
		t.Fatal(err)
	}
	outs := m.OutputIDs()
	if len(outs) != 1 {
		t.Fatalf("outputs %v", outs)
	}
	return s.Outputs(outs[0])[0]
}

func totals(t *testing.T, m *model.Model) (total, trainable, frozen int64) {
	t.Helper()
	r, err := summary.Build(m, summary.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r.Total, r.Trainable, r.NonTrainable
}

func weightNames(ws []*model.Weight) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Name)
	}
	return out
}

// The configs Keras writes for Dense(2, activation="softmax",
// name="predictions") into an .h5 file: tf_keras 2.21 and keras 3.15.1
// (dumped from model.save; see tests/interop/test_head.py for the live check).
const (
	denseK2   = `{"name": "predictions", "trainable": true, "dtype": "float32", "units": 2, "activation": "softmax", "use_bias": true, "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}, "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}`
	denseK3   = `{"name": "predictions", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "units": 2, "activation": "softmax", "use_bias": true, "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null, "input_axes": null, "output_axes": null}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}, "kernel_regularizer": null, "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null, "quantization_config": null}`
	dropoutK2 = `{"name": "dropout", "trainable": true, "dtype": "float32", "rate": 0.5, "noise_shape": null, "seed": null}`
	dropoutK3 = `{"name": "dropout", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "rate": 0.5, "seed": null, "noise_shape": null}`
	gapK2     = `{"name": "avg_pool", "trainable": true, "dtype": "float32", "data_format": "channels_last", "keepdims": false}`
)

// configText is the config of m's layer name as model.Marshal writes it
// (a config that starts with its name key, as Keras writes them), or "".
func configText(m *model.Model, name string) string {
	doc := string(model.Marshal(m))
	i := strings.Index(doc, `"config": {"name": "`+name+`"`)
	if i < 0 {
		return ""
	}
	doc = doc[i+len(`"config": `):]
	depth, quoted := 0, false
	for j := 0; j < len(doc); j++ {
		switch c := doc[j]; {
		case quoted && c == '\\':
			j++
		case c == '"':
			quoted = !quoted
		case !quoted && (c == '{' || c == '['):
			depth++
		case !quoted && (c == '}' || c == ']'):
			if depth--; depth == 0 {
				return doc[:j+1]
			}
		}
	}
	return ""
}

func TestSequentialDefaultHead(t *testing.T) {
	for _, d := range []string{"k2", "k3"} {
		m := openFixture(t, d, "sequential_cnn")
		out, rep := replace(t, m, HeadSpec{Classes: 2})
		if !out.IsSequential() {
			t.Errorf("%s: the result is %s, want Sequential", d, out.Class)
		}
		if rep.Cut != "pool" || !rep.Auto || rep.NothingCut || !rep.CutShape.Equal(model.Shape{model.None, 4, 4, 4}) {
			t.Errorf("%s: report %+v", d, rep)
		}
		if !slices.Equal(rep.Removed, []string{"flatten", "dense"}) {
			t.Errorf("%s: removed %v", d, rep.Removed)
		}
		if got, want := layerNames(out), []string{"image", "conv", "pool", "avg_pool", "predictions"}; !slices.Equal(got, want) {
			t.Errorf("%s: layers %v, want %v", d, got, want)
		}
		if s := outputShape(t, out); !s.Equal(model.Shape{model.None, 2}) {
			t.Errorf("%s: output %s", d, s)
		}
		pred := out.Layer("predictions")
		wantDense, wantW := denseK2, []string{"predictions/kernel:0", "predictions/bias:0"}
		if d == "k3" {
			wantDense, wantW = denseK3, []string{"sequential_cnn/predictions/kernel", "sequential_cnn/predictions/bias"}
		}
		if got := configText(out, "predictions"); got != wantDense {
			t.Errorf("%s: Dense config\n got %s\nwant %s", d, got, wantDense)
		}
		if got := weightNames(pred.Weights); !slices.Equal(got, wantW) {
			t.Errorf("%s: weight names %v, want %v", d, got, wantW)
		}
		if d == "k2" {
			if got := configText(out, "avg_pool"); got != gapK2 {
				t.Errorf("GAP config\n got %s\nwant %s", got, gapK2)
			}
		}
		// kept weights stay references to the source (Src), not copies
		if w := out.Layer("conv").Weights; len(w) != 2 || isNew(w[0]) || w[0] != m.Layer("conv").Weights[0] {
			t.Errorf("%s: conv weights are not the source's references", d)
		}
		total, trainable, frozen := totals(t, out)
		if total != 112+10 || trainable != total || frozen != 0 {
			t.Errorf("%s: totals %d/%d/%d", d, total, trainable, frozen)
		}
	}
}

func TestFlattenDropoutHidden(t *testing.T) {
	for _, d := range []string{"k2", "k3"} {
		m := openFixture(t, d, "sequential_cnn")
		out, rep := replace(t, m, HeadSpec{Classes: 2, Pooling: PoolFlatten, Dropout: 0.5, Hidden: []int{8, 6}})
		if got, want := layerNames(out), []string{"image", "conv", "pool", "flatten", "dense", "dense_1", "dropout", "predictions"}; !slices.Equal(got, want) {
			t.Errorf("%s: layers %v, want %v", d, got, want)
		}
		shapes := map[string]model.Shape{}
		for _, l := range rep.Added {
			shapes[l.Name] = l.Shape
		}
		if !shapes["flatten"].Equal(model.Shape{model.None, 64}) || !shapes["dense_1"].Equal(model.Shape{model.None, 6}) {
			t.Errorf("%s: shapes %v", d, shapes)
		}
		if got, want := rep.Params(), int64(64*8+8+8*6+6+6*2+2); got != want {
			t.Errorf("%s: new params %d, want %d", d, got, want)
		}
		if a, _ := out.Layer("dense").Config.String("activation"); a != "relu" {
			t.Errorf("%s: hidden activation %q", d, a)
		}
		want := dropoutK2
		if d == "k3" {
			want = dropoutK3
		}
		if got := configText(out, "dropout"); got != want {
			t.Errorf("%s: Dropout config\n got %s\nwant %s", d, got, want)
		}
		if s := outputShape(t, out); !s.Equal(model.Shape{model.None, 2}) {
			t.Errorf("%s: output %s", d, s)
		}
	}
}

func TestWeightsDeterministic(t *testing.T) {
	m := openFixture(t, "k2", "sequential_cnn")
	a, _ := replace(t, m, HeadSpec{Classes: 3, Pooling: PoolFlatten, Seed: 7})
	b, _ := replace(t, m, HeadSpec{Classes: 3, Pooling: PoolFlatten, Seed: 7})
	c, _ := replace(t, m, HeadSpec{Classes: 3, Pooling: PoolFlatten, Seed: 8})
	ka, kb, kc := a.Layer("predictions").Weights[0], b.Layer("predictions").Weights[0], c.Layer("predictions").Weights[0]
	if !slices.Equal(values(ka), values(kb)) {
		t.Error("same seed, different weights")
	}
	if slices.Equal(values(ka), values(kc)) {
		t.Error("different seeds, same weights")
	}
	if !bytes.Equal(model.Marshal(a), model.Marshal(b)) {
		t.Error("same spec, different configs")
	}
	limit := math.Sqrt(6.0 / (64 + 3))
	var sum, sumSq float64
	for _, x := range values(ka) {
		if math.Abs(float64(x)) > limit {
			t.Fatalf("kernel value %v outside ±%v", x, limit)
		}
		sum += float64(x)
		sumSq += float64(x) * float64(x)
	}
	n := float64(len(values(ka)))
	// uniform(-l, l): mean 0, variance l²/3
	if mean, v := sum/n, sumSq/n; math.Abs(mean) > limit/4 || math.Abs(v-limit*limit/3) > limit*limit/6 {
		t.Errorf("kernel mean %v variance %v, want ~0 and %v", mean, v, limit*limit/3)
	}
	if bias := a.Layer("predictions").Weights[1]; !slices.Equal(values(bias), []float32{0, 0, 0}) || !slices.Equal(bias.Shape, []int{3}) {
		t.Errorf("bias %v %v", bias.Shape, values(bias))
	}
	if !slices.Equal(ka.Shape, []int{64, 3}) {
		t.Errorf("kernel shape %v", ka.Shape)
	}
}

func TestChannelsFirstPooling(t *testing.T) {
	m := openFixture(t, "k3", "layers_mix")
	out, rep := replace(t, m, HeadSpec{Classes: 2})
	if rep.Cut != "conv_cf" {
		t.Fatalf("cut at %q", rep.Cut)
	}
	gap := out.Layer("avg_pool")
	if df, _ := gap.Config.String("data_format"); df != "channels_first" {
		t.Errorf("data_format %q", df)
	}
	if !rep.Added[0].Shape.Equal(model.Shape{model.None, 3}) {
		t.Errorf("GAP shape %s, want (None, 3)", rep.Added[0].Shape)
	}
	if s := outputShape(t, out); !s.Equal(model.Shape{model.None, 2}) {
		t.Errorf("output %s", s)
	}
}

func TestFunctionalKeras3Call(t *testing.T) {
	m := openFixture(t, "k3", "branches")
	out, _ := replace(t, m, HeadSpec{Classes: 2, Pooling: PoolMax})
	cfg := string(model.Marshal(out))
	want := `"inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 8, 8, 9], "dtype": "float32", "keras_history": ["concat", 0, 0]}}], "kwargs": {}}]`
	if !strings.Contains(cfg, want) {
		t.Errorf("max_pool call not in Keras 3 form:\n%s", cfg)
	}
	if !strings.Contains(cfg, `"output_layers": ["predictions", 0, 0]`) {
		t.Errorf("output_layers not a bare triple")
	}
	if out.Layer("max_pool").Class != "GlobalMaxPooling2D" {
		t.Errorf("class %s", out.Layer("max_pool").Class)
	}
}

func TestMultiOutput(t *testing.T) {
	for _, d := range []string{"k2", "k3"} {
		m := openFixture(t, d, "multi_io")
		_, _, err := ReplaceHead(m, HeadSpec{Classes: 2})
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(err.Error(), "2 outputs (class_out, reg_out)") || !strings.Contains(err.Error(), "{CutAt}") {
			t.Errorf("%s: %v", d, err)
		}
		out, rep := replace(t, m, HeadSpec{Classes: 2, CutAt: "join", Pooling: PoolNone})
		if len(out.Outputs) != 1 || out.Outputs[0].Layer.Name != "predictions" || len(out.Inputs) != 2 {
			t.Errorf("%s: inputs %v outputs %v", d, out.Inputs, out.Outputs)
		}
		if !slices.Equal(rep.Removed, []string{"class_out", "reg_out"}) {
			t.Errorf("%s: removed %v", d, rep.Removed)
		}
		// cutting in the image branch leaves the vector input unused
		out, rep = replace(t, m, HeadSpec{Classes: 2, CutAt: "conv"})
		if !slices.Equal(rep.DroppedInputs, []string{"vec"}) || len(out.Inputs) != 1 || out.Inputs[0].Layer.Name != "img" {
			t.Errorf("%s: dropped %v, inputs %v", d, rep.DroppedInputs, out.Inputs)
		}
		if got, want := layerNames(out), []string{"img", "conv", "avg_pool", "predictions"}; !slices.Equal(got, want) {
			t.Errorf("%s: layers %v", d, got)
		}
	}
}

func TestFreezeNested(t *testing.T) {
	for _, d := range []string{"k2", "k3"} {
		m := openFixture(t, d, "nested")
		out, rep := replace(t, m, HeadSpec{Classes: 2, CutAt: "add", Pooling: PoolNone, FreezeBase: true})
		// pre, inner, add + inner's 3 sublayers
		if rep.Frozen != 6 {
			t.Errorf("%s: froze %d layers", d, rep.Frozen)
		}
		inner := out.Layer("inner")
		if tr, _ := inner.Config.Bool("trainable"); tr {
			t.Errorf("%s: inner still trainable", d)
		}
		for _, sl := range inner.Sub.Layers {
			if sl.Class != "InputLayer" && model.IsTrainable(sl) {
				t.Errorf("%s: %s still trainable", d, sl.Name)
			}
			if sl.Class == "InputLayer" && sl.Config.Has("trainable") {
				t.Errorf("%s: InputLayer got a trainable key", d)
			}
		}
		// Keras saves a frozen nested model's weights sublayer by sublayer.
		var want []string
		for _, n := range []string{"inner_bn_a/gamma", "inner_bn_a/beta", "inner_bn_a/moving_mean", "inner_bn_a/moving_variance",
			"inner_dense/kernel", "inner_dense/bias", "inner_bn_b/gamma", "inner_bn_b/beta", "inner_bn_b/moving_mean", "inner_bn_b/moving_variance"} {
			if d == "k2" {
				n += ":0"
			}
			want = append(want, n)
		}
		if got := weightNames(inner.Weights); !slices.Equal(got, want) {
			t.Errorf("%s: inner weights\n got %v\nwant %v", d, got, want)
		}
		if got := weightNames(m.Layer("inner").Weights); slices.Equal(got, want) {
			t.Errorf("%s: the source order already is the frozen one; the test proves nothing", d)
		}
		total, trainable, frozen := totals(t, out)
		if trainable != 6*2+2 || total != 42+90+14 || frozen != total-trainable {
			t.Errorf("%s: totals %d/%d/%d", d, total, trainable, frozen)
		}
	}
}

func TestFreezeNestedSequentialKeras2(t *testing.T) {
	m := openFixture(t, "k2", "nested_sequential")
	out, _ := replace(t, m, HeadSpec{Classes: 2, CutAt: "add", Pooling: PoolNone, FreezeBase: true})
	block := out.Layer("block")
	// tf-keras writes no trainable key in a Sequential config: none is added.
	if block.Config.Has("trainable") {
		t.Error("a trainable key was added to the nested Sequential config")
	}
	for _, sl := range block.Sub.Layers[1:] {
		if model.IsTrainable(sl) {
			t.Errorf("%s still trainable", sl.Name)
		}
	}
	if _, trainable, _ := totals(t, out); trainable != 4*2+2 {
		t.Errorf("trainable %d", trainable)
	}
}

func TestNoTop(t *testing.T) {
	m := openFixture(t, "k2", "sequential_cnn")
	base, _ := replace(t, m, HeadSpec{Classes: 2, CutAt: "pool", Pooling: PoolFlatten, Name: "x"})
	// base ends at Flatten and a Dense: flat, so the default cut walks back to pool.
	_, rep := replace(t, base, HeadSpec{Classes: 5})
	if rep.Cut != "pool" || rep.NothingCut {
		t.Errorf("report %+v", rep)
	}
	// A model cut at its feature map has nothing to remove.
	top, _ := replace(t, m, HeadSpec{Classes: 2, CutAt: "conv"})
	noTop := model.Clone(top)
	conv := model.NodeID{Layer: noTop.Layer("conv"), Node: 0} // keep image, conv
	noTop.Keep(noTop.Ancestors([]model.NodeID{conv}))
	noTop.SetOutputs([]model.Ref{noTop.IORef(conv, 0)})
	out, rep := replace(t, noTop, HeadSpec{Classes: 2})
	if !rep.NothingCut || rep.Cut != "conv" || len(rep.Removed) != 0 {
		t.Errorf("report %+v", rep)
	}
	if got := layerNames(out); !slices.Equal(got, []string{"image", "conv", "avg_pool", "predictions"}) {
		t.Errorf("layers %v", got)
	}
}

func TestNames(t *testing.T) {
	m := openFixture(t, "k3", "branches")
	first, _ := replace(t, m, HeadSpec{Classes: 2})
	// a second head on the first keeps "predictions": the new one is predictions_1
	second, rep := replace(t, first, HeadSpec{Classes: 3, CutAt: "predictions", Pooling: PoolNone, Dropout: 0.25})
	if got := rep.Added[len(rep.Added)-1].Name; got != "predictions_1" {
		t.Errorf("final layer %q", got)
	}
	if got := rep.Added[0].Name; got != "dropout" {
		t.Errorf("dropout layer %q", got)
	}
	if r, _ := second.Layer("dropout").Config.Get("rate").Float64(); r != 0.25 {
		t.Errorf("rate %v", r)
	}
	_, _, err := ReplaceHead(first, HeadSpec{Classes: 3, CutAt: "predictions", Pooling: PoolNone, Name: "concat"})
	if err == nil || !strings.Contains(err.Error(), `{Name}: a kept layer is already named "concat"`) {
		t.Errorf("explicit name clash: %v", err)
	}
	// {Name} may reuse a removed layer's name
	out, _ := replace(t, m, HeadSpec{Classes: 2, Name: "logits"})
	if out.Layer("logits") == nil || out.Layer("logits").Class != "Dense" {
		t.Error("no Dense named logits")
	}
}

func TestRefusals(t *testing.T) {
	m := openFixture(t, "k2", "branches")
	nested := openFixture(t, "k2", "nested")
	shared := openFixture(t, "k2", "shared")
	lambda := openFixture(t, "k2", "lambda")
	cases := []struct {
		m     *model.Model
		spec  HeadSpec
		want  string
		hint  string
		usage bool
	}{
		{m, HeadSpec{Classes: 0}, "{Classes}: must be at least 1", "", true},
		{m, HeadSpec{Classes: 2, Dropout: 1}, "{Dropout}: the rate must be in [0, 1)", "", true},
		{m, HeadSpec{Classes: 2, Dropout: -0.1}, "{Dropout}", "", true},
		{m, HeadSpec{Classes: 2, Dropout: math.NaN()}, "{Dropout}", "", true},
		{m, HeadSpec{Classes: 2, Pooling: "mean"}, "{Pooling}: must be flatten, avg, max or none", "", true},
		{m, HeadSpec{Classes: 2, Hidden: []int{0}}, "{Hidden}", "", true},
		{m, HeadSpec{Classes: 2, Activation: "relu"}, "{Activation}", "", true},
		{m, HeadSpec{Classes: 2, CutAt: "nope"}, `{CutAt}: the model has no layer named "nope"`, "summary", false},
		{nested, HeadSpec{Classes: 2, CutAt: "inner_dense"}, `{CutAt}: layer "inner_dense" is inside the nested model "inner"`, `cut at "inner"`, false},
		{nested, HeadSpec{Classes: 2, CutAt: "inner"}, `layer "inner": called 2 times on the path to the output`, "", false},
		{m, HeadSpec{Classes: 2, CutAt: "gap"}, `layer "gap": {Pooling} avg needs a 1D, 2D or 3D feature map (rank 3 to 5) but the layer gives (None, 9)`, "{Pooling} none", false},
		{m, HeadSpec{Classes: 2, CutAt: "gap", Pooling: PoolMax}, `layer "gap": {Pooling} max`, "{Pooling} none", false},
		{m, HeadSpec{Classes: 2, CutAt: "concat", Pooling: PoolNone}, `layer "concat": {Pooling} none needs a flat output (rank 2) but the layer gives (None, 8, 8, 9)`, "{Pooling} avg", false},
		{shared, HeadSpec{Classes: 2, CutAt: "shared_dense"}, `called 3 times`, "", false},
	}
	for _, c := range cases {
		before := string(model.Marshal(c.m))
		out, rep, err := ReplaceHead(c.m, c.spec)
		var e *Error
		if err == nil || !errors.As(err, &e) {
			t.Errorf("%+v: err %v, out %v, rep %v", c.spec, err, out != nil, rep)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(e.Hint, c.hint) || e.Usage != c.usage {
			t.Errorf("%+v:\n got %q (hint %q, usage %v)\nwant %q (hint %q, usage %v)", c.spec, err, e.Hint, e.Usage, c.want, c.hint, c.usage)
		}
		if string(model.Marshal(c.m)) != before {
			t.Errorf("%+v: the model was modified", c.spec)
		}
	}
	// Without a feature map on the path to the output (an MLP; branches
	// merged into a flat vector), the head is the final Dense classifier
	// and the cut is its input, with no pooling (issue #12: timm's
	// reset_classifier).
	for _, c := range []struct {
		m        *model.Model
		cut      string
		removed  []string
		features int
	}{
		{openFixture(t, "k2", "optimizer"), "hidden", []string{"out"}, 4},
		{shared, "concat", []string{"out"}, 18},
		// behind a Lambda, the old classifier's kernel gives the features
		{lambda, "affine_lambda", []string{"out"}, 4},
	} {
		out, rep := replace(t, c.m, HeadSpec{Classes: 2})
		if rep.Cut != c.cut || !rep.Auto || !rep.Flat || !slices.Equal(rep.Removed, c.removed) ||
			len(rep.Added) != 1 || rep.Added[0].Params != int64(c.features*2+2) {
			t.Errorf("%s: %+v", c.m.Name, rep)
		}
		if s := rep.Added[0].Shape; !s.Equal(model.Shape{model.None, 2}) {
			t.Errorf("%s: output %v", c.m.Name, s)
		}
		if out.Layer("predictions") == nil {
			t.Errorf("%s: no new classifier", c.m.Name)
		}
	}
	// a layer that does not lead to the output
	dangling := parseK2(t, `{"class_name": "Functional", "config": {"name": "m", "trainable": true, "layers": [
	 {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4, 4, 3], "dtype": "float32", "sparse": false, "ragged": false, "name": "x"}, "name": "x", "inbound_nodes": []},
	 {"class_name": "Conv2D", "config": `+conv("c1")+`, "name": "c1", "inbound_nodes": [[["x", 0, 0, {}]]]},
	 {"class_name": "Conv2D", "config": `+conv("aux")+`, "name": "aux", "inbound_nodes": [[["x", 0, 0, {}]]]}],
	 "input_layers": [["x", 0, 0]], "output_layers": [["c1", 0, 0]]}}`)
	_, _, err := ReplaceHead(dangling, HeadSpec{Classes: 2, CutAt: "aux"})
	if err == nil || !strings.Contains(err.Error(), `layer "aux": not on the path to the model's output`) {
		t.Errorf("dangling: %v", err)
	}
	// the dangling branch is removed with the head
	out, rep := replace(t, dangling, HeadSpec{Classes: 2})
	if !slices.Equal(rep.Removed, []string{"aux"}) || out.Layer("aux") != nil || !rep.NothingCut {
		t.Errorf("removed %v, nothing cut %v", rep.Removed, rep.NothingCut)
	}
}

func conv(name string) string {
	return `{"name": "` + name + `", "trainable": true, "dtype": "float32", "filters": 2, "kernel_size": [1, 1], "strides": [1, 1], "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "linear", "use_bias": true}`
}

func parseK2(t *testing.T, cfg string) *model.Model {
	t.Helper()
	m, err := model.Parse([]byte(cfg), model.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A shared layer whose first call feeds only the removed part: its kept
// call becomes node 0 and every reference to it is renumbered, as Keras
// numbers the calls of the model it rebuilds.
func TestRenumberSharedCalls(t *testing.T) {
	for _, d := range []model.Dialect{model.Keras2, model.Keras3} {
		m := sharedModel(t, d)
		out, rep := replace(t, m, HeadSpec{Classes: 2, CutAt: "c2"})
		if !slices.Equal(rep.Removed, []string{"side"}) || !slices.Equal(rep.DroppedInputs, []string{"a"}) {
			t.Errorf("%v: removed %v, dropped %v", d, rep.Removed, rep.DroppedInputs)
		}
		s := out.Layer("s")
		if len(s.Nodes) != 1 || s.Nodes[0].Inputs[0].Layer != "b" {
			t.Fatalf("%v: s has calls %v", d, s.Nodes)
		}
		c2 := out.Layer("c2")
		if r := c2.Nodes[0].Inputs[0]; r != (model.Ref{Layer: "s", Node: 0, Tensor: 0}) {
			t.Errorf("%v: c2 reads %v, want s[0][0]", d, r)
		}
		cfg := string(model.Marshal(out))
		want := `[["s", 0, 0, {}]]`
		if d == model.Keras3 {
			want = `"keras_history": ["s", 0, 0]`
		}
		if !strings.Contains(cfg, want) || strings.Contains(cfg, `"s", 1, 0`) {
			t.Errorf("%v: config not renumbered:\n%s", d, cfg)
		}
		if got := layerNames(out); !slices.Equal(got, []string{"b", "s", "c2", "avg_pool", "predictions"}) {
			t.Errorf("%v: layers %v", d, got)
		}
		if sh := outputShape(t, out); !sh.Equal(model.Shape{model.None, 2}) {
			t.Errorf("%v: output %s", d, sh)
		}
	}
}

// sharedModel: inputs a, b (4x4x3); s = Conv2D called on a then b; side
// reads s[0], c2 reads s[1]; outputs side and c2.
func sharedModel(t *testing.T, d model.Dialect) *model.Model {
	t.Helper()
	input := func(n string) string {
		return `{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4, 4, 3], "dtype": "float32", "sparse": false, "ragged": false, "name": "` + n + `"}, "name": "` + n + `", "inbound_nodes": []}`
	}
	call := func(l string, n int, ch int) string {
		return `[["` + l + `", ` + string(rune('0'+n)) + `, 0, {}]]`
	}
	if d == model.Keras3 {
		input = func(n string) string {
			return `{"class_name": "InputLayer", "config": {"batch_shape": [null, 4, 4, 3], "dtype": "float32", "sparse": false, "ragged": false, "name": "` + n + `", "optional": false}, "name": "` + n + `", "inbound_nodes": []}`
		}
		call = func(l string, n int, ch int) string {
			return `{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 4, ` + string(rune('0'+ch)) + `], "dtype": "float32", "keras_history": ["` + l + `", ` + string(rune('0'+n)) + `, 0]}}], "kwargs": {}}`
		}
	}
	cfg := `{"class_name": "Functional", "config": {"name": "m", "trainable": true, "layers": [` +
		input("a") + `, ` + input("b") + `,
	 {"class_name": "Conv2D", "config": ` + conv("s") + `, "name": "s", "inbound_nodes": [` + call("a", 0, 3) + `, ` + call("b", 0, 3) + `]},
	 {"class_name": "Conv2D", "config": ` + conv("side") + `, "name": "side", "inbound_nodes": [` + call("s", 0, 2) + `]},
	 {"class_name": "Conv2D", "config": ` + conv("c2") + `, "name": "c2", "inbound_nodes": [` + call("s", 1, 2) + `]}],
	 "input_layers": [["a", 0, 0], ["b", 0, 0]], "output_layers": [["side", 0, 0], ["c2", 0, 0]]}}`
	m, err := model.Parse([]byte(cfg), d)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// values are a new weight's values (nil for a reference into a file).
func values(w *model.Weight) []float32 {
	v, _ := w.Src.(model.Values)
	return v
}

// isNew reports a weight whose values are new data, not the source's.
func isNew(w *model.Weight) bool {
	_, ok := w.Src.(model.Values)
	return ok
}
