package model

// Weight is one weight array: a reference into a source file or new data.
type Weight struct {
	// Name is the weight_names entry, e.g. "conv1/kernel:0".
	Name  string
	Shape []int
	DType string
	// Src identifies the dataset in the file it was read from (set by h5model).
	Src any
	// Data holds new or changed values (float32), used when Src is nil.
	Data []float32
}

// Size is the number of elements of w.
func (w *Weight) Size() int64 {
	n := int64(1)
	for _, d := range w.Shape {
		n *= int64(d)
	}
	return n
}
