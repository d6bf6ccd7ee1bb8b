// Package model is a Keras model as modelsurg sees it: layers, their calls
// (nodes) and the tensors between them, parsed from and written back to a
// model_config JSON of either dialect, with weights held as references. It
// infers every call's output shape (the layer classes covered are listed in
// layers.go) and counts parameters as Keras does. It imports no HDF5:
// internal/h5model converts files to and from a Model.
package model

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// Dialect is the config form a model was written in.
type Dialect int

const (
	// Keras2 is tf.keras / tf-keras: list-form inbound_nodes, batch_input_shape.
	Keras2 Dialect = iota
	// Keras3 writes dict-form inbound_nodes, batch_shape and DTypePolicy dicts.
	Keras3
)

func (d Dialect) String() string {
	if d == Keras3 {
		return "keras3"
	}
	return "keras2"
}

// None is the size of a dimension that is not fixed (Python's None).
const None = -1

// Shape is a tensor shape including the batch dimension; None marks
// unknown sizes. A nil Shape means the shape itself is unknown.
type Shape []int

func (s Shape) String() string {
	if s == nil {
		return "?"
	}
	parts := make([]string, len(s))
	for i, d := range s {
		if d == None {
			parts[i] = "None"
		} else {
			parts[i] = strconv.Itoa(d)
		}
	}
	if len(s) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// Equal reports whether two shapes are the same.
func (s Shape) Equal(t Shape) bool {
	if (s == nil) != (t == nil) || len(s) != len(t) {
		return false
	}
	for i := range s {
		if s[i] != t[i] {
			return false
		}
	}
	return true
}

// Clone returns a copy of s.
func (s Shape) Clone() Shape {
	if s == nil {
		return nil
	}
	return append(Shape{}, s...)
}

// Ref names one output tensor of one call of a layer, as Keras writes it:
// [layer, node index, tensor index].
type Ref struct {
	Layer  string
	Node   int
	Tensor int
}

func (r Ref) String() string { return fmt.Sprintf("%s[%d][%d]", r.Layer, r.Node, r.Tensor) }

// Node is one call of a layer.
type Node struct {
	// Inputs are the call's tensor inputs, flattened in Keras's order.
	Inputs []Ref
	// Raw is the node as the config wrote it (a list in Keras 2, a dict in
	// Keras 3). Marshal writes it back unchanged.
	Raw *jsonx.Value
}

// Layer is one entry of a model's "layers" list.
type Layer struct {
	Class string
	Name  string
	// Entry is the whole layers[i] object; keys modelsurg does not know stay there.
	Entry *jsonx.Value
	// Config is Entry["config"]; for a nested model, that model's config.
	Config *jsonx.Obj
	// Nodes are the calls of the layer inside its model, in order. Empty for
	// InputLayer and for layers of a Sequential model.
	Nodes []*Node
	// Sub is the nested model when this layer is a Functional or Sequential model.
	Sub *Model
	// Weights are the layer's weights in file order (trainable first).
	Weights []*Weight
}

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

// Model is a parsed model_config.
type Model struct {
	Dialect Dialect
	// Class is the envelope's class_name: Functional, Model or Sequential.
	Class string
	Name  string
	// Config is the model's "config" object; its "layers" list is rebuilt
	// from Layers by Marshal, every other key is kept as read.
	Config *jsonx.Obj
	// Envelope is the {"class_name", "config", ...} object around Config.
	Envelope *jsonx.Obj
	Layers   []*Layer
	// Inputs and Outputs are the model's input_layers and output_layers.
	// For Sequential models they are derived from the layer chain.
	Inputs  []Ref
	Outputs []Ref
	// InputsRaw and OutputsRaw keep the form input_layers/output_layers were
	// written in (a bare triple, a list of triples, ...).
	InputsRaw, OutputsRaw *jsonx.Value
}

// Layer returns the layer named name, or nil.
func (m *Model) Layer(name string) *Layer {
	for _, l := range m.Layers {
		if l.Name == name {
			return l
		}
	}
	return nil
}

// IsSequential reports whether m is a Sequential model.
func (m *Model) IsSequential() bool { return m.Class == "Sequential" }

// IsModelClass reports whether a layer class is a nested model.
func IsModelClass(class string) bool {
	return class == "Functional" || class == "Model" || class == "Sequential"
}
