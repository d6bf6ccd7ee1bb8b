package h5model

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelsurg/modelsurg/internal/kerasfile"
	"github.com/modelsurg/modelsurg/internal/model"
	"github.com/modelsurg/modelsurg/internal/surgery"
)

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{
		"Conv2D": "conv2d", "BatchNormalization": "batch_normalization", "GlobalAveragePooling2D": "global_average_pooling2d",
		"ConvLSTM2D": "conv_lstm2d", "LSTM": "lstm", "InputLayer": "input_layer", "MultiHeadAttention": "multi_head_attention",
		"ReLU": "re_lu", "PReLU": "p_re_lu", "Functional": "functional", "DepthwiseConv2D": "depthwise_conv2d",
	} {
		if got := snakeCase(in); got != want {
			t.Errorf("snakeCase(%q) = %q, want %q", in, got, want)
		}
	}
}

func openKeras(t *testing.T, path string) *File {
	t.Helper()
	a, err := kerasfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := OpenKeras3(Keras3Source{Path: path, Offset: a.WeightsOffset, Size: a.WeightsSize, Config: a.Config,
		KerasVersion: a.KerasVersion, DateSaved: a.DateSaved}, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// keras3Fixtures are the k3 fixtures saved both ways by the same builder
// (optimizer trains, bool_ints is edited after saving: their .h5 differs).
func keras3Fixtures(t *testing.T) []string {
	paths, _ := filepath.Glob("../../testdata/k3/*.keras")
	if len(paths) == 0 {
		t.Fatal("no testdata/k3/*.keras (testdata/gen_fixtures.py --keras-only)")
	}
	var out []string
	for _, p := range paths {
		n := strings.TrimSuffix(filepath.Base(p), ".keras")
		if n != "optimizer" && n != "bool_ints" {
			out = append(out, n)
		}
	}
	return out
}

// A .keras fixture reads as its .h5 twin: per layer, the same weights in
// the same order, the same shapes and dtypes, the same values bit for bit.
func TestKeras3MatchesH5(t *testing.T) {
	for _, n := range keras3Fixtures(t) {
		k := openKeras(t, "../../testdata/k3/"+n+".keras")
		h, err := Open("../../testdata/k3/" + n + ".h5")
		if err != nil {
			t.Fatal(err)
		}
		sameWeightsAs(t, n, k, h)
		h.Close()
	}
}

func sameWeightsAs(t *testing.T, what string, got, want *File) {
	t.Helper()
	for _, l := range want.Model.Layers {
		gl := got.Model.Layer(l.Name)
		if gl == nil || len(gl.Weights) != len(l.Weights) {
			t.Errorf("%s: layer %q: %d weights, want %d", what, l.Name, len(gl.Weights), len(l.Weights))
			continue
		}
		for i, w := range l.Weights {
			g := gl.Weights[i]
			if !slices.Equal(g.Shape, w.Shape) || g.DType != w.DType {
				t.Errorf("%s: %s: %v %s, want %v %s", what, w.Name, g.Shape, g.DType, w.Shape, w.DType)
				continue
			}
			if w.DType != "float32" {
				continue
			}
			a, err1 := ReadFloat32(g)
			b, err2 := ReadFloat32(w)
			if err1 != nil || err2 != nil || !slices.Equal(a, b) {
				t.Errorf("%s: %s: values differ (%v, %v)", what, w.Name, err1, err2)
			}
		}
	}
}

// Saving as .keras from a .keras and from an .h5 source gives archives
// that read back with the same weights, byte-identical on a second save.
func TestSaveKeras3(t *testing.T) {
	dir := t.TempDir()
	for _, n := range keras3Fixtures(t) {
		k := openKeras(t, "../../testdata/k3/"+n+".keras")
		h, err := Open("../../testdata/k3/" + n + ".h5")
		if err != nil {
			t.Fatal(err)
		}
		for i, src := range []*File{k, h, k} {
			out := filepath.Join(dir, n+string(rune('a'+i))+".keras")
			cfg, _ := kerasfile.Config(model.Marshal(src.Model), kerasfile.ConfigOptions{})
			if err := SaveKeras3(out, src, src.Model, kerasfile.Metadata("3.15.1", ""), cfg, SaveOptions{}); err != nil {
				t.Fatalf("%s: %v", n, err)
			}
			sameWeightsAs(t, n+" saved", openKeras(t, out), h)
		}
		a, _ := os.ReadFile(filepath.Join(dir, n+"a.keras"))
		c, _ := os.ReadFile(filepath.Join(dir, n+"c.keras"))
		if !bytes.Equal(a, c) {
			t.Errorf("%s: two saves differ", n)
		}
		h.Close()
	}
}

// A head cut and added renumbers the per-class paths: the new Dense
// layers take dense and dense_1 after the kept ones, in layer order.
func TestKeras3Renumbers(t *testing.T) {
	k := openKeras(t, "../../testdata/k3/branches.keras")
	m, _, err := surgery.ReplaceHead(k.Model, surgery.HeadSpec{Classes: 3, Hidden: []int{4}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, kl := range keras3Layers(m, "") {
		paths = append(paths, kl.l.Name+"="+kl.path)
	}
	got := strings.Join(paths, " ")
	for _, want := range []string{"dense=layers/dense", "predictions=layers/dense_1", "=layers/conv2d_2", "=layers/input_layer"} {
		if !strings.Contains(got, want) {
			t.Errorf("paths %s: no %s", got, want)
		}
	}
	out := filepath.Join(t.TempDir(), "head.keras")
	cfg, _ := kerasfile.Config(model.Marshal(m), kerasfile.ConfigOptions{DropBuild: true})
	if err := SaveKeras3(out, k, m, kerasfile.Metadata("3.15.1", ""), cfg, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	back := openKeras(t, out)
	if l := back.Model.Layer("predictions"); l == nil || len(l.Weights) != 2 || !slices.Equal(l.Weights[0].Shape, []int{4, 3}) {
		t.Errorf("predictions read back as %+v", l)
	}
}
