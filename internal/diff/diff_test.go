package diff

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/modelsurg/modelsurg/internal/jsonx"
	"github.com/modelsurg/modelsurg/internal/model"
	"github.com/modelsurg/modelsurg/internal/modeltest"
)

// read reads a fixture weight (a ramp) or new data through the rows
// interface, as h5model.ReadRows does for a file.
func read(w *model.Weight, row, rows int, dst []float64) error {
	v, err := modeltest.Read(w)
	if err != nil {
		return err
	}
	per := len(dst) / max(rows, 1)
	for i := range dst {
		dst[i] = float64(v[row*per+i])
	}
	return nil
}

func compare(t *testing.T, a, b *model.Model) *Report {
	t.Helper()
	r, err := Compare(FromModel("a.h5", a), FromModel("b.h5", b), read, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func clone(t *testing.T, m *model.Model) *model.Model {
	c := model.Clone(m)
	return c
}

func TestSelfEqual(t *testing.T) {
	for _, f := range []string{"branches", "nested", "rnn", "sequential_cnn", "shared", "multi_io"} {
		for _, d := range []string{"k2", "k3"} {
			m := modeltest.Load(t, d, f)
			r := compare(t, m, modeltest.Load(t, d, f))
			if !r.Equal() || r.Totals.Different+r.Totals.ShapeChanged != 0 {
				var b bytes.Buffer
				r.Text(&b)
				t.Errorf("%s/%s differs from itself:\n%s", d, f, b.String())
			}
		}
	}
}

// A config value, a weight's values and a weight's shape that differ are
// each reported on the layer, with the largest difference.
func TestChanges(t *testing.T) {
	a := modeltest.Load(t, "k2", "sequential_cnn")
	b := clone(t, a)
	dense := b.Layer("dense")
	dense.Config.Set("activation", jsonx.Str("linear"))
	k := dense.Weights[0]
	data := make([]float32, k.Size())
	for i := range data {
		data[i] = float32(i)
	}
	data[3] += 0.5
	dense.Weights = []*model.Weight{{Name: k.Name, Shape: k.Shape, DType: k.DType, Src: model.Values(data)}, dense.Weights[1]}
	conv := b.Layer("conv")
	conv.Weights = []*model.Weight{conv.Weights[0], {Name: "conv/bias:0", Shape: []int{5}, DType: "float32", Src: make(model.Values, 5)}}
	r := compare(t, a, b)
	if r.Equal() || len(r.Changed) != 2 {
		t.Fatalf("changed = %+v", r.Changed)
	}
	c := r.Changed[0]
	if c.Name != "conv" || len(c.Weights) != 1 || c.Weights[0].Status != ShapeChanged || c.Weights[0].Index != 1 {
		t.Errorf("conv: %+v", c)
	}
	c = r.Changed[1]
	if c.Name != "dense" || len(c.Config) != 1 || c.Config[0] != (KeyChange{"activation", `"softmax"`, `"linear"`}) {
		t.Errorf("dense config: %+v", c.Config)
	}
	if len(c.Weights) != 1 || c.Weights[0].Status != Different || c.Weights[0].MaxAbsDiff != 0.5 {
		t.Errorf("dense weights: %+v", c.Weights)
	}
	if r.Totals != (Totals{Equal: 2, Different: 1, ShapeChanged: 1}) {
		t.Errorf("totals %+v", r.Totals)
	}
	// within a tolerance the values are equal
	r, _ = Compare(FromModel("a", a), FromModel("b", b), read, Options{Tolerance: 0.5})
	if len(r.Changed[1].Weights) != 0 {
		t.Errorf("tolerance 0.5: %+v", r.Changed[1].Weights)
	}
}

// A layer under another name with the same class, config and weights is a
// rename; one whose weights differ is a removal and an addition.
func TestRenamed(t *testing.T) {
	a := modeltest.Load(t, "k2", "sequential_cnn")
	b := clone(t, a)
	b.Layer("dense").Name = "logits"
	b.Layer("flatten").Name = "flat"
	r := compare(t, a, b)
	want := []Rename{{From: "flatten", To: "flat", Class: "Flatten"}, {From: "dense", To: "logits", Class: "Dense"}}
	if len(r.Renamed) != 2 || r.Renamed[0] != want[0] || r.Renamed[1] != want[1] || len(r.Added)+len(r.Removed) != 0 {
		t.Fatalf("renamed %+v, added %+v, removed %+v", r.Renamed, r.Added, r.Removed)
	}
	w := b.Layer("logits").Weights
	b.Layer("logits").Weights = []*model.Weight{{Name: w[0].Name, Shape: w[0].Shape, DType: "float32", Src: make(model.Values, w[0].Size())}, w[1]}
	r = compare(t, a, b)
	if len(r.Renamed) != 1 || len(r.Removed) != 1 || r.Removed[0].Name != "dense" || len(r.Added) != 1 || r.Added[0].Name != "logits" {
		t.Fatalf("renamed %+v, added %+v, removed %+v", r.Renamed, r.Added, r.Removed)
	}
}

// What only the dialect writes differently is no change.
func TestNormalizeDialect(t *testing.T) {
	k3 := `{"name": "d", "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
		"units": 2.0, "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null, "input_axes": null}, "registered_name": null},
		"quantization_config": null, "batch_shape": [null, 3]}`
	k2 := `{"name": "e", "dtype": "float32", "units": 2, "activity_regularizer": null,
		"kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}}, "batch_input_shape": [null, 3]}`
	a, b := obj(t, k3), obj(t, k2)
	if ch := configChanges(a, b, true); len(ch) != 0 {
		t.Errorf("across dialects: %+v", ch)
	}
	// within one dialect a null key that the other file lacks is a change
	if ch := configChanges(a, b, false); len(ch) != 3 || ch[1].Key != "quantization_config" || ch[2].Key != "activity_regularizer" {
		t.Errorf("same dialect: %+v", ch)
	}
	b.Set("units", jsonx.Int(3))
	if ch := configChanges(a, b, true); len(ch) != 1 || ch[0] != (KeyChange{"units", "2.0", "3"}) {
		t.Errorf("units: %+v", ch)
	}
}

func obj(t *testing.T, s string) *jsonx.Obj {
	v, err := jsonx.Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v.Obj
}

// Weights-only sides compare groups; JSON lists are never null.
func TestGroupsAndJSON(t *testing.T) {
	m := modeltest.Load(t, "k2", "sequential_cnn")
	groups := map[string][]*model.Weight{}
	var names []string
	for _, l := range m.Layers {
		names = append(names, l.Name)
		groups[l.Name] = l.Weights
	}
	r, err := Compare(FromGroups("a", names, groups), FromGroups("b", names[:2], groups), read, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := r.JSON(&b); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got["equal"] != false || got["renamed"] == nil || len(got["removed"].([]any)) != 3 {
		t.Errorf("json %s", b.String())
	}
	b.Reset()
	r.Text(&b)
	if !strings.Contains(b.String(), `- removed layer "flatten"`+"\n") || !strings.HasPrefix(strings.Split(b.String(), "\n")[3], "different: 5 -> 2 layers") {
		t.Errorf("text:\n%s", b.String())
	}
}

// A layer inside a nested model is named by its path; a nested model only
// one side has is one removed layer, not one per layer inside it.
func TestNested(t *testing.T) {
	a := modeltest.Load(t, "k2", "nested")
	b := clone(t, a)
	var inner *model.Layer
	for _, l := range b.Layers {
		if l.Sub != nil {
			inner = l
		}
	}
	if inner == nil {
		t.Fatal("no nested model in k2/nested")
	}
	sub := inner.Sub.Layers[len(inner.Sub.Layers)-1]
	sub.Config.Set("trainable", jsonx.BoolV(false))
	r := compare(t, a, b)
	want := inner.Name + "/" + sub.Name
	if len(r.Changed) != 1 || r.Changed[0].Name != want || r.Changed[0].Config[0].Key != "trainable" {
		t.Fatalf("changed %+v, want %s", r.Changed, want)
	}
	inner.Name = "gone"
	inner.Config.Set("name", jsonx.Str("gone"))
	sub.Config.Set("trainable", jsonx.BoolV(true))
	r = compare(t, a, b)
	if len(r.Renamed) != 1 || r.Renamed[0].To != "gone" || len(r.Removed)+len(r.Added) != 0 {
		t.Errorf("renamed %+v, removed %+v, added %+v", r.Renamed, r.Removed, r.Added)
	}
}

// A nested model under another name whose layers differ is no rename.
func TestNestedRenameNeedsSameLayers(t *testing.T) {
	a := modeltest.Load(t, "k2", "nested")
	b := clone(t, a)
	for _, l := range b.Layers {
		if l.Sub != nil {
			l.Name = "gone"
			l.Config.Set("layers", jsonx.Arr())
		}
	}
	r := compare(t, a, b)
	if len(r.Renamed) != 0 || len(r.Removed) != 1 || len(r.Added) != 1 {
		t.Errorf("renamed %+v, removed %+v, added %+v", r.Renamed, r.Removed, r.Added)
	}
}
