package surgery

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/modelsurg/modelsurg/internal/model"
)

func transfer(t *testing.T, from, to *model.Model, spec TransferSpec) (*model.Model, *TransferReport) {
	t.Helper()
	before := string(model.Marshal(to))
	weights := map[string][]*model.Weight{}
	for _, l := range to.Layers {
		weights[l.Name] = append([]*model.Weight(nil), l.Weights...)
	}
	out, rep, err := TransferWeights(from, to, spec)
	if err != nil {
		t.Fatalf("TransferWeights(%s, %s): %v", from.Name, to.Name, err)
	}
	if string(model.Marshal(to)) != before {
		t.Fatal("TransferWeights modified its target's config")
	}
	for _, l := range to.Layers {
		if !slices.Equal(l.Weights, weights[l.Name]) {
			t.Fatalf("TransferWeights modified the weights of the target's layer %q", l.Name)
		}
	}
	if string(model.Marshal(out)) != before {
		t.Fatal("the result's config is not the target's")
	}
	return out, rep
}

// The everyday case: a model with a new head takes the backbone of the
// pretrained file; the head keeps its own weights.
func TestTransferBackbone(t *testing.T) {
	for _, d := range []string{"k2", "k3"} {
		pre := openFixture(t, d, "sequential_cnn")
		tuned, _ := replace(t, pre, HeadSpec{Classes: 2})
		out, rep := transfer(t, pre, tuned, TransferSpec{})
		if rep.Copied != 2 || rep.Layers != 1 || len(rep.Skipped) != 0 || !slices.Equal(rep.Unmatched, []string{"predictions"}) {
			t.Errorf("%s: report %+v", d, rep)
		}
		for i, w := range out.Layer("conv").Weights {
			src := pre.Layer("conv").Weights[i]
			if w.Src != src.Src || w.Name != tuned.Layer("conv").Weights[i].Name || !slices.Equal(w.Shape, src.Shape) {
				t.Errorf("%s: conv weight %d is %+v, want the source's data under the target's name", d, i, w)
			}
		}
		if !slices.Equal(out.Layer("predictions").Weights, tuned.Layer("predictions").Weights) {
			t.Errorf("%s: the head lost its own weights", d)
		}
	}
}

// A weight of another shape is skipped alone, with a line; the layer's
// other weights and the other layers still load.
func TestTransferShapeMismatch(t *testing.T) {
	pre := openFixture(t, "k2", "sequential_cnn")
	three, _ := replace(t, pre, HeadSpec{Classes: 3})
	two, _ := replace(t, pre, HeadSpec{Classes: 2})
	_, rep := transfer(t, three, two, TransferSpec{})
	if rep.Copied != 2 || len(rep.Skipped) != 2 {
		t.Fatalf("report %+v", rep)
	}
	s := rep.Skipped[0]
	if s.Layer != "predictions" || s.Weight != "predictions/kernel:0" || s.Msg != "shape (4, 3) in the source, (4, 2) in the target" {
		t.Errorf("skip %+v", s)
	}
}

// A layer whose weight count differs is skipped whole; when nothing at
// all is copied, Transfer fails and names the spec field to use.
func TestTransferCountMismatch(t *testing.T) {
	to := openFixture(t, "k2", "sequential_cnn")
	conv := to.Layer("conv").Weights
	_, _, err := Transfer([]Group{{Name: "conv", Weights: conv[:1]}}, to, TransferSpec{})
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(e.Msg, "every matched layer was skipped (1 mismatches)") || !strings.Contains(e.Hint, "{Map}") {
		t.Fatalf("err = %v", err)
	}
	_, _, err = Transfer([]Group{{Name: "other", Weights: conv}}, to, TransferSpec{})
	if err == nil || !strings.Contains(err.Error(), "no layer with weights has the same name") {
		t.Fatalf("err = %v", err)
	}
}

// Map sends a source layer to a target layer of another name, and only
// there; bad maps are refused by name.
func TestTransferMap(t *testing.T) {
	to := openFixture(t, "k2", "sequential_cnn")
	from := []Group{{Name: "old_conv", Weights: to.Layer("conv").Weights}, {Name: "conv", Weights: to.Layer("conv").Weights}}
	_, rep, err := Transfer(from, to, TransferSpec{Map: map[string]string{"old_conv": "conv"}})
	if err != nil || rep.Copied != 2 || rep.Layers != 1 {
		t.Fatalf("rep %+v, err %v", rep, err)
	}
	for _, c := range []struct {
		m    map[string]string
		want string
	}{
		{map[string]string{"nope": "conv"}, `{Map}: nope=conv: the source has no layer "nope"`},
		{map[string]string{"conv": "nope"}, `{Map}: conv=nope: the target has no layer "nope"`},
		{map[string]string{"conv": "dense", "old_conv": "dense"}, `{Map}: layers "conv" and "old_conv" both go to "dense"`},
	} {
		_, _, err := Transfer(from, to, TransferSpec{Map: c.m})
		if err == nil || err.Error() != c.want {
			t.Errorf("Map %v: err %v, want %s", c.m, err, c.want)
		}
	}
}

// Across dialects the target keeps its weight names and takes the
// source's data.
func TestTransferAcrossDialects(t *testing.T) {
	k3 := openFixture(t, "k3", "sequential_cnn")
	k2 := openFixture(t, "k2", "sequential_cnn")
	out, rep := transfer(t, k3, k2, TransferSpec{})
	if rep.Copied != 4 || len(rep.Unmatched) != 0 {
		t.Fatalf("report %+v", rep)
	}
	w := out.Layer("dense").Weights[0]
	if w.Name != k2.Layer("dense").Weights[0].Name || w.Src != k3.Layer("dense").Weights[0].Src {
		t.Errorf("dense kernel %+v", w)
	}
}
