package model

// Weight is one weight array: a dataset of a file, or new values.
type Weight struct {
	// Name is the weight_names entry, e.g. "conv1/kernel:0".
	Name  string
	Shape []int
	DType string
	// Src holds the values.
	Src Source
}

// Source holds a weight's values: a dataset of the file it was read from
// (h5model's, copied file to file when written), or Values in memory.
type Source interface {
	// Float32 returns the values as float32, in C order.
	Float32() ([]float32, error)
}

// Values are new or changed float32 values, held in memory.
type Values []float32

// Float32 returns v.
func (v Values) Float32() ([]float32, error) { return v, nil }

// Size is the number of elements of w.
func (w *Weight) Size() int64 {
	n := int64(1)
	for _, d := range w.Shape {
		n *= int64(d)
	}
	return n
}
