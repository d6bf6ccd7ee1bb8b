package surgery

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/modelsurg/modelsurg/internal/model"
	"github.com/modelsurg/modelsurg/internal/modeltest"
)

func rename(t *testing.T, m *model.Model, spec RenameSpec) (*model.Model, *RenameReport) {
	t.Helper()
	before := string(model.Marshal(m))
	out, rep, err := Rename(m, spec)
	if err != nil {
		t.Fatalf("Rename(%s, %+v): %v", m.Name, spec, err)
	}
	if string(model.Marshal(m)) != before {
		t.Fatal("Rename modified its argument")
	}
	return out, rep
}

func wnames(l *model.Layer) []string {
	var out []string
	for _, w := range l.Weights {
		out = append(out, w.Name)
	}
	return out
}

func TestRenameMap(t *testing.T) {
	for _, d := range []string{"k2", "k3"} {
		m := modeltest.Load(t, d, "branches")
		out, rep := rename(t, m, RenameSpec{Map: []Renaming{{"branch_a", "A"}, {"logits", "head"}, {"image", "pixels"}}})
		got := reparse(t, out)
		if got.Layer("A") == nil || got.Layer("branch_a") != nil || len(rep.Renamed) != 3 || rep.Weights != 4 {
			t.Fatalf("%s: layers %v, report %+v", d, names(got.Layers), rep)
		}
		if !slices.Equal(ioNames(got.Inputs), []string{"pixels"}) || !slices.Equal(ioNames(got.Outputs), []string{"head"}) {
			t.Errorf("%s: inputs %v outputs %v", d, ioNames(got.Inputs), ioNames(got.Outputs))
		}
		add := got.Layer("add").Nodes[0].Inputs
		if add[0].Layer != "A" {
			t.Errorf("%s: add reads %v", d, add)
		}
		for i, w := range out.Layer("A").Weights {
			src := m.Layer("branch_a").Weights[i]
			if !strings.HasPrefix(w.Name, "A/") || w.Src != src.Src || w.Name == src.Name {
				t.Errorf("%s: weight %q (from %q) not renamed or not the source's", d, w.Name, src.Name)
			}
		}
		if s := string(model.Marshal(out)); strings.Contains(s, `"branch_a"`) || strings.Contains(s, `"image"`) {
			t.Errorf("%s: an old name is left in the config", d)
		}
	}
}

func TestRenameNested(t *testing.T) {
	for _, d := range []string{"k2", "k3"} {
		m := modeltest.Load(t, d, "nested")
		out, _ := rename(t, m, RenameSpec{Map: []Renaming{{"inner", "core"}, {"inner_dense", "deep"}}})
		got := reparse(t, out)
		core := got.Layer("core")
		if core == nil || core.Sub == nil || core.Sub.Name != "core" || core.Sub.Layer("deep") == nil {
			t.Fatalf("%s: %s", d, model.Marshal(got))
		}
		ws := wnames(out.Layer("core"))
		if !slices.ContainsFunc(ws, func(n string) bool { return strings.HasPrefix(n, "deep/") }) ||
			slices.ContainsFunc(ws, func(n string) bool { return strings.HasPrefix(n, "inner_dense/") }) {
			t.Errorf("%s: nested weights %v", d, ws)
		}
	}
}

func TestRenameSwapAndAffixes(t *testing.T) {
	m := modeltest.Load(t, "k3", "branches")
	out, _ := rename(t, m, RenameSpec{Map: []Renaming{{"branch_a", "branch_b"}, {"branch_b", "branch_a"}}})
	reparse(t, out)
	if out.Layer("branch_a").Weights[0].Src != m.Layer("branch_b").Weights[0].Src {
		t.Error("swap: branch_a does not hold branch_b's weights")
	}
	out, rep := rename(t, m, RenameSpec{Map: []Renaming{{"logits", "head"}}, Prefix: "p_", Suffix: "_s"})
	got := reparse(t, out)
	if got.Layer("head") == nil || got.Layer("p_add_s") == nil || len(rep.Renamed) != len(m.Layers) {
		t.Errorf("affixes: %v", names(got.Layers))
	}
}

func TestRenameSanitize(t *testing.T) {
	m := modeltest.Load(t, "k2", "branches")
	slashed, _ := rename(t, m, RenameSpec{Map: []Renaming{{"branch_a", "block/a"}}})
	out, _ := rename(t, slashed, RenameSpec{Sanitize: true})
	got := reparse(t, out)
	if got.Layer("block_a") == nil || got.Layer("block/a") != nil || !strings.HasPrefix(got.Layer("block_a").Nodes[0].Inputs[0].Layer, "image") {
		t.Errorf("sanitize: %v", names(got.Layers))
	}
	if w := out.Layer("block_a").Weights[0].Name; !strings.HasPrefix(w, "block_a/") {
		t.Errorf("sanitize: weight %q", w)
	}
}

func TestRenameRefuses(t *testing.T) {
	cases := []struct {
		dialect string
		spec    RenameSpec
		want    string
		usage   bool
	}{
		{"k3", RenameSpec{}, "{Map}: nothing to rename", true},
		{"k3", RenameSpec{Map: []Renaming{{"add", "x"}, {"add", "y"}}}, `{Map}: layer "add" is renamed both "x" and "y"`, true},
		{"k3", RenameSpec{Map: []Renaming{{"nope", "x"}}}, `{Map}: no layer is named "nope"`, false},
		{"k3", RenameSpec{Map: []Renaming{{"add", "relu"}}}, `layer "add": cannot be renamed "relu": layer "relu" has that name`, false},
		{"k3", RenameSpec{Map: []Renaming{{"add", "x"}, {"relu", "x"}}}, `layers "add" and "relu" would both be named "x"`, false},
		{"k3", RenameSpec{Map: []Renaming{{"relu", "a/b"}}}, `layer "relu": cannot be renamed "a/b": Keras 3 refuses "/"`, false},
		{"k2", RenameSpec{Map: []Renaming{{"branch_a", "p_add"}}, Prefix: "p_"}, `layers "add" and "branch_a" would both be named "p_add"`, false},
	}
	for _, c := range cases {
		m := modeltest.Load(t, c.dialect, "branches")
		_, _, err := Rename(m, c.spec)
		var e *Error
		if !errors.As(err, &e) || !strings.HasPrefix(e.Error(), c.want) || e.Usage != c.usage {
			t.Errorf("%+v: got %v, want %q (usage %v)", c.spec, err, c.want, c.usage)
		}
	}
}

// Keras 3 names weights by their path through the models above them.
func TestRenameWeightPaths(t *testing.T) {
	m := modeltest.Load(t, "k3", "nested_sequential")
	out, _ := rename(t, m, RenameSpec{Map: []Renaming{{"block", "blk"}, {"block_dense_a", "a"}}})
	ws := wnames(out.Layer("blk"))
	if ws[0] != "blk/a/kernel" || ws[2] != "blk/block_bn/gamma" {
		t.Errorf("nested Sequential weights %v", ws)
	}
	m = modeltest.Load(t, "k3", "sequential_cnn")
	out, _ = rename(t, m, RenameSpec{Map: []Renaming{{"conv", "c1"}}})
	if ws := wnames(out.Layer("c1")); ws[0] != "sequential_cnn/c1/kernel" {
		t.Errorf("Sequential weights %v", ws)
	}
}
