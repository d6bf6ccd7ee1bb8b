package model

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// configs returns the model_config documents saved next to the fixtures
// (testdata/configs/*.json, extracted by gen_fixtures.py from the Keras-made
// files), keyed by file name.
func configs(t testing.TB) map[string][]byte {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "configs", "*", "*.json"))
	if len(paths) == 0 {
		t.Fatal("no configs in testdata/configs; run make fixtures")
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[p] = b
	}
	return out
}

func dialectOfPath(p string) Dialect {
	if strings.Contains(p, string(filepath.Separator)+"k3"+string(filepath.Separator)) {
		return Keras3
	}
	return Keras2
}

func TestParseMarshalKerasConfigs(t *testing.T) {
	for p, data := range configs(t) {
		m, err := Parse(data, dialectOfPath(p))
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if got := Marshal(m); !bytes.Equal(got, data) {
			t.Errorf("%s: Marshal(Parse(x)) != x", p)
		}
		c := Clone(m)
		if !bytes.Equal(Marshal(c), data) {
			t.Errorf("%s: clone differs", p)
		}
	}
}

func TestParseRejects(t *testing.T) {
	cases := map[string]string{
		"not json":      `{"class_name": `,
		"not an object": `[1, 2]`,
		"unknown class": `{"class_name": "Transformer", "config": {}}`,
		"no layers":     `{"class_name": "Functional", "config": {"name": "m"}}`,
		"missing inbound layer": `{"class_name": "Functional", "config": {"name": "m", "layers": [
			{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 2], "name": "in"}, "name": "in", "inbound_nodes": []},
			{"class_name": "Dense", "config": {"name": "d", "units": 2}, "name": "d", "inbound_nodes": [[["ghost", 0, 0, {}]]]}],
			"input_layers": [["in", 0, 0]], "output_layers": [["d", 0, 0]]}}`,
		"duplicate names": `{"class_name": "Functional", "config": {"name": "m", "layers": [
			{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 2], "name": "in"}, "name": "in", "inbound_nodes": []},
			{"class_name": "Dense", "config": {"name": "in", "units": 2}, "name": "in", "inbound_nodes": [[["in", 0, 0, {}]]]}],
			"input_layers": [["in", 0, 0]], "output_layers": [["in", 0, 0]]}}`,
		"cycle": `{"class_name": "Functional", "config": {"name": "m", "layers": [
			{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 2], "name": "in"}, "name": "in", "inbound_nodes": []},
			{"class_name": "Add", "config": {"name": "a"}, "name": "a", "inbound_nodes": [[["in", 0, 0, {}], ["b", 0, 0, {}]]]},
			{"class_name": "Dense", "config": {"name": "b", "units": 2}, "name": "b", "inbound_nodes": [[["a", 0, 0, {}]]]}],
			"input_layers": [["in", 0, 0]], "output_layers": [["b", 0, 0]]}}`,
		"bad node index": `{"class_name": "Functional", "config": {"name": "m", "layers": [
			{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 2], "name": "in"}, "name": "in", "inbound_nodes": []},
			{"class_name": "Dense", "config": {"name": "d", "units": 2}, "name": "d", "inbound_nodes": [[["in", 3, 0, {}]]]}],
			"input_layers": [["in", 0, 0]], "output_layers": [["d", 0, 0]]}}`,
	}
	for name, cfg := range cases {
		_, err := Parse([]byte(cfg), Keras2)
		if err == nil {
			t.Errorf("%s: parsed", name)
			continue
		}
		if name == "cycle" && !errors.Is(err, ErrCycle) {
			t.Errorf("cycle: %v", err)
		}
	}
}

// FuzzParse: no input panics, and parse -> marshal -> parse is stable.
func FuzzParse(f *testing.F) {
	for p, data := range configs(f) {
		if len(data) < 20000 {
			f.Add(data, dialectOfPath(p) == Keras3)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, k3 bool) {
		d := Keras2
		if k3 {
			d = Keras3
		}
		m, err := Parse(data, d)
		if err != nil {
			return
		}
		out := Marshal(m)
		m2, err := Parse(out, d)
		if err != nil {
			t.Fatalf("reparse: %v", err)
		}
		if !bytes.Equal(Marshal(m2), out) {
			t.Fatal("unstable marshal")
		}
		if s, err := Infer(m2); err == nil {
			for _, l := range m2.Layers {
				LayerParams(m2, l, s)
			}
		}
	})
}

// A tensor passed as a keyword argument is an input of the call: the branch
// behind it is part of the model (a siamese model's distance layer, as
// tf_keras writes it), and so is the second tensor of a TFOpLambda, whose
// node is one bare entry.
func TestKeywordTensors(t *testing.T) {
	cfg := `{"class_name": "Functional", "config": {"name": "m", "layers": [` +
		`{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "name": "a"}, "name": "a", "inbound_nodes": []}, ` +
		`{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "name": "b"}, "name": "b", "inbound_nodes": []}, ` +
		`{"class_name": "Dense", "config": {"name": "da", "units": 2}, "name": "da", "inbound_nodes": [[["a", 0, 0, {}]]]}, ` +
		`{"class_name": "Dense", "config": {"name": "db", "units": 2}, "name": "db", "inbound_nodes": [[["b", 0, 0, {}]]]}, ` +
		`{"class_name": "L1Dist", "config": {"name": "dist"}, "name": "dist", "inbound_nodes": [[["da", 0, 0, {"other": ["db", 0, 0]}]]]}, ` +
		`{"class_name": "TFOpLambda", "config": {"name": "tf.math.add", "function": "math.add"}, "name": "tf.math.add", "inbound_nodes": [["dist", 0, 0, {"y": ["db", 0, 0], "name": null}]]}], ` +
		`"input_layers": [["a", 0, 0], ["b", 0, 0]], "output_layers": [["tf.math.add", 0, 0]]}}`
	m, err := Parse([]byte(cfg), Keras2)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(Marshal(m)); got != cfg {
		t.Errorf("round trip:\n%s", got)
	}
	for name, want := range map[string][]string{"dist": {"da", "db"}, "tf.math.add": {"dist", "db"}} {
		var got []string
		for _, in := range m.Layer(name).Nodes[0].In {
			got = append(got, in.Layer.Name)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s reads %v, want %v", name, got, want)
		}
	}
	if u := m.Unplaced(); len(u) != 0 {
		t.Errorf("unplaced layers: %v", u)
	}
}

// What the parser cannot read is refused, never dropped: each case's
// layer "x" is the model's output; "d" feeds it where the case does.
func TestParseRejectsUnplaced(t *testing.T) {
	head := `{"class_name": "Functional", "config": {"name": "m", "layers": [` +
		`{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "name": "a"}, "name": "a", "inbound_nodes": []}, ` +
		`{"class_name": "Dense", "config": {"name": "d", "units": 2}, "name": "d", "inbound_nodes": [[["a", 0, 0, {}]]]}, `
	tail := `], "input_layers": [["a", 0, 0]], "output_layers": [["x", 0, 0]]}}`
	cases := map[string]struct{ layer, names string }{
		"keyword ghost":       {`{"class_name": "Dense", "config": {"name": "x", "units": 2}, "name": "x", "inbound_nodes": [[["d", 0, 0, {"y": ["ghost", 0, 0]}]]]}`, `"x"`},
		"entries disagree":    {`{"class_name": "Add", "config": {"name": "x"}, "name": "x", "inbound_nodes": [[["a", 0, 0, {"y": ["d", 0, 0]}], ["d", 0, 0, {}]]]}`, `"x"`},
		"five-element entry":  {`{"class_name": "Dense", "config": {"name": "x", "units": 2}, "name": "x", "inbound_nodes": [[["d", 0, 0, {}, 1]]]}`, `"x"`},
		"keras tensor no ref": {`{"class_name": "Dense", "config": {"name": "x", "units": 2}, "name": "x", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {}}], "kwargs": {}}]}`, `"x"`},
	}
	for name, c := range cases {
		_, err := Parse([]byte(head+c.layer+tail), Keras2)
		if err == nil {
			t.Errorf("%s: parsed", name)
		} else if !strings.Contains(err.Error(), c.names) {
			t.Errorf("%s: error does not name layer %s: %v", name, c.names, err)
		}
	}
}

// A layer no output depends on parses (surgery may remove it on purpose)
// but is reported, so that no command drops its weights unnoticed.
func TestUnplaced(t *testing.T) {
	cfg := `{"class_name": "Functional", "config": {"name": "m", "layers": [` +
		`{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "name": "a"}, "name": "a", "inbound_nodes": []}, ` +
		`{"class_name": "Dense", "config": {"name": "d", "units": 2}, "name": "d", "inbound_nodes": [[["a", 0, 0, {}]]]}, ` +
		`{"class_name": "Dense", "config": {"name": "x", "units": 2}, "name": "x", "inbound_nodes": [[["a", 0, 0, {}]]]}], ` +
		`"input_layers": [["a", 0, 0]], "output_layers": [["d", 0, 0]]}}`
	m, err := Parse([]byte(cfg), Keras2)
	if err != nil {
		t.Fatal(err)
	}
	if u := m.Unplaced(); len(u) != 1 || u[0].Name != "x" {
		t.Errorf("unplaced %v, want [x]", u)
	}
}

// Clone is a deep copy: editing every config of the copy, cutting it and
// renaming in it leaves the original's JSON as it was; Marshal changes
// nothing either.
func TestCloneIsDeep(t *testing.T) {
	for p, data := range configs(t) {
		m, err := Parse(data, dialectOfPath(p))
		if err != nil {
			continue
		}
		c := Clone(m)
		c.Walk(func(_ []string, l *Layer) {
			if l.Config != nil {
				l.Config.Set("edited", nil)
			}
		})
		if len(c.Layers) > 1 {
			last := c.Layers[len(c.Layers)-1]
			_ = c.Rename(last.Name, last.Name+"_renamed")
		}
		_ = Marshal(c)
		if got := Marshal(m); !bytes.Equal(got, data) {
			t.Errorf("%s: editing the clone changed the original", p)
		}
	}
}
