package surgery

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/modelsurg/modelsurg/internal/model"
	"github.com/modelsurg/modelsurg/internal/modeltest"
)

func freezeOK(t *testing.T, m *model.Model, spec FreezeSpec) (*model.Model, *FreezeReport) {
	t.Helper()
	before := string(model.Marshal(m))
	out, rep, err := Freeze(m, spec)
	if err != nil {
		t.Fatalf("Freeze(%s, %+v): %v", m.Name, spec, err)
	}
	if string(model.Marshal(m)) != before {
		t.Fatal("Freeze modified its argument")
	}
	reparse(t, out)
	return out, rep
}

func trainableOf(t *testing.T, m *model.Model) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	m.Walk(func(_ []string, l *model.Layer) {
		if l.Class != "InputLayer" {
			out[l.Name] = model.IsTrainable(l)
		}
	})
	return out
}

func TestFreezeAllAndBack(t *testing.T) {
	for _, d := range []string{"k2", "k3"} {
		m := modeltest.Load(t, d, "branches")
		out, rep := freezeOK(t, m, FreezeSpec{})
		if rep.Params.Trainable != 0 || rep.Params.NonTrainable != 166 || len(rep.Changed) != 8 {
			t.Errorf("%s: %+v", d, rep)
		}
		back, rep := freezeOK(t, out, FreezeSpec{Unfreeze: true})
		if rep.Params.Trainable != 166 || string(model.Marshal(back)) != string(model.Marshal(m)) {
			t.Errorf("%s: unfreeze does not give the source back: %+v", d, rep)
		}
	}
}

func TestFreezeUntilAndLayers(t *testing.T) {
	m := modeltest.Load(t, "k3", "branches")
	out, rep := freezeOK(t, m, FreezeSpec{Until: "add"})
	if want := []string{"branch_a", "branch_b", "add"}; !slices.Equal(rep.Changed, want) {
		t.Errorf("until: changed %v, want %v", rep.Changed, want)
	}
	if tr := trainableOf(t, out); !tr["branch_c"] || tr["branch_a"] {
		t.Errorf("until: %v", tr)
	}
	_, rep = freezeOK(t, m, FreezeSpec{Until: "add", Layers: "_b$"})
	if !slices.Equal(rep.Changed, []string{"branch_b"}) {
		t.Errorf("until+layers: changed %v", rep.Changed)
	}
}

func TestFreezeNestedReorders(t *testing.T) {
	for _, d := range []string{"k2", "k3"} {
		m := modeltest.Load(t, d, "nested")
		out, rep := freezeOK(t, m, FreezeSpec{Layers: "^inner_dense$"})
		if !slices.Equal(rep.Changed, []string{"inner_dense"}) {
			t.Fatalf("%s: changed %v", d, rep.Changed)
		}
		// trainable first: the frozen Dense's kernel and bias move behind
		// the BatchNormalization gammas and betas
		ws := wnames(out.Layer("inner"))
		kernel := slices.IndexFunc(ws, func(n string) bool { return strings.HasPrefix(n, "inner_dense/kernel") })
		beta := slices.IndexFunc(ws, func(n string) bool { return strings.HasPrefix(n, "inner_bn_b/beta") })
		if kernel < beta {
			t.Errorf("%s: weights not reordered: %v", d, ws)
		}
		back, _ := freezeOK(t, out, FreezeSpec{Layers: "^inner_dense$", Unfreeze: true})
		if !slices.Equal(wnames(back.Layer("inner")), wnames(m.Layer("inner"))) {
			t.Errorf("%s: unfreeze does not restore the order: %v", d, wnames(back.Layer("inner")))
		}
	}
}

func TestFreezeExceptBatchNorm(t *testing.T) {
	for _, d := range []string{"k2", "k3"} {
		m := modeltest.Load(t, d, "nested")
		out, _ := freezeOK(t, m, FreezeSpec{ExceptBatchNorm: true})
		tr := trainableOf(t, out)
		if !tr["inner"] || !tr["inner_bn_a"] || tr["inner_dense"] || tr["pre"] {
			t.Errorf("%s: %v", d, tr)
		}
	}
}

func TestFreezeRefuses(t *testing.T) {
	cases := []struct {
		spec  FreezeSpec
		want  string
		usage bool
	}{
		{FreezeSpec{Layers: "("}, "{Layers}: not a regular expression", true},
		{FreezeSpec{Layers: "zzz"}, `{Layers}: no layer matches "zzz"`, false},
		{FreezeSpec{Until: "nope"}, `{Until}: no layer is named "nope"`, false},
		{FreezeSpec{Until: "inner_dense"}, `{Until}: layer "inner_dense" is inside a nested model`, false},
	}
	for _, c := range cases {
		m := modeltest.Load(t, "k2", "nested")
		_, _, err := Freeze(m, c.spec)
		var e *Error
		if !errors.As(err, &e) || !strings.HasPrefix(e.Error(), c.want) || e.Usage != c.usage {
			t.Errorf("%+v: got %v, want %q (usage %v)", c.spec, err, c.want, c.usage)
		}
	}
}

// Keras 3 reads a wrapped layer's own flag back: it must follow.
func TestFreezeWrappedLayers(t *testing.T) {
	m := modeltest.Load(t, "k3", "rnn_wrappers")
	out, _ := freezeOK(t, m, FreezeSpec{})
	// the model's own flag is the only one left true (the source has 17)
	if n := strings.Count(string(model.Marshal(out)), `"trainable": true`); n != 1 {
		t.Errorf("%d trainable flags left, want the model's own", n)
	}
	back, _ := freezeOK(t, out, FreezeSpec{Unfreeze: true})
	if string(model.Marshal(back)) != string(model.Marshal(m)) {
		t.Error("unfreeze does not give the source back")
	}
}
