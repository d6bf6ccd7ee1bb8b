package modeltest

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelsurg/modelsurg/internal/model"
)

// manifests lists the committed manifests as (dialect, name) pairs.
func manifests(t *testing.T) [][2]string {
	t.Helper()
	root, err := Testdata()
	if err != nil {
		t.Fatal(err)
	}
	paths, _ := filepath.Glob(filepath.Join(root, "weights", "*", "*.json"))
	if len(paths) == 0 {
		t.Fatal("no manifests in testdata/weights; run testdata/gen_manifests.py")
	}
	var out [][2]string
	for _, p := range paths {
		out = append(out, [2]string{filepath.Base(filepath.Dir(p)), strings.TrimSuffix(filepath.Base(p), ".json")})
	}
	return out
}

// Every manifest loads, and every saved weight lands on the layer of its group.
func TestLoadAll(t *testing.T) {
	for _, dn := range manifests(t) {
		t.Run(dn[0]+"/"+dn[1], func(t *testing.T) { checkBound(t, dn[0], dn[1]) })
	}
}

func checkBound(t *testing.T, dialect, name string) {
	m := Load(t, dialect, name)
	mf, err := ReadManifest(dialect, name)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range mf.Layers {
		if len(g.Weights) == 0 {
			continue
		}
		l := m.Layer(g.Name)
		if l == nil || len(l.Weights) != len(g.Weights) {
			t.Errorf("group %q not bound", g.Name)
			continue
		}
		for i, w := range l.Weights {
			e := g.Weights[i]
			if w.Name != e.Name || !slices.Equal(w.Shape, e.Shape) || w.DType != e.DType || w.Src == nil {
				t.Errorf("weight %+v, want %+v", w, e)
			}
		}
	}
}

func TestNestedWeightsInOwnGroup(t *testing.T) {
	m := Load(t, "k2", "nested")
	inner := m.Layer("inner")
	if len(inner.Weights) != 10 || inner.Weights[0].Name != "inner_bn_a/gamma:0" {
		t.Errorf("inner weights %d", len(inner.Weights))
	}
	for _, l := range inner.Sub.Layers {
		if len(l.Weights) != 0 {
			t.Errorf("sublayer %s holds weights", l.Name)
		}
	}
}

func TestRead(t *testing.T) {
	m := Load(t, "k2", "sequential_cnn")
	k := m.Layer("conv").Weights[0]
	v, err := Read(k)
	if err != nil || len(v) != 3*3*3*4 || v[0] != 0 || v[107] != 107 {
		t.Errorf("ramp %v %v", len(v), err)
	}
	k.Src = model.Values{1, 2}
	if v, _ := Read(k); !slices.Equal(v, []float32{1, 2}) {
		t.Errorf("new data read as %v", v)
	}
	k.Src = nil
	if _, err := Read(k); err == nil || !strings.Contains(err.Error(), `weight "conv/kernel:0"`) {
		t.Errorf("no source: %v", err)
	}
}
