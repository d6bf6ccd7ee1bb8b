//go:build cgo

package modeltest

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/modelsurg/modelsurg/internal/h5model"
	"github.com/modelsurg/modelsurg/internal/model"
)

// The manifests say what the .h5 files hold (regenerate them with
// testdata/gen_manifests.py when a fixture changes), and Load binds them
// to the same layers as h5model.Open. Needs cgo: not built without it.
func TestManifestsMatchFiles(t *testing.T) {
	root, err := Testdata()
	if err != nil {
		t.Fatal(err)
	}
	for _, dn := range manifests(t) {
		t.Run(dn[0]+"/"+dn[1], func(t *testing.T) { checkFile(t, root, dn[0], dn[1]) })
	}
}

func checkFile(t *testing.T, root, dialect, name string) {
	mf, err := ReadManifest(dialect, name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := h5model.Open(filepath.Join(root, mf.Source))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	for _, g := range mf.Layers {
		names = append(names, g.Name)
		if got := entries(f.Groups[g.Name]); !slices.EqualFunc(got, g.Weights, sameEntry) {
			t.Errorf("group %q\n file     %v\n manifest %v", g.Name, got, g.Weights)
		}
	}
	if !slices.Equal(names, f.LayerNames) {
		t.Errorf("layer_names %v, manifest %v", f.LayerNames, names)
	}
	m := Load(t, dialect, name)
	if m.Dialect != f.Model.Dialect || string(model.Marshal(m)) != string(model.Marshal(f.Model)) {
		t.Error("the config differs from the file's")
	}
	for _, l := range f.Model.Layers {
		if got, want := entries(m.Layer(l.Name).Weights), entries(l.Weights); !slices.EqualFunc(got, want, sameEntry) {
			t.Errorf("layer %q holds %v, the file binds %v", l.Name, got, want)
		}
	}
}

func entries(ws []*model.Weight) []WeightEntry {
	out := []WeightEntry{}
	for _, w := range ws {
		out = append(out, WeightEntry{Name: w.Name, Shape: w.Shape, DType: w.DType})
	}
	return out
}

func sameEntry(a, b WeightEntry) bool {
	return a.Name == b.Name && a.DType == b.DType && slices.Equal(a.Shape, b.Shape)
}
