package model

import (
	"errors"
	"fmt"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// ErrNotModel is returned when a model_config is valid JSON but no Keras model.
var ErrNotModel = errors.New("not a Keras model config")

// Parse reads a model_config JSON document written in dialect d.
func Parse(data []byte, d Dialect) (*Model, error) {
	v, err := jsonx.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("model_config is not valid JSON: %w", err)
	}
	if v.Kind != jsonx.Object {
		return nil, fmt.Errorf("%w: model_config is not a JSON object", ErrNotModel)
	}
	return parseEnvelope(v.Obj, d, 0)
}

// maxNesting bounds how deep models may nest inside each other.
const maxNesting = 32

func parseEnvelope(env *jsonx.Obj, d Dialect, depth int) (*Model, error) {
	if depth > maxNesting {
		return nil, fmt.Errorf("%w: models nested deeper than %d", ErrNotModel, maxNesting)
	}
	class, ok := env.String("class_name")
	if !ok {
		return nil, fmt.Errorf("%w: no class_name", ErrNotModel)
	}
	if !IsModelClass(class) {
		return nil, fmt.Errorf("%w: unsupported model class %q", ErrNotModel, class)
	}
	m := &Model{Dialect: d, Class: class, Envelope: env}
	cv := env.Get("config")
	if class == "Sequential" && cv != nil && cv.Kind == jsonx.Array {
		// Keras <= 2.2.2 wrote a Sequential config as a bare list of layers.
		wrapped := jsonx.NewObject()
		wrapped.Obj.Set("layers", cv)
		cv = wrapped
		env.Set("config", cv)
	}
	if cv == nil || cv.Kind != jsonx.Object {
		return nil, fmt.Errorf("%w: %s config is not an object", ErrNotModel, class)
	}
	m.Config = cv.Obj
	m.Name, _ = m.Config.String("name")
	lv := m.Config.Get("layers")
	if lv == nil || lv.Kind != jsonx.Array {
		return nil, fmt.Errorf("%w: %s config has no layers list", ErrNotModel, class)
	}
	seen := map[string]bool{}
	for i, ev := range lv.Elems {
		l, err := parseLayer(ev, m, d, depth)
		if err != nil {
			return nil, fmt.Errorf("layer #%d: %w", i, err)
		}
		if err := checkBatchShape(l); err != nil {
			return nil, err
		}
		if seen[l.Name] {
			return nil, fmt.Errorf("%w: two layers are named %q", ErrNotModel, l.Name)
		}
		seen[l.Name] = true
		m.Layers = append(m.Layers, l)
	}
	if m.IsSequential() {
		if err := m.linkSequential(); err != nil {
			return nil, err
		}
	} else {
		m.InputsRaw = m.Config.Get("input_layers")
		m.OutputsRaw = m.Config.Get("output_layers")
		m.Inputs = flattenRefs(m.InputsRaw)
		m.Outputs = flattenRefs(m.OutputsRaw)
		if len(m.Inputs) == 0 || len(m.Outputs) == 0 {
			return nil, fmt.Errorf("%w: model %q has no input_layers or output_layers", ErrNotModel, m.Name)
		}
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return m, nil
}

func parseLayer(ev *jsonx.Value, m *Model, d Dialect, depth int) (*Layer, error) {
	if ev == nil || ev.Kind != jsonx.Object {
		return nil, fmt.Errorf("%w: layer entry is not an object", ErrNotModel)
	}
	e := ev.Obj
	l := &Layer{Entry: ev}
	var ok bool
	if l.Class, ok = e.String("class_name"); !ok || l.Class == "" {
		return nil, fmt.Errorf("%w: layer without class_name", ErrNotModel)
	}
	l.Config = e.Object("config")
	if l.Config == nil {
		return nil, fmt.Errorf("%w: layer of class %s has no config object", ErrNotModel, l.Class)
	}
	if l.Name, ok = e.String("name"); !ok {
		l.Name, _ = l.Config.String("name")
	}
	if l.Name == "" {
		return nil, fmt.Errorf("%w: layer of class %s has no name", ErrNotModel, l.Class)
	}
	if IsModelClass(l.Class) {
		sub, err := parseEnvelope(e, d, depth+1)
		if err != nil {
			return nil, fmt.Errorf("nested model %q: %w", l.Name, err)
		}
		if sub.Name == "" {
			sub.Name = l.Name
		}
		l.Sub = sub
	}
	if m.IsSequential() {
		return l, nil
	}
	nv := e.Get("inbound_nodes")
	if nv == nil {
		return l, nil
	}
	if nv.Kind != jsonx.Array {
		return nil, fmt.Errorf("%w: layer %q: inbound_nodes is not a list", ErrNotModel, l.Name)
	}
	for _, raw := range nv.Elems {
		n := &Node{Raw: raw}
		switch raw.Kind {
		case jsonx.Array: // Keras 2: [[name, node, tensor, kwargs], ...]
			for _, in := range raw.Elems {
				if r, ok := refOf(in); ok {
					n.Inputs = append(n.Inputs, r)
				} else if !isConstant(in) {
					return nil, fmt.Errorf("%w: layer %q: malformed inbound node", ErrNotModel, l.Name)
				}
			}
		case jsonx.Object: // Keras 3: {"args": [...], "kwargs": {...}}
			collectKerasTensors(raw, &n.Inputs, 0)
		default:
			return nil, fmt.Errorf("%w: layer %q: malformed inbound node", ErrNotModel, l.Name)
		}
		l.Nodes = append(l.Nodes, n)
	}
	return l, nil
}

// maxInputDim caps a declared input dimension, as the CLI caps --shape:
// anything larger is a damaged config, not a model.
const maxInputDim = 1 << 31

// checkBatchShape refuses a declared input shape (batch_input_shape,
// batch_shape) that is not a list of null or integers in [0, 2^31]: NaN,
// fractions, strings and absurd sizes make a damaged file, not a model
// with an unknown shape.
func checkBatchShape(l *Layer) error {
	for _, key := range []string{"batch_input_shape", "batch_shape"} {
		v := l.Config.Get(key)
		if v.IsNull() {
			continue
		}
		bad := func(format string, args ...any) error {
			return &ShapeError{Layer: l.Name, Class: l.Class, Msg: key + " " + capJSON(v) + ": " + fmt.Sprintf(format, args...)}
		}
		if v.Kind != jsonx.Array {
			return bad("not a list")
		}
		for _, e := range v.Elems {
			if e.IsNull() {
				continue
			}
			n, ok := e.Int()
			switch {
			case !ok:
				return bad("dimension %s is not an integer or null", capJSON(e))
			case n < 0:
				return bad("dimension %d is negative", n)
			case n > maxInputDim:
				return bad("dimension %d is larger than %d", n, maxInputDim)
			}
		}
	}
	return nil
}

// capJSON prints a config value for a message, cut to a readable length.
func capJSON(v *jsonx.Value) string {
	s := string(jsonx.Marshal(v))
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

// refOf reads [layer, node, tensor(, kwargs)].
func refOf(v *jsonx.Value) (Ref, bool) {
	if v == nil || v.Kind != jsonx.Array || len(v.Elems) < 3 || v.Elems[0].Kind != jsonx.String {
		return Ref{}, false
	}
	n, ok1 := v.Elems[1].Int()
	t, ok2 := v.Elems[2].Int()
	if !ok1 || !ok2 || n < 0 || t < 0 || n > 1<<30 || t > 1<<30 {
		return Ref{}, false
	}
	return Ref{Layer: v.Elems[0].Str, Node: int(n), Tensor: int(t)}, true
}

func isConstant(v *jsonx.Value) bool {
	return v != nil && v.Kind == jsonx.Array && len(v.Elems) > 0 &&
		v.Elems[0].Kind == jsonx.String && v.Elems[0].Str == "_CONSTANT_VALUE"
}

// collectKerasTensors appends, in order, the reference of every
// __keras_tensor__ found in v.
func collectKerasTensors(v *jsonx.Value, out *[]Ref, depth int) {
	var tensors []*jsonx.Value
	collectTensorValues(v, &tensors, depth)
	for _, t := range tensors {
		if cfg := t.Obj.Object("config"); cfg != nil {
			if r, ok := refOf(cfg.Get("keras_history")); ok {
				*out = append(*out, r)
			}
		}
	}
}

// flattenRefs reads input_layers/output_layers: a triple, or lists (or
// dicts) of triples.
func flattenRefs(v *jsonx.Value) []Ref {
	var out []Ref
	var walk func(v *jsonx.Value, depth int)
	walk = func(v *jsonx.Value, depth int) {
		if v == nil || depth > 64 {
			return
		}
		if r, ok := refOf(v); ok && (len(v.Elems) == 3) {
			out = append(out, r)
			return
		}
		switch v.Kind {
		case jsonx.Array:
			for _, e := range v.Elems {
				walk(e, depth+1)
			}
		case jsonx.Object:
			for _, e := range v.Obj.Vals {
				walk(e, depth+1)
			}
		}
	}
	walk(v, 0)
	return out
}

// linkSequential gives each layer of a Sequential model one call on the
// previous layer's output. These nodes are not written back.
func (m *Model) linkSequential() error {
	if len(m.Layers) == 0 {
		return fmt.Errorf("%w: Sequential model %q has no layers", ErrNotModel, m.Name)
	}
	start := 0
	if m.Layers[0].Class == "InputLayer" {
		m.Inputs = []Ref{{Layer: m.Layers[0].Name}}
		start = 1
	}
	for i := start; i < len(m.Layers); i++ {
		l := m.Layers[i]
		if l.Class == "InputLayer" {
			return fmt.Errorf("%w: Sequential model %q has an InputLayer %q after its first layer", ErrNotModel, m.Name, l.Name)
		}
		n := &Node{}
		if i > 0 {
			n.Inputs = []Ref{{Layer: m.Layers[i-1].Name, Node: m.nodeOffset(m.Layers[i-1])}}
		}
		l.Nodes = []*Node{n}
	}
	last := m.Layers[len(m.Layers)-1]
	m.Outputs = []Ref{{Layer: last.Name, Node: m.nodeOffset(last)}}
	return nil
}

// nodeOffset is the index Keras gives to a layer's first call inside this
// model. Keras 2 counts a nested Functional model's own internal node first.
func (m *Model) nodeOffset(l *Layer) int {
	if m.Dialect == Keras2 && l.Sub != nil && l.Sub.hasInputLayer() {
		return 1
	}
	return 0
}

func (m *Model) hasInputLayer() bool {
	if !m.IsSequential() {
		return true
	}
	return len(m.Layers) > 0 && m.Layers[0].Class == "InputLayer"
}

// ioOffset is the offset used by input_layers/output_layers: Keras 3 keeps
// the Keras 2 numbering there for nested Functional models.
func (m *Model) ioOffset(l *Layer) int {
	if m.Dialect == Keras3 {
		if l.Sub != nil && !l.Sub.IsSequential() {
			return 1
		}
		return 0
	}
	return m.nodeOffset(l)
}
