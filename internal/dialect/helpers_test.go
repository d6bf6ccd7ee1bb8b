package dialect

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/modelsurg/modelsurg/internal/jsonx"
	"github.com/modelsurg/modelsurg/internal/model"
)

// helperModel is a tf-keras Functional config holding the three helper
// layers as tf_keras 2.21.0 writes them (class names and config keys as
// in its ConvNeXt and InceptionResNetV2 files), on an input of shape in;
// extra is spliced into the LayerScale's config.
func helperModel(t *testing.T, in, extra string) *model.Model {
	t.Helper()
	cfg := `{"class_name": "Functional", "config": {"name": "m", "layers": [
	{"class_name": "InputLayer", "config": {"batch_input_shape": ` + in + `, "dtype": "float32", "sparse": false, "ragged": false, "name": "x"}, "name": "x", "inbound_nodes": []},
	{"class_name": "LayerScale", "config": {"name": "ls", "trainable": true, "dtype": "float32", "init_values": 1e-06, "projection_dim": 4` + extra + `}, "name": "ls", "inbound_nodes": [[["x", 0, 0, {}]]]},
	{"class_name": "StochasticDepth", "config": {"name": "sd", "trainable": true, "dtype": "float32", "drop_path_rate": 0.1}, "name": "sd", "inbound_nodes": [[["ls", 0, 0, {}]]]},
	{"class_name": "Custom>CustomScaleLayer", "config": {"name": "csl", "trainable": true, "dtype": "float32", "scale": 0.17}, "name": "csl", "inbound_nodes": [[["x", 0, 0, {}], ["sd", 0, 0, {}]]]}],
	"input_layers": [["x", 0, 0]], "output_layers": [["csl", 0, 0]]}}`
	m, err := model.Parse([]byte(cfg), model.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	ls := m.Layer("ls")
	ls.Weights = []*model.Weight{{Name: "ls/gamma:0", Shape: []int{4}, DType: "float32", Src: model.Values{1e-6, -0.5, float32(math.Copysign(0, -1)), 3}}}
	return m
}

func TestConvertHelperLayers(t *testing.T) {
	m := helperModel(t, "[null, 8, 8, 4]", "")
	out, rep, err := Convert(m, model.Keras3)
	if err != nil {
		t.Fatal(err)
	}
	var classes []string
	for _, l := range out.Layers {
		classes = append(classes, l.Name+":"+l.Class)
	}
	if want := []string{"x:InputLayer", "ls:DepthwiseConv2D", "sd:Dropout", "csl_scale:Rescaling", "csl:Add"}; !slices.Equal(classes, want) {
		t.Fatalf("layers %q, want %q", classes, want)
	}
	if m.Layer("ls").Class != "LayerScale" || len(m.Layers) != 4 {
		t.Error("the source model was changed")
	}

	ls := out.Layer("ls")
	if k, _ := ls.Config.Get("kernel_size").Elems[0].Int(); k != 1 || ls.Config.Get("use_bias").B {
		t.Errorf("ls config %s", jsonx.Marshal(&jsonx.Value{Kind: jsonx.Object, Obj: ls.Config}))
	}
	g, src := ls.Weights[0], m.Layer("ls").Weights[0]
	got, _ := g.Src.Float32()
	want, _ := src.Src.Float32()
	if !slices.Equal(g.Shape, []int{1, 1, 4, 1}) || g.Name != "ls/depthwise_kernel:0" || !sameBits(got, want) {
		t.Errorf("kernel %s %v %v, want gamma's values %v", g.Name, g.Shape, got, want)
	}
	if src.Src == g.Src {
		t.Error("the kernel shares gamma's source: a writer would copy the dataset with gamma's shape")
	}

	sd := out.Layer("sd").Config
	if r, _ := sd.Get("rate").Float64(); r != 0.1 || string(jsonx.Marshal(sd.Get("noise_shape"))) != "[null, 1, 1, 1]" {
		t.Errorf("sd config rate %v noise_shape %s", r, jsonx.Marshal(sd.Get("noise_shape")))
	}

	rs := out.Layer("csl_scale").Config
	if string(jsonx.Marshal(rs.Get("scale"))) != "0.17" || string(jsonx.Marshal(rs.Get("offset"))) != "-0.0" {
		t.Errorf("Rescaling scale %s offset %s", jsonx.Marshal(rs.Get("scale")), jsonx.Marshal(rs.Get("offset")))
	}
	add := out.Layer("csl")
	if n := add.Nodes[0]; len(n.In) != 2 || n.In[0].Layer.Name != "x" || n.In[1].Layer.Name != "csl_scale" {
		t.Errorf("Add reads %v", add.Nodes[0].In)
	}
	if in := out.Layer("csl_scale").Nodes[0].In; len(in) != 1 || in[0].Layer.Name != "sd" {
		t.Errorf("Rescaling reads %v", in)
	}
	if fs := Find("keras3-helper-layers").Detect(out); len(fs) != 0 {
		t.Errorf("still %v", fs)
	}
	var layers []string
	for _, r := range rep.Rewrites {
		if r.Rule == "keras3-helper-layers" {
			layers = append(layers, r.Layers...)
		}
	}
	if !slices.Equal(layers, []string{"ls", "sd", "csl"}) {
		t.Errorf("reported %q", layers)
	}
	if s, err := model.Infer(out); err != nil || s == nil {
		t.Errorf("the converted model's shapes: %v", err)
	}
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// A rank-3 input takes a DepthwiseConv1D.
func TestConvertLayerScaleRank3(t *testing.T) {
	out, _, err := Convert(helperModel(t, "[null, 5, 4]", ""), model.Keras3)
	if err != nil {
		t.Fatal(err)
	}
	if l := out.Layer("ls"); l.Class != "DepthwiseConv1D" || !slices.Equal(l.Weights[0].Shape, []int{1, 4, 1}) {
		t.Errorf("%s %v", l.Class, l.Weights[0].Shape)
	}
	if nz := out.Layer("sd").Config.Get("noise_shape"); string(jsonx.Marshal(nz)) != "[null, 1, 1]" {
		t.Errorf("noise_shape %s", jsonx.Marshal(nz))
	}
}

func TestConvertHelperRefuses(t *testing.T) {
	for _, c := range []struct{ in, extra, want string }{
		{"[null, 4]", "", `layer "ls": a LayerScale on a rank-2 input`},
		{"[null, 2, 2, 2, 4]", "", `layer "ls": a LayerScale on a rank-5 input`},
		{"[null, 8, 8, 1]", "", `layer "ls": a LayerScale whose projection_dim is not its input's last dimension`},
		{"[null, 8, 8, 4]", `, "activity_regularizer": {"class_name": "L2"}`, `layer "ls": a LayerScale with config key "activity_regularizer"`},
	} {
		_, _, err := Convert(helperModel(t, c.in, c.extra), model.Keras3)
		var ce *ConvertError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s%s: %v, want %q", c.in, c.extra, err, c.want)
		}
	}
	m := helperModel(t, "[null, 8, 8, 4]", "")
	m.Layer("sd").Config.Set("drop_path_rate", jsonx.Float(1))
	if _, _, err := Convert(m, model.Keras3); err == nil || !strings.Contains(err.Error(), `layer "sd": a StochasticDepth whose drop_path_rate is not a number in [0, 1)`) {
		t.Errorf("rate 1: %v", err)
	}
	m = helperModel(t, "[null, 8, 8, 4]", "")
	m.Layer("ls").Weights[0].DType = "float16"
	if _, _, err := Convert(m, model.Keras3); err == nil || !strings.Contains(err.Error(), `gamma is float16 [4], not float32 (4,)`) {
		t.Errorf("float16 gamma: %v", err)
	}
}
