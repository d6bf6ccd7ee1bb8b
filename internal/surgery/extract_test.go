package surgery

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/modelsurg/modelsurg/internal/model"
	"github.com/modelsurg/modelsurg/internal/modeltest"
)

// reparse writes m and reads it back, as the saved file will be read.
func reparse(t *testing.T, m *model.Model) *model.Model {
	t.Helper()
	p, err := model.Parse(model.Marshal(m), m.Dialect)
	if err != nil {
		t.Fatalf("the written config does not parse: %v", err)
	}
	if _, err := model.Infer(p); err != nil {
		t.Fatalf("the written config does not infer: %v", err)
	}
	return p
}

func names(ls []*model.Layer) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Name)
	}
	return out
}

func ioNames(ts []model.Tensor) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Layer.Name)
	}
	return out
}

func extract(t *testing.T, m *model.Model, spec ExtractSpec) (*model.Model, *ExtractReport) {
	t.Helper()
	before := string(model.Marshal(m))
	out, rep, err := Extract(m, spec)
	if err != nil {
		t.Fatalf("Extract(%s, %+v): %v", m.Name, spec, err)
	}
	if string(model.Marshal(m)) != before {
		t.Fatal("Extract modified its argument")
	}
	if a, b := model.Marshal(out), model.Marshal(reparse(t, out)); string(a) != string(b) {
		t.Fatal("the written config does not read back to itself")
	}
	return out, rep
}

func TestExtractOutputs(t *testing.T) {
	for _, d := range []string{"k2", "k3"} {
		m := modeltest.Load(t, d, "branches")
		out, rep := extract(t, m, ExtractSpec{Outputs: []string{"relu", "branch_c"}})
		got := reparse(t, out)
		if want := []string{"relu", "branch_c"}; !slices.Equal(ioNames(got.Outputs), want) {
			t.Errorf("%s: outputs %v, want %v", d, ioNames(got.Outputs), want)
		}
		if want := []string{"concat", "gap", "logits"}; !slices.Equal(rep.Removed, want) {
			t.Errorf("%s: removed %v, want %v", d, rep.Removed, want)
		}
		for _, l := range out.Layers {
			src := m.Layer(l.Name)
			if len(l.Weights) != len(src.Weights) || (len(l.Weights) > 0 && l.Weights[0] != src.Weights[0]) {
				t.Errorf("%s: layer %q: weights are not the source's", d, l.Name)
			}
		}
	}
}

func TestExtractInput(t *testing.T) {
	for _, d := range []string{"k2", "k3"} {
		m := modeltest.Load(t, d, "branches")
		out, rep := extract(t, m, ExtractSpec{Inputs: []string{"relu", "image"}, Outputs: []string{"logits"}})
		got := reparse(t, out)
		if want := []string{"relu_input", "image"}; !slices.Equal(ioNames(got.Inputs), want) {
			t.Errorf("%s: inputs %v, want %v", d, ioNames(got.Inputs), want)
		}
		if len(rep.NewInputs) != 1 || rep.NewInputs[0].Shape.String() != "(None, 8, 8, 4)" {
			t.Errorf("%s: new inputs %+v", d, rep.NewInputs)
		}
		in := got.Layer("relu_input")
		s, err := model.InputShape(in, got.Dialect)
		if err != nil || s.String() != "(None, 8, 8, 4)" {
			t.Errorf("%s: relu_input declares %v, %v", d, s, err)
		}
		for _, gone := range []string{"branch_a", "branch_b", "add", "relu"} {
			if got.Layer(gone) != nil {
				t.Errorf("%s: layer %q kept", d, gone)
			}
		}
		key := map[string]bool{"k2": in.Config.Has("batch_input_shape"), "k3": in.Config.Has("batch_shape")}[d]
		if !key {
			t.Errorf("%s: the new InputLayer does not use its dialect's shape key: %s", d, model.Marshal(got))
		}
	}
}

func TestExtractSequential(t *testing.T) {
	for _, d := range []string{"k2", "k3"} {
		m := modeltest.Load(t, d, "sequential_cnn")
		out, rep := extract(t, m, ExtractSpec{Outputs: []string{"pool"}})
		if !out.IsSequential() || slices.Contains(names(out.Layers), "dense") || !slices.Equal(rep.Removed, []string{"flatten", "dense"}) {
			t.Errorf("%s: layers %v, removed %v", d, names(out.Layers), rep.Removed)
		}
	}
}

func TestExtractRefuses(t *testing.T) {
	cases := []struct {
		fixture string
		spec    ExtractSpec
		want    string
		usage   bool
	}{
		{"branches", ExtractSpec{}, "{Outputs}: name at least one layer", true},
		{"branches", ExtractSpec{Outputs: []string{"add", "add"}}, `{Outputs}: layer "add" is named twice`, true},
		{"branches", ExtractSpec{Outputs: []string{"add"}, Inputs: []string{"add"}}, `{Inputs}: layer "add" is also one of {Outputs}`, true},
		{"branches", ExtractSpec{Outputs: []string{"nope"}}, `{Outputs}: no layer is named "nope"`, false},
		{"branches", ExtractSpec{Outputs: []string{"image"}}, `{Outputs}: layer "image" is an input of the model`, false},
		{"branches", ExtractSpec{Outputs: []string{"logits"}, Inputs: []string{"relu"}}, `{Inputs}: the outputs still depend on the model input "image"`, false},
		{"branches", ExtractSpec{Outputs: []string{"add"}, Inputs: []string{"branch_c", "image"}}, `layer "branch_c": no output in {Outputs} depends on it`, false},
		{"nested", ExtractSpec{Outputs: []string{"inner_dense"}}, `{Outputs}: layer "inner_dense" is inside a nested model`, false},
		{"shared", ExtractSpec{Outputs: []string{"shared_dense"}}, `layer "shared_dense": called 3 times`, false},
		{"sequential_cnn", ExtractSpec{Outputs: []string{"pool", "conv"}}, "{Outputs}: a Sequential model has one output", false},
		{"sequential_cnn", ExtractSpec{Outputs: []string{"dense"}, Inputs: []string{"pool"}}, "{Inputs}: a Sequential model cannot take a new input", false},
	}
	for _, c := range cases {
		for _, d := range []string{"k2", "k3"} {
			m := modeltest.Load(t, d, c.fixture)
			_, _, err := Extract(m, c.spec)
			var e *Error
			if !errors.As(err, &e) || !strings.HasPrefix(e.Error(), c.want) || e.Usage != c.usage {
				t.Errorf("%s/%s %+v: got %v (usage %v), want %q (usage %v)", d, c.fixture, c.spec, err, e != nil && e.Usage, c.want, c.usage)
			}
		}
	}
}
