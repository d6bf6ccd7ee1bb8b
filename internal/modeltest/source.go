package modeltest

import (
	"fmt"

	"github.com/modelsurg/modelsurg/internal/model"
)

// Source is an in-memory stand-in for a dataset of a fixture file: a
// weight whose Src is a Source is a saved weight, as one that h5model
// read is, not new data.
type Source struct {
	Shape []int
	DType string
}

// Size is the number of elements of the dataset.
func (s *Source) Size() int64 {
	n := int64(1)
	for _, d := range s.Shape {
		n *= int64(d)
	}
	return n
}

// Float32 returns the dataset's values: element i (C order) is float32(i),
// the fill rule the manifests document (Keras's values are not stored).
func (s *Source) Float32() ([]float32, error) {
	v := make([]float32, s.Size())
	for i := range v {
		v[i] = float32(i)
	}
	return v, nil
}

// NewWeight returns a saved weight named name: the only place that makes
// a model.Weight from a manifest entry.
func NewWeight(name string, shape []int, dtype string) *model.Weight {
	return &model.Weight{Name: name, Shape: shape, DType: dtype, Src: &Source{Shape: shape, DType: dtype}}
}

// Read returns a weight's values: its Source's (a ramp for a fixture's,
// the values of new data). It fits surgery.ReshapeSpec.Read.
func Read(w *model.Weight) ([]float32, error) {
	if w.Src == nil {
		return nil, fmt.Errorf("weight %q has no values", w.Name)
	}
	return w.Src.Float32()
}
