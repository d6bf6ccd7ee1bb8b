// Package model is a Keras model as modelsurg sees it: layers, their calls
// (nodes) and the tensors between them, parsed from a model_config JSON of
// either dialect and written back by the same package, the only one that
// reads or writes Keras config JSON. Edges are resolved when the config is
// parsed; edits (new layers and calls, cuts, renames, nesting) keep the
// written form of what they do not change. The package infers every call's
// output shape (the layer classes covered are listed in layers.go) and
// counts parameters as Keras does. Weights are Sources, so the package
// imports no HDF5: internal/h5model converts files to and from a Model.
package model

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

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

// Tensor is one output of one call, resolved: Node is nil for the output
// of an InputLayer (and for the implicit input of a Sequential model
// without one, where Layer is nil too).
type Tensor struct {
	Layer *Layer
	Node  *Node
	Index int
}

// Node is one call of a layer.
type Node struct {
	// In are the tensors the call reads, in Keras's order: those of its
	// first argument, then those passed as other (keyword) arguments.
	In []Tensor
	// Inputs are In as the config numbers them.
	Inputs []Ref
	// Kwargs are the call's keyword arguments as written (nil for none);
	// tensors inside them are also in In.
	Kwargs *jsonx.Obj
	// raw is the node as the config writes it; holes[i] are the
	// [layer, node, tensor] lists inside raw that name In[i].
	raw   *jsonx.Value
	holes [][]*jsonx.Value
}

// Layer is one entry of a model's "layers" list.
type Layer struct {
	Class string
	Name  string
	// Config is the layer's config; for a nested model, that model's
	// config object (its layers are in Sub).
	Config *jsonx.Obj
	// Nodes are the calls of the layer inside its model, in order. Empty for
	// InputLayer; made up (never written) for layers of a Sequential model.
	Nodes []*Node
	// Sub is the nested model when this layer is a Functional or Sequential model.
	Sub *Model
	// Weights are the layer's weights in file order (trainable first).
	Weights []*Weight
	// entry is the whole layers[i] object: keys modelsurg does not know
	// stay there and are written back.
	entry *jsonx.Obj
}

// Model is a parsed model_config.
type Model struct {
	Dialect Dialect
	// Class is the envelope's class_name: Functional, Model or Sequential.
	Class string
	Name  string
	// Config is the model's "config" object: keys other than layers,
	// input_layers and output_layers are written back as they are.
	Config *jsonx.Obj
	Layers []*Layer
	// Inputs and Outputs are the model's input_layers and output_layers.
	// For Sequential models they are derived from the layer chain.
	Inputs, Outputs []Tensor
	// env is the {"class_name", "config", ...} object around Config.
	env *jsonx.Obj
	// inRaw and outRaw are input_layers and output_layers as written,
	// with holes naming Inputs and Outputs.
	inRaw, outRaw     *jsonx.Value
	inHoles, outHoles [][]*jsonx.Value
	// listConfig: a Sequential config written as a bare list of layers
	// (Keras <= 2.2.2), written back in that form.
	listConfig bool
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

// Envelope returns the key of the object around the model's config
// (compile_config, build_config, ...), or nil.
func (m *Model) Envelope(key string) *jsonx.Value {
	if m.env == nil {
		return nil
	}
	return m.env.Get(key)
}

// IsModelClass reports whether a layer class is a nested model.
func IsModelClass(class string) bool {
	return class == "Functional" || class == "Model" || class == "Sequential"
}
