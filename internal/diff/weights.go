package diff

import (
	"fmt"
	"math"
	"slices"

	"github.com/modelsurg/modelsurg/internal/model"
)

// Statuses of a WeightChange.
const (
	Different    = "different"     // same shape, other values
	ShapeChanged = "shape_changed" // another shape: values not compared
	DTypeChanged = "dtype_changed" // same values in another dtype
	Added        = "added"         // only in b
	Removed      = "removed"       // only in a
)

// chunk is the number of values read from each side at a time.
const chunk = 1 << 18

// weights compares two layers' weights by position and counts them in t;
// it returns the pairs that differ.
func (c *comparer) weights(wa, wb []*model.Weight, t *Totals) ([]WeightChange, error) {
	var out []WeightChange
	for i := range max(len(wa), len(wb)) {
		switch {
		case i >= len(wb):
			t.Removed++
			out = append(out, WeightChange{Index: i, Name: wa[i].Name, Status: Removed, ShapeA: wa[i].Shape, DTypeA: wa[i].DType})
			continue
		case i >= len(wa):
			t.Added++
			out = append(out, WeightChange{Index: i, Name: wb[i].Name, Status: Added, ShapeB: wb[i].Shape, DTypeB: wb[i].DType})
			continue
		}
		a, b := wa[i], wb[i]
		ch := WeightChange{Index: i, Name: a.Name, ShapeA: a.Shape, ShapeB: b.Shape, DTypeA: a.DType, DTypeB: b.DType}
		if !slices.Equal(a.Shape, b.Shape) {
			t.ShapeChanged++
			ch.Status = ShapeChanged
			out = append(out, ch)
			continue
		}
		d, err := c.maxAbsDiff(a, b)
		if err != nil {
			return nil, err
		}
		switch {
		case d > c.tol || math.IsNaN(d):
			t.Different++
			ch.Status, ch.MaxAbsDiff = Different, Float(d)
			out = append(out, ch)
		case a.DType != b.DType:
			t.Different++
			ch.Status, ch.MaxAbsDiff = DTypeChanged, Float(d)
			out = append(out, ch)
		default:
			t.Equal++
		}
	}
	return out, nil
}

// maxAbsDiff returns the largest absolute difference between two weights
// of one shape: 0 only when every value is the same bit for bit (as
// float64), the smallest positive float when they differ only in the sign
// of a zero or a NaN's bits, +Inf where one value is NaN and not the other.
func (c *comparer) maxAbsDiff(a, b *model.Weight) (float64, error) {
	rows, per := 1, 1
	if len(a.Shape) > 0 {
		rows = a.Shape[0]
		for _, d := range a.Shape[1:] {
			per *= d
		}
	}
	if rows == 0 || per == 0 {
		return 0, nil
	}
	step := max(1, chunk/per)
	bufA, bufB := make([]float64, min(step, rows)*per), make([]float64, min(step, rows)*per)
	worst := 0.0
	for r := 0; r < rows; r += step {
		n := min(step, rows-r)
		va, vb := bufA[:n*per], bufB[:n*per]
		if err := c.read(a, r, n, va); err != nil {
			return 0, fmt.Errorf("weight %q: %w", a.Name, err)
		}
		if err := c.read(b, r, n, vb); err != nil {
			return 0, fmt.Errorf("weight %q: %w", b.Name, err)
		}
		for i := range va {
			if math.Float64bits(va[i]) == math.Float64bits(vb[i]) {
				continue
			}
			d := math.Abs(va[i] - vb[i])
			switch {
			case math.IsNaN(va[i]) != math.IsNaN(vb[i]):
				d = math.Inf(1)
			case d == 0 || math.IsNaN(d):
				d = math.SmallestNonzeroFloat64
			}
			worst = max(worst, d)
		}
	}
	return worst, nil
}
