package surgery

import (
	"errors"
	"math"
	"testing"

	"github.com/modelsurg/modelsurg/internal/model"
	"github.com/modelsurg/modelsurg/internal/modeltest"
)

func castOK(t *testing.T, m *model.Model, spec CastSpec) (*model.Model, *CastReport) {
	t.Helper()
	before := string(model.Marshal(m))
	out, rep, err := Cast(m, spec)
	if err != nil {
		t.Fatalf("Cast(%s, %+v): %v", m.Name, spec, err)
	}
	if string(model.Marshal(m)) != before {
		t.Fatal("Cast modified its argument")
	}
	reparse(t, out)
	return out, rep
}

// policies maps each non-input layer (at any depth) to its policy name.
func policiesOf(m *model.Model) map[string]string {
	out := map[string]string{}
	m.Walk(func(_ []string, l *model.Layer) {
		if l.Class != "InputLayer" && l.Sub == nil {
			out[l.Name] = l.DTypePolicy()
		}
	})
	return out
}

// TestCastNested: k?/nested holds BatchNormalization layers inside a
// nested model; their weights stay float32 and (Keras 3) get the mixed
// policy; every other weight is float16, its values rounded.
func TestCastNested(t *testing.T) {
	bnPolicy := map[string]string{"k2": "float16", "k3": "mixed_float16"}
	for _, d := range []string{"k2", "k3"} {
		m := modeltest.Load(t, d, "nested")
		out, rep := castOK(t, m, CastSpec{DType: "float16"})
		if rep.Kept != 2 || rep.Weights != 6 {
			t.Errorf("%s: %+v", d, rep)
		}
		for name, p := range policiesOf(out) {
			want := "float16"
			if name == "inner_bn_a" || name == "inner_bn_b" {
				want = bnPolicy[d]
			}
			if p != want {
				t.Errorf("%s: layer %q has policy %q, want %q", d, name, p, want)
			}
		}
		inner := out.Layer("inner")
		src := m.Layer("inner")
		n16 := 0
		for i, w := range inner.Weights {
			if w.DType == "float16" {
				n16++
				if w == src.Weights[i] {
					t.Errorf("%s: weight %q cast in place", d, w.Name)
				}
			} else if w != src.Weights[i] {
				t.Errorf("%s: kept weight %q is not the source's", d, w.Name)
			}
		}
		if n16 != 2 {
			t.Errorf("%s: %d float16 weights in inner, want its Dense's 2", d, n16)
		}
		if _, rep := castOK(t, m, CastSpec{DType: "float16", All: true}); rep.Kept != 0 || rep.Weights != 14 {
			t.Errorf("%s --all: %+v", d, rep)
		}
	}
}

// TestCastValues: the cast values are the float16 roundings of the
// source's. The dense kernel is given the values 2040, 2041, ...: float16
// holds every integer up to 2048 and, from 2048 to 4096, the even ones, so
// an odd value above 2048 is a tie that goes to the multiple of 4.
func TestCastValues(t *testing.T) {
	m := model.Clone(modeltest.Load(t, "k2", "sequential_cnn"))
	w := m.Layer("dense").Weights[0]
	ramp := make(model.Values, w.Size())
	for j := range ramp {
		ramp[j] = float32(2040 + j)
	}
	w.Src = ramp
	out, _ := castOK(t, m, CastSpec{DType: "float16"})
	got, err := out.Layer("dense").Weights[0].Src.Float32()
	if err != nil {
		t.Fatal(err)
	}
	for j, x := range ramp {
		want := x
		if x > 2048 {
			want = float32(math.RoundToEven(float64(x)/2) * 2)
		}
		if got[j] != want {
			t.Fatalf("value %g cast to %g, want %g", x, got[j], want)
		}
	}
	if got[9] != 2048 || got[11] != 2052 {
		t.Fatalf("2049 -> %g, 2051 -> %g: want ties to even, 2048 and 2052", got[9], got[11])
	}
}

func TestCastRefuses(t *testing.T) {
	m := modeltest.Load(t, "k3", "sequential_cnn")
	for _, spec := range []CastSpec{{DType: "float8"}, {DType: "float16", Policy: "bfloat16"}, {DType: "float32", Policy: "float16"}, {DType: "float16", Policy: "mixed_float8"}} {
		_, _, err := Cast(m, spec)
		var e *Error
		if !errors.As(err, &e) || !e.Usage {
			t.Errorf("%+v: %v, want a usage error", spec, err)
		}
	}
}
