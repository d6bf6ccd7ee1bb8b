package model

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// graphOf lists every call of m and its models as "layer#node <- inputs",
// inputs as layer#node:tensor counted from the layer's first call, so that
// the two dialects' numberings compare equal.
func graphOf(m *Model) []string {
	var out []string
	var walk func(m *Model, path string)
	walk = func(m *Model, path string) {
		for _, l := range m.Layers {
			for i, n := range l.Nodes {
				s := fmt.Sprintf("%s%s#%d <-", path, l.Name, i)
				for j, t := range n.In {
					if j == firstArg(l, n) {
						s += " |" // the other arguments: in each dialect's order, so sorted here
					}
					if t.Node == nil {
						s += fmt.Sprintf(" %s:%d", t.Layer.Name, t.Index)
					} else {
						s += fmt.Sprintf(" %s#%d:%d", t.Layer.Name, nodeIndex(t.Layer, t.Node), t.Index)
					}
				}
				out = append(out, sortKeywords(s))
			}
			if l.Sub != nil {
				walk(l.Sub, path+l.Name+"/")
			}
		}
		for _, t := range m.Outputs {
			out = append(out, fmt.Sprintf("%sout %s:%d", path, t.Layer.Name, t.Index))
		}
	}
	walk(m, "")
	return out
}

// firstArg counts the tensors of a call's first argument.
func firstArg(l *Layer, n *Node) int {
	if n.raw == nil {
		return len(n.In) // a Sequential model's made-up call
	}
	if n.raw.Kind == jsonx.Object {
		var ts []*jsonx.Value
		if a := n.raw.Obj.Get("args"); a != nil && len(a.Elems) > 0 {
			kerasTensors(a.Elems[0], &ts, 0)
		} else if n.Kwargs != nil {
			kerasTensors(n.Kwargs.Get("inputs"), &ts, 0) // called as layer(inputs=x)
		}
		return len(ts)
	}
	if isEntry(n.raw) || rnnClasses[l.Class] {
		return 1 // an RNN's other entries are its initial states
	}
	return len(n.raw.Elems)
}

func sortKeywords(s string) string {
	head, kw, ok := strings.Cut(s, " |")
	if !ok {
		return s
	}
	f := strings.Fields(kw)
	sort.Strings(f)
	return head + " | " + strings.Join(f, " ")
}

// refused are the calls the other dialect cannot write.
var refused = map[string]string{
	"k2/tfops_multi.json":       `layer "tf.math.subtract" (TFOpLambda): a call whose first argument is a constant`,
	"k3/keras3_ops.json":        `layer "add_const" (Add): a call whose first argument is not tensors`,
	"k3/keras3_unloadable.json": `layer "add" (Add): a call with 2 positional arguments`,
}

// TestInDialect: every Keras-made config, written in the other dialect and
// parsed back as that dialect, has the same graph; and written back in its
// own, gives the source bytes where the source's forms are the ones
// modelsurg writes.
func TestInDialect(t *testing.T) {
	for p, data := range configs(t) {
		d := dialectOfPath(p)
		other := Keras3
		if d == Keras3 {
			other = Keras2
		}
		m, err := Parse(data, d)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		c, _, err := InDialect(m, other)
		if name := filepath.Base(p); err != nil || refused[filepath.Base(filepath.Dir(p))+"/"+name] != "" {
			if want := refused[filepath.Base(filepath.Dir(p))+"/"+name]; err == nil || !strings.Contains(err.Error(), want) || want == "" {
				t.Errorf("%s: error %v, want %q", p, err, want)
			}
			continue
		}
		if !bytes.Equal(Marshal(m), data) {
			t.Fatalf("%s: InDialect modified its argument", p)
		}
		back, err := Parse(Marshal(c), other)
		if err != nil {
			t.Errorf("%s: the %s form does not parse: %v", p, other, err)
			continue
		}
		want, got := graphOf(m), graphOf(back)
		if fmt.Sprint(want) != fmt.Sprint(got) {
			t.Errorf("%s: graph changed in %s:\n got %v\nwant %v", p, other, got, want)
		}
		again, _, err := InDialect(back, d)
		if err != nil {
			t.Errorf("%s: back to %s: %v", p, d, err)
			continue
		}
		if fmt.Sprint(graphOf(again)) != fmt.Sprint(want) {
			t.Errorf("%s: graph changed on the way back", p)
		}
	}
}
