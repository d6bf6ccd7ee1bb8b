package h5model

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelsurg/modelsurg/internal/model"
)

// Copy keeps every object but optimizer_weights with the same attributes
// and stored bytes, model_config as the source's bytes, and drops
// training_config only when asked.
func TestCopyKeepsEveryByte(t *testing.T) {
	dir := t.TempDir()
	for i, p := range fixtures(t) {
		src, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		want := readTree(t, p, noOptimizer)
		for _, drop := range []bool{false, true} {
			out := filepath.Join(dir, fmt.Sprintf("%d-%v.h5", i, drop))
			if err := Copy(out, src, SaveOptions{DropTrainingConfig: drop}); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			got := readTree(t, out, noOptimizer)
			if drop {
				if !src.HasTrainingConfig {
					continue
				}
				if attrs := rootAttrs(t, out); slices.Contains(attrs, "training_config") {
					t.Errorf("%s: training_config kept with DropTrainingConfig", p)
				}
				continue
			}
			compareTrees(t, p, want, got)
			if !slices.Equal(rootAttrs(t, out), rootAttrs(t, p)) {
				t.Errorf("%s: root attributes %v, want %v", p, rootAttrs(t, out), rootAttrs(t, p))
			}
			if src.Model != nil && !bytes.Equal(rawConfig(t, out), rawConfig(t, p)) {
				t.Errorf("%s: model_config changed", p)
			}
		}
		src.Close()
	}
}

func rootAttrs(t *testing.T, p string) []string {
	t.Helper()
	leave := enter()
	defer leave()
	f, err := openFile(p)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFile(f)
	return attrList(t, f)
}

// slashLayers is a weights-only file laid out as tf-keras lays out layers
// whose names hold "/" (MobileNetV3Large(minimalistic=True), DenseNet):
// h5py reads the name as a path, so the group of "Conv/BatchNorm" sits in
// the group of "Conv", and "blk/dw" in a plain group "blk". The interop
// test test_realworld.py::test_layout checks this layout against tf-keras.
var slashLayers = []struct {
	name    string
	weights []string
}{
	{"input_1", nil},
	{"Conv", []string{"Conv/kernel:0"}},
	{"Conv/BatchNorm", []string{"Conv/BatchNorm/gamma:0", "Conv/BatchNorm/beta:0"}},
	{"blk/dw", []string{"blk/dw/depthwise_kernel:0"}},
	{"blk/dw/BatchNorm", []string{"blk/dw/BatchNorm/gamma:0"}},
	{"Logits", []string{"Logits/kernel:0", "Logits/bias:0"}},
}

func writeSlashFile(t *testing.T, p string) {
	t.Helper()
	leave := enter()
	defer leave()
	f, err := createFile(p)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	sorted := slices.Clone(slashLayers)
	slices.SortFunc(sorted, func(a, b struct {
		name    string
		weights []string
	}) int {
		return strings.Compare(a.name, b.name)
	})
	for _, l := range sorted {
		g, err := createGroup(f, l.name)
		must(err)
		must(writeList(g, "weight_names", l.weights))
		for i, w := range l.weights {
			must(writeValues(g, w, &model.Weight{Name: w, Shape: []int{2, 3}, Src: model.Values{1, 2, 3, 4, 5, float32(i)}}))
		}
		closeGroup(g)
	}
	for _, l := range slashLayers {
		names = append(names, l.name)
	}
	must(writeList(f, "layer_names", names))
	must(closeFile(f))
}

// Layers named with "/" are written where tf-keras writes them, whether
// their groups are copied or written weight by weight, and whether the
// layer whose group holds another's is kept or removed.
func TestSaveSlashNames(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "slash.h5")
	writeSlashFile(t, p)
	src, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	want := readTree(t, p, noOptimizer)
	if _, ok := want["/Conv/BatchNorm/Conv/BatchNorm/gamma:0"]; !ok {
		t.Fatal("the fixture does not nest Conv/BatchNorm in Conv")
	}
	for _, fast := range []bool{true, false} {
		out := filepath.Join(dir, fmt.Sprintf("same-%v.h5", fast))
		withFastCopy(fast, func() {
			if err := Save(out, src, nil, SaveOptions{}); err != nil {
				t.Fatal(err)
			}
		})
		compareTrees(t, fmt.Sprintf("unchanged, fast %v", fast), want, readTree(t, out, noOptimizer))
	}

	// "Conv" removed, "Conv/BatchNorm" given new weights: Conv becomes a
	// plain group holding only BatchNorm, as h5py would make it.
	names := slices.DeleteFunc(slices.Clone(src.LayerNames), func(n string) bool { return n == "Conv" })
	groups := map[string][]*model.Weight{}
	for k, v := range src.Groups {
		groups[k] = v
	}
	fresh := &model.Weight{Name: "Conv/BatchNorm/gamma:0", Shape: []int{2, 3}, DType: "float32", Src: model.Values{9, 9, 9, 9, 9, 9}}
	groups["Conv/BatchNorm"] = []*model.Weight{fresh, src.Groups["Conv/BatchNorm"][1]}
	out := filepath.Join(dir, "changed.h5")
	leave := enter()
	err = withCopier(out, func(f hid, c *copier) error { return writeWeights(f, c, src.root(), src, names, groups) })
	leave()
	if err != nil {
		t.Fatal(err)
	}
	got := readTree(t, out, noOptimizer)
	if g := got["/Conv"]; g.kind != kindGroup || len(g.attrs) != 0 {
		t.Errorf("/Conv: %+v, want a plain group", g)
	}
	if _, ok := got["/Conv/Conv"]; ok {
		t.Error("the removed layer Conv's weights were written")
	}
	for _, k := range []string{"/Conv/BatchNorm", "/Conv/BatchNorm/Conv/BatchNorm/beta:0", "/blk/dw/BatchNorm/blk/dw/BatchNorm/gamma:0"} {
		w, g := want[k], got[k]
		if g.kind != w.kind || !slices.Equal(g.attrs, w.attrs) || !bytes.Equal(g.data, w.data) {
			t.Errorf("%s: %+v, want %+v", k, g, w)
		}
	}
	vals, err := readBack(out, "/Conv/BatchNorm", fresh.Name)
	if err != nil || !slices.Equal(vals, []float32(fresh.Src.(model.Values))) {
		t.Errorf("new weight: %v, %v", vals, err)
	}
}

// A Keras 3 operation (ops.concatenate in keras3_ops: a config entry
// without "trainable") gets no group and no layer_names entry in what Save
// writes, as Keras saves none, also once renamed.
func TestSaveLeavesOutOperations(t *testing.T) {
	p := filepath.Join("..", "..", "testdata", "k3", "keras3_ops.h5")
	src, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	const op = "concatenate"
	if slices.Contains(src.LayerNames, op) || src.Model.Layer(op) == nil {
		t.Fatalf("%s: %q is not an operation of the config", p, op)
	}
	renamed := model.Clone(src.Model)
	if err := renamed.Rename(op, "cat"); err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]*model.Model{op: src.Model, "cat": renamed} {
		out := filepath.Join(t.TempDir(), "out.h5")
		if err := Save(out, src, m, SaveOptions{}); err != nil {
			t.Fatal(err)
		}
		got, err := Open(out)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.LayerNames, src.LayerNames) {
			t.Errorf("%s: layer_names %v, want %v", name, got.LayerNames, src.LayerNames)
		}
		got.Close()
		if _, ok := readTree(t, out, noOptimizer)["/model_weights/"+name]; ok {
			t.Errorf("a group was written for %q", name)
		}
	}
}
