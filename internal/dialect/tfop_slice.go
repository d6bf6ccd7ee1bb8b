package dialect

import (
	"fmt"
	"slices"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// getitem is a SlicingOpLambda (x[...]) that keeps the batch axis and
// slices at most one other axis with step 1, with new axes (None) and
// integer indices, on an input of known shape: Cropping1D of the input
// seen as (B, size, rest), or Cropping2D of (B, before, size, rest), with
// a Reshape before and after where the rank needs it; new axes alone
// are a Reshape. Slicing copies values: measured bit-identical, h[:, 1:3]
// of (B, 8) as Reshape (8, 1) + Cropping1D (1, 5) + Reshape (2,),
// h[:, :, 2:6] of (B, 7, 9, 5) as Cropping2D ((0, 0), (2, 2)), h[:, 5] and
// h[:, -3:, None] by Cropping1D of (B, 7, 45), x[:, None] as Reshape.
func (o *tfOp) getitem() ([]step, error) {
	spec := o.kw.Get("slice_spec")
	if err := o.onlyKeys("slice_spec"); err != nil || spec == nil || o.xT != 0 || len(o.n.In) != 1 {
		return nil, fmt.Errorf("a slice modelsurg cannot read")
	}
	if spec.Kind != jsonx.Array || len(spec.Elems) == 0 || !fullSlice(spec.Elems[0]) {
		return nil, fmt.Errorf("a slice of the batch axis")
	}
	dims, err := o.static()
	if err != nil {
		return nil, err
	}
	c, err := readSlice(spec.Elems[1:], dims)
	if err != nil {
		return nil, err
	}
	if c.axis < 0 {
		return []step{reshapeStep(c.out)}, nil
	}
	k := c.axis
	p, d, q := prod(dims[:k]), dims[k], prod(dims[k+1:])
	form := []int{d, q}
	crop := newStep("Cropping1D", "cropping", intsJSON([]int{c.start, d - c.stop}))
	cropped := []int{c.stop - c.start, q}
	if p != 1 {
		form, cropped = []int{p, d, q}, []int{p, c.stop - c.start, q}
		crop = newStep("Cropping2D", "cropping", jsonx.Arr(intsJSON([]int{0, 0}), intsJSON([]int{c.start, d - c.stop})),
			"data_format", jsonx.Str("channels_last"))
	}
	var steps []step
	if !slices.Equal(dims, form) {
		steps = append(steps, reshapeStep(form))
	}
	steps = append(steps, crop)
	if !slices.Equal(cropped, c.out) {
		steps = append(steps, reshapeStep(c.out))
	}
	return steps, nil
}

// slicing is what a slice spec does to the non-batch axes: the one axis
// it crops to [start, stop) (-1: none) and the result's shape.
type slicing struct {
	axis, start, stop int
	out               []int
}

// readSlice reads the spec elements after the batch axis's for an input
// of non-batch shape dims.
func readSlice(spec []*jsonx.Value, dims []int) (slicing, error) {
	c := slicing{axis: -1}
	a := 0
	crop := func(start, stop int) error {
		if c.axis >= 0 {
			return fmt.Errorf("a slice of more than one axis")
		}
		if stop <= start {
			return fmt.Errorf("an empty slice")
		}
		c.axis, c.start, c.stop = a, start, stop
		return nil
	}
	for _, e := range spec {
		if e.IsNull() { // tf.newaxis
			c.out = append(c.out, 1)
			continue
		}
		if a >= len(dims) {
			return c, fmt.Errorf("a slice of more axes than the tensor has")
		}
		d := dims[a]
		if i, ok := e.Int(); ok {
			if i < 0 {
				i += int64(d)
			}
			if i < 0 || i >= int64(d) {
				return c, fmt.Errorf("index %d of an axis of size %d", i, d)
			}
			if err := crop(int(i), int(i)+1); err != nil {
				return c, err
			}
			a++
			continue
		}
		start, stop, err := sliceBounds(e, d)
		if err != nil {
			return c, err
		}
		if start != 0 || stop != d {
			if err := crop(start, stop); err != nil {
				return c, err
			}
		}
		c.out = append(c.out, stop-start)
		a++
	}
	c.out = append(c.out, dims[a:]...)
	return c, nil
}

// fullSlice reports {"start": null, "stop": null, "step": null}.
func fullSlice(v *jsonx.Value) bool {
	if v.Kind != jsonx.Object || v.Obj.Len() != 3 {
		return false
	}
	for _, k := range []string{"start", "stop", "step"} {
		if x := v.Obj.Get(k); x == nil || !x.IsNull() {
			return false
		}
	}
	return true
}

// sliceBounds are a {"start", "stop", "step"} slice's bounds on an axis of
// size d, as Python computes them (step null or 1).
func sliceBounds(v *jsonx.Value, d int) (int, int, error) {
	if v.Kind != jsonx.Object || v.Obj.Len() != 3 {
		return 0, 0, fmt.Errorf("a slice element modelsurg cannot read (%s)", jsonx.Marshal(v))
	}
	if st := v.Obj.Get("step"); st == nil || !st.IsNull() {
		if n, ok := st.Int(); st == nil || !ok || n != 1 {
			return 0, 0, fmt.Errorf("a slice with a step")
		}
	}
	bound := func(k string, def int) (int, error) {
		x := v.Obj.Get(k)
		if x == nil {
			return 0, fmt.Errorf("a slice without %s", k)
		}
		if x.IsNull() {
			return def, nil
		}
		n, ok := x.Int()
		if !ok {
			return 0, fmt.Errorf("a slice %s that is not an integer", k)
		}
		if n < 0 {
			n += int64(d)
		}
		return int(min(max(n, 0), int64(d))), nil
	}
	start, err := bound("start", 0)
	if err != nil {
		return 0, 0, err
	}
	stop, err := bound("stop", d)
	return start, stop, err
}
