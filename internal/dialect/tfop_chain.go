package dialect

import (
	"fmt"
	"slices"
	"strings"

	"github.com/modelsurg/modelsurg/internal/jsonx"
	"github.com/modelsurg/modelsurg/internal/model"
)

// The TensorFlow ops that become a chain of built-in Keras 3 layers (a
// Reshape around a pooling or a cropping): each form was measured to
// compute bit for bit what the op computes in tf-keras (Keras 3.15.1 on
// its TensorFlow backend, tf 2.21; fixtures k2/tfops and
// convert/k2/tfops_chains, every layer's output compared): TensorFlow's
// reductions collapse adjacent reduced axes, so a mean over axes a..b is
// the mean over one axis of the tensor reshaped.

// step is one layer of a chain: its class and its own config keys.
type step struct {
	class string
	cfg   *jsonx.Obj
}

func newStep(class string, kv ...any) step {
	cfg := jsonx.NewObject().Obj
	for i := 0; i+1 < len(kv); i += 2 {
		cfg.Set(kv[i].(string), kv[i+1].(*jsonx.Value))
	}
	return step{class, cfg}
}

func reshapeStep(dims []int) step {
	return newStep("Reshape", "target_shape", intsJSON(dims))
}

func intsJSON(dims []int) *jsonx.Value {
	v := jsonx.Arr()
	for _, d := range dims {
		v.Elems = append(v.Elems, jsonx.Int(int64(d)))
	}
	return v
}

// chainOps are the TensorFlow functions a chain rewrites.
var chainOps = map[string]func(o *tfOp) ([]step, error){
	"math.reduce_mean": (*tfOp).reduceMean, "reduce_mean": (*tfOp).reduceMean,
	"linalg.matmul": (*tfOp).matmul, "matmul": (*tfOp).matmul,
	"__operators__.getitem": (*tfOp).getitem,
}

// stepNames name a chain's new layers after the op layer's name.
var stepNames = map[string]string{"Reshape": "reshape", "GlobalAveragePooling1D": "pool", "Cropping1D": "crop", "Cropping2D": "crop"}

// applyChain makes l the last layer of steps, called on what the layer
// before it outputs; the others are new layers inserted before l, named
// after it, the first called on ins. It returns the new layers' names.
func applyChain(m *model.Model, l *model.Layer, steps []step, ins []model.Tensor) []string {
	taken := m.AllNames()
	var added []string
	for _, st := range steps[:len(steps)-1] {
		name := m.UniqueName(l.Name+"_"+stepNames[st.class], taken)
		nl := model.NewLayer(st.class, name, withBase(l, st.cfg))
		m.InsertBefore(nl, l)
		m.Call(nl, ins, nil)
		ins = []model.Tensor{{Layer: nl, Node: nl.Nodes[0], Index: 0}}
		added = append(added, name)
	}
	last := steps[len(steps)-1]
	l.Become(last.class, withBase(l, last.cfg))
	m.Recall(l, 0, ins, nil)
	return added
}

// withBase is cfg after the keys every layer of the chain takes from the
// op layer l: name, trainable, dtype.
func withBase(l *model.Layer, cfg *jsonx.Obj) *jsonx.Obj {
	base := jsonx.NewObject().Obj
	base.Set("name", jsonx.Str(l.Name))
	base.Set("trainable", jsonx.BoolV(true))
	if d := l.Config.Get("dtype"); d != nil {
		base.Set("dtype", d.Clone())
	}
	for i, k := range cfg.Keys {
		base.Set(k, cfg.Vals[i])
	}
	return base
}

// static is the input's shape without its batch axis, when every size is
// known.
func (o *tfOp) static() ([]int, error) {
	if len(o.in) < 1 {
		return nil, fmt.Errorf("its input's shape is unknown")
	}
	for _, d := range o.in[1:] {
		if d == model.None || d == 0 {
			return nil, fmt.Errorf("its input's shape %s is not known in full", o.in)
		}
	}
	return slices.Clone([]int(o.in[1:])), nil
}

// onlyKeys refuses a keyword argument outside allowed (name is always
// allowed as null or a string).
func (o *tfOp) onlyKeys(allowed ...string) error {
	for i, k := range o.kw.Keys {
		v := o.kw.Vals[i]
		if k == "name" && (v.IsNull() || v.Kind == jsonx.String) || slices.Contains(allowed, k) {
			continue
		}
		return fmt.Errorf("keyword argument %s", k)
	}
	return nil
}

func prod(ds []int) int {
	p := 1
	for _, d := range ds {
		p *= d
	}
	return p
}

// reduceMean is a mean over contiguous non-batch axes as
// GlobalAveragePooling1D over the steps axis of the input seen as
// (B, axes, rest) (measured bit-identical: axis 1 of (B, 4, 4); axes
// [1, 2] of (B, 4, 4) and of (B, 7, 9, 5); [1, 2, 3]), or with data_format
// channels_first over (B, before, axes) when the axes are the last ones
// (measured: axis 2 of (B, 4, 4), axis -1 of (B, 7, 9, 5) with keepdims).
func (o *tfOp) reduceMean() ([]step, error) {
	if err := o.onlyKeys("axis", "keepdims"); err != nil || o.xT != 0 || len(o.n.In) != 1 {
		return nil, fmt.Errorf("a reduce_mean modelsurg cannot read")
	}
	dims, err := o.static()
	if err != nil {
		return nil, err
	}
	keep := false
	if v := o.kw.Get("keepdims"); v != nil && !v.IsNull() {
		if v.Kind != jsonx.Bool {
			return nil, fmt.Errorf("keepdims is not a bool")
		}
		keep = v.B
	}
	axes, err := meanAxes(o.kw.Get("axis"), len(dims)+1)
	if err != nil {
		return nil, err
	}
	lo, hi := axes[0]-1, axes[len(axes)-1]-1 // indices into dims
	p, r, q := prod(dims[:lo]), prod(dims[lo:hi+1]), prod(dims[hi+1:])
	var out []int
	for i, d := range dims {
		if i < lo || i > hi {
			out = append(out, d)
		} else if keep {
			out = append(out, 1)
		}
	}
	form, format, left := []int{r, q}, "channels_last", []int{q}
	if p != 1 {
		if q != 1 {
			return nil, fmt.Errorf("a mean over middle axes %v, which no pooling layer computes", axes)
		}
		form, format, left = []int{p, r}, "channels_first", []int{p}
	}
	var steps []step
	if !slices.Equal(dims, form) {
		steps = append(steps, reshapeStep(form))
	}
	direct := len(steps) == 0 // a rank-3 input: the pooling's keepdims gives the result
	steps = append(steps, newStep("GlobalAveragePooling1D", "data_format", jsonx.Str(format), "keepdims", jsonx.BoolV(keep && direct)))
	if !direct && !slices.Equal(out, left) {
		steps = append(steps, reshapeStep(out))
	}
	return steps, nil
}

// meanAxes reads a reduce_mean axis (an int or a list of them) for a
// tensor of rank rank: sorted, contiguous, without the batch axis.
func meanAxes(v *jsonx.Value, rank int) ([]int, error) {
	if v == nil || v.IsNull() {
		return nil, fmt.Errorf("a mean over every axis, the batch axis too")
	}
	elems := []*jsonx.Value{v}
	if v.Kind == jsonx.Array {
		elems = v.Elems
	}
	var axes []int
	for _, e := range elems {
		a, ok := e.Int()
		if !ok {
			return nil, fmt.Errorf("an axis that is not an integer")
		}
		if a < 0 {
			a += int64(rank)
		}
		if a < 1 || a >= int64(rank) {
			return nil, fmt.Errorf("a mean over axis %d of a rank-%d tensor", a, rank)
		}
		axes = append(axes, int(a))
	}
	slices.Sort(axes)
	axes = slices.Compact(axes)
	if len(axes) == 0 || axes[len(axes)-1]-axes[0] != len(axes)-1 {
		return nil, fmt.Errorf("a mean over axes %v that are not contiguous", axes)
	}
	return axes, nil
}

// matmul of two rank-3 tensors as Dot over the contracted axes (measured
// bit-identical: matmul(s, s, transpose_b=True) on (B, 4, 4), on
// (B, 7, 33) x (B, 9, 33) and (B, 7, 33) with itself as Dot axes (2, 2);
// a plain (B, 7, 33) x (B, 33, 9) as Dot axes (2, 1)). Dot's batch_dot
// transposes the second operand for transpose_b. transpose_a and the
// adjoints are refused (not measured).
func (o *tfOp) matmul() ([]step, error) {
	b := o.kw.Get("b")
	if b == nil || b.Kind != jsonx.Array || o.xT != 0 || len(o.n.In) != 2 {
		return nil, fmt.Errorf("a matmul whose operands are not two tensors")
	}
	if err := o.onlyKeys("b", "transpose_b", "transpose_a", "adjoint_a", "adjoint_b", "a_is_sparse", "b_is_sparse", "output_type", "grad_a", "grad_b"); err != nil {
		return nil, err
	}
	for _, k := range []string{"transpose_a", "adjoint_a", "adjoint_b", "a_is_sparse", "b_is_sparse", "grad_a", "grad_b"} {
		if v := o.kw.Get(k); v != nil && !(v.Kind == jsonx.Bool && !v.B) {
			return nil, fmt.Errorf("%s is %s", k, jsonx.Marshal(v))
		}
	}
	if v := o.kw.Get("output_type"); v != nil && !v.IsNull() {
		return nil, fmt.Errorf("output_type is %s", jsonx.Marshal(v))
	}
	tb := false
	if v := o.kw.Get("transpose_b"); v != nil {
		if v.Kind != jsonx.Bool {
			return nil, fmt.Errorf("transpose_b is not a bool")
		}
		tb = v.B
	}
	if len(o.ins) != 2 || len(o.ins[0]) != 3 || len(o.ins[1]) != 3 {
		return nil, fmt.Errorf("a matmul of tensors that are not both of rank 3 (Dot multiplies batch by batch)")
	}
	axis := 1
	if tb {
		axis = 2
	}
	return []step{newStep("Dot", "axes", intsJSON([]int{2, axis}), "normalize", jsonx.BoolV(false))}, nil
}

// describeChain is what rewriteTFOp reports for a chain.
func describeChain(class, fn string, steps []step, added []string) string {
	classes := make([]string, len(steps))
	for i, st := range steps {
		classes[i] = st.class
	}
	what := fmt.Sprintf("rewrote %s tf.%s as %s", class, fn, strings.Join(classes, " + "))
	if len(added) > 0 {
		what += fmt.Sprintf(" (new layers %s)", strings.Join(added, ", "))
	}
	return what
}
