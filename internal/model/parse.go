package model

import (
	"errors"
	"fmt"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// ErrNotModel is returned when a model_config is valid JSON but no Keras model.
var ErrNotModel = errors.New("not a Keras model config")

// Parse reads a model_config JSON document written in dialect d. Every
// reference between calls is resolved here: a config whose graph cannot
// be fully understood (a reference to no layer, a tensor no call makes, a
// layer no output depends on) is refused, naming the layer.
func Parse[T string | []byte](data T, d Dialect) (*Model, error) {
	v, err := jsonx.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("model_config is not valid JSON: %w", err)
	}
	if v.Kind != jsonx.Object {
		return nil, fmt.Errorf("%w: model_config is not a JSON object", ErrNotModel)
	}
	return fromJSON(v.Obj, d, 0)
}

// fromJSON builds a model from an envelope it then owns.
func fromJSON(env *jsonx.Obj, d Dialect, depth int) (*Model, error) {
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
	m := &Model{Dialect: d, Class: class, env: env}
	cv := env.Get("config")
	var lv *jsonx.Value
	switch {
	case class == "Sequential" && cv != nil && cv.Kind == jsonx.Array:
		// Keras <= 2.2.2 wrote a Sequential config as a bare list of layers.
		m.listConfig = true
		m.Config = &jsonx.Obj{}
		lv = cv
	case cv != nil && cv.Kind == jsonx.Object:
		m.Config = cv.Obj
		m.Name, _ = m.Config.String("name")
		lv = m.Config.Get("layers")
	default:
		return nil, fmt.Errorf("%w: %s config is not an object", ErrNotModel, class)
	}
	if lv == nil || lv.Kind != jsonx.Array {
		return nil, fmt.Errorf("%w: %s config has no layers list", ErrNotModel, class)
	}
	seen := map[string]bool{}
	p := &linker{m: m, pending: map[*Node][]Ref{}}
	for i, ev := range lv.Elems {
		l, err := p.layer(ev, depth)
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
	} else if err := p.linkFunctional(); err != nil {
		return nil, err
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return m, nil
}

// maxNesting bounds how deep models may nest inside each other.
const maxNesting = 32

// linker parses the layers of one model and resolves their references.
type linker struct {
	m       *Model
	pending map[*Node][]Ref // each node's references, as written
}

func (p *linker) layer(ev *jsonx.Value, depth int) (*Layer, error) {
	if ev == nil || ev.Kind != jsonx.Object {
		return nil, fmt.Errorf("%w: layer entry is not an object", ErrNotModel)
	}
	e := ev.Obj
	l := &Layer{entry: e}
	var ok bool
	if l.Class, ok = e.String("class_name"); !ok || l.Class == "" {
		return nil, fmt.Errorf("%w: layer without class_name", ErrNotModel)
	}
	if cv := e.Get("config"); cv != nil && cv.Kind == jsonx.Object {
		l.Config = cv.Obj
	} else if !(IsModelClass(l.Class) && cv != nil && cv.Kind == jsonx.Array) {
		return nil, fmt.Errorf("%w: layer of class %s has no config object", ErrNotModel, l.Class)
	}
	if l.Name, ok = e.String("name"); !ok && l.Config != nil {
		l.Name, _ = l.Config.String("name")
	}
	if IsModelClass(l.Class) {
		sub, err := fromJSON(e, p.m.Dialect, depth+1)
		if err != nil {
			return nil, fmt.Errorf("nested model %q: %w", l.Name, err)
		}
		if sub.Name == "" {
			sub.Name = l.Name
		}
		if l.Name == "" {
			l.Name = sub.Name
		}
		l.Sub, l.Config = sub, sub.Config
	}
	if l.Name == "" {
		return nil, fmt.Errorf("%w: layer of class %s has no name", ErrNotModel, l.Class)
	}
	if p.m.IsSequential() {
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
		n := &Node{raw: raw}
		refs, holes, kw, err := readNode(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: layer %q: %v", ErrNotModel, l.Name, err)
		}
		n.holes, n.Kwargs = holes, kw
		p.pending[n] = refs
		l.Nodes = append(l.Nodes, n)
	}
	return l, nil
}

// linkFunctional resolves every node's references and the model's inputs
// and outputs.
func (p *linker) linkFunctional() error {
	m := p.m
	for _, l := range m.Layers {
		for _, n := range l.Nodes {
			refs := p.pending[n]
			n.In = make([]Tensor, len(refs))
			for i, r := range refs {
				t, err := m.resolve(r, false)
				if err != nil {
					return fmt.Errorf("layer %q: %w", l.Name, err)
				}
				n.In[i] = t
			}
			n.Inputs = refs
		}
	}
	var err error
	m.inRaw, m.outRaw = m.Config.Get("input_layers"), m.Config.Get("output_layers")
	if m.Inputs, m.inHoles, err = m.readIO(m.inRaw); err != nil {
		return err
	}
	if m.Outputs, m.outHoles, err = m.readIO(m.outRaw); err != nil {
		return err
	}
	if len(m.Inputs) == 0 || len(m.Outputs) == 0 {
		return fmt.Errorf("%w: model %q has no input_layers or output_layers", ErrNotModel, m.Name)
	}
	return nil
}

// readIO resolves input_layers or output_layers: a triple, or lists (or
// dicts) of triples.
func (m *Model) readIO(v *jsonx.Value) ([]Tensor, [][]*jsonx.Value, error) {
	var triples []*jsonx.Value
	ioTriples(v, &triples, 0)
	ts := make([]Tensor, len(triples))
	holes := make([][]*jsonx.Value, len(triples))
	for i, tr := range triples {
		r, _ := refOf(tr)
		t, err := m.resolve(r, true)
		if err != nil {
			return nil, nil, err
		}
		ts[i], holes[i] = t, []*jsonx.Value{tr}
	}
	return ts, holes, nil
}

func ioTriples(v *jsonx.Value, out *[]*jsonx.Value, depth int) {
	if v == nil || depth > 64 {
		return
	}
	if _, ok := refOf(v); ok && len(v.Elems) == 3 {
		*out = append(*out, v)
		return
	}
	switch v.Kind {
	case jsonx.Array:
		for _, e := range v.Elems {
			ioTriples(e, out, depth+1)
		}
	case jsonx.Object:
		for _, e := range v.Obj.Vals {
			ioTriples(e, out, depth+1)
		}
	}
}

// resolve maps a reference written in this model's config to the tensor
// it names; io selects the numbering of input_layers/output_layers.
func (m *Model) resolve(r Ref, io bool) (Tensor, error) {
	l := m.Layer(r.Layer)
	if l == nil {
		return Tensor{}, fmt.Errorf("%w: model %q: no layer named %q", ErrNotModel, m.Name, r.Layer)
	}
	if l.Class == "InputLayer" && len(l.Nodes) == 0 {
		if r.Node != 0 || r.Tensor != 0 {
			return Tensor{}, fmt.Errorf("%w: model %q: input %q has no node %d tensor %d", ErrNotModel, m.Name, r.Layer, r.Node, r.Tensor)
		}
		return Tensor{Layer: l}, nil
	}
	off := m.Dialect.nodeOffset(l)
	if io {
		off = m.Dialect.ioOffset(l)
	}
	i := r.Node - off
	if i < 0 || i >= len(l.Nodes) {
		return Tensor{}, fmt.Errorf("%w: model %q: layer %q has no node %d", ErrNotModel, m.Name, r.Layer, r.Node)
	}
	return Tensor{Layer: l, Node: l.Nodes[i], Index: r.Tensor}, nil
}

// linkSequential gives each layer of a Sequential model one call on the
// previous layer's output. These nodes are not written back.
func (m *Model) linkSequential() error {
	if len(m.Layers) == 0 {
		return fmt.Errorf("%w: Sequential model %q has no layers", ErrNotModel, m.Name)
	}
	start := 0
	m.Inputs = nil
	if m.Layers[0].Class == "InputLayer" {
		m.Inputs = []Tensor{{Layer: m.Layers[0]}}
		start = 1
	}
	var prev Tensor
	for i := start; i < len(m.Layers); i++ {
		l := m.Layers[i]
		if l.Class == "InputLayer" {
			return fmt.Errorf("%w: Sequential model %q has an InputLayer %q after its first layer", ErrNotModel, m.Name, l.Name)
		}
		n := &Node{} // relinking keeps the node, so tensors stay valid
		if len(l.Nodes) == 1 {
			n = l.Nodes[0]
			n.In, n.Inputs = nil, nil
		}
		if i > 0 {
			n.In = []Tensor{m.outputOf(m.Layers[i-1])}
			n.Inputs = []Ref{m.refOf(n.In[0], false)}
		}
		l.Nodes = []*Node{n}
		prev = Tensor{Layer: l, Node: n}
	}
	if start == len(m.Layers) {
		prev = m.Inputs[0]
	}
	m.Outputs = []Tensor{prev}
	return nil
}

// outputOf is the first output of a layer's first call (or of an InputLayer).
func (m *Model) outputOf(l *Layer) Tensor {
	if len(l.Nodes) == 0 {
		return Tensor{Layer: l}
	}
	return Tensor{Layer: l, Node: l.Nodes[0]}
}

// maxInputDim caps a declared input dimension, as the CLI caps --shape:
// anything larger is a damaged config, not a model.
const maxInputDim = 1 << 31

// checkBatchShape refuses a declared input shape (batch_input_shape,
// batch_shape) that is not a list of null or integers in [0, 2^31]: NaN,
// fractions, strings and absurd sizes make a damaged file, not a model
// with an unknown shape.
func checkBatchShape(l *Layer) error {
	if l.Config == nil {
		return nil
	}
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
