package model

// Dialect is the config form a model is written in. The graph itself is
// the same in both; a dialect decides how calls are numbered and written.
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

// nodeOffset is the number a dialect gives, in inbound nodes, to the first
// call of layer l inside a model: Keras 2 counts a nested Functional
// model's own internal node first.
func (d Dialect) nodeOffset(l *Layer) int {
	if d == Keras2 && l.Sub != nil && l.Sub.hasInputLayer() {
		return 1
	}
	return 0
}

// ioOffset is the offset input_layers/output_layers use: Keras 3 keeps the
// Keras 2 numbering there for nested Functional models.
func (d Dialect) ioOffset(l *Layer) int {
	if d == Keras3 {
		if l.Sub != nil && !l.Sub.IsSequential() {
			return 1
		}
		return 0
	}
	return d.nodeOffset(l)
}

// inputShapeKey is the InputLayer config key holding the batch shape.
func (d Dialect) inputShapeKey() string {
	if d == Keras3 {
		return "batch_shape"
	}
	return "batch_input_shape"
}

func (m *Model) hasInputLayer() bool {
	if !m.IsSequential() {
		return true
	}
	return len(m.Layers) > 0 && m.Layers[0].Class == "InputLayer"
}
