package model

import (
	"fmt"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// DialectCounts says what InDialect rewrote.
type DialectCounts struct {
	// Calls is the number of inbound nodes written in the new form.
	Calls int
	// BatchShapes counts the InputLayer batch shapes moved to the new key.
	BatchShapes int
	// DTypes counts the dtype values written in the new form (a name or a
	// policy object), wrapped layers' included.
	DTypes int
}

// InDialect returns a copy of m written in dialect to: every call in to's
// node form (list entries or {"args", "kwargs"} with __keras_tensor__
// objects, with their inferred shapes), calls of nested models numbered as
// to numbers them, InputLayer batch shapes under to's key and dtype
// values in to's form, in m and every model nested in it. Everything else
// a layer's config says is kept: the rewrites a class needs are the
// caller's. A call to cannot write (Keras 3 positional arguments after the
// first, a constant first argument) is an error naming the layer.
func InDialect(m *Model, to Dialect) (*Model, DialectCounts, error) {
	c := Clone(m)
	var n DialectCounts
	if c.Dialect == to {
		return c, n, nil
	}
	s, _ := Infer(c) // shapes only label Keras 3's tensors: unknown ones are null
	if err := c.inDialect(to, s, &n, 0); err != nil {
		return nil, n, err
	}
	return c, n, nil
}

func (m *Model) inDialect(to Dialect, s *Shapes, n *DialectCounts, depth int) error {
	if depth > maxNesting {
		return fmt.Errorf("models nested more than %d deep", maxNesting)
	}
	from := m.Dialect
	for _, l := range m.Layers {
		if l.Sub != nil {
			n.DTypes += convertDTypes(l.Config, to, 0)
			var sub *Shapes
			if s != nil {
				sub = s.Nested(l)
			}
			if err := l.Sub.inDialect(to, sub, n, depth+1); err != nil {
				return fmt.Errorf("nested model %q: %w", l.Name, err)
			}
			continue
		}
		if l.Class == "InputLayer" && l.Config != nil {
			if v := l.Config.Get(from.inputShapeKey()); v != nil && !l.Config.Has(to.inputShapeKey()) {
				l.Config.Rename(from.inputShapeKey(), to.inputShapeKey())
				n.BatchShapes++
			}
		}
		n.DTypes += convertDTypes(l.Config, to, 0)
	}
	m.Dialect = to
	if m.IsSequential() {
		return nil
	}
	for _, l := range m.Layers {
		for i, nd := range l.Nodes {
			var err error
			if to == Keras3 {
				err = m.toDictNode(nd, s, NodeID{Layer: l, Node: i}, l.Class)
			} else {
				err = m.toListNode(nd, l.Class)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", Describe(l), err)
			}
			n.Calls++
		}
	}
	m.inRaw, m.inHoles = m.ioJSON(m.Inputs, m.inRaw)
	m.outRaw, m.outHoles = m.ioJSON(m.Outputs, m.outRaw)
	m.sync()
	return nil
}

// convertDTypes writes every "dtype" value of a layer config, and of the
// layer configs inside it, in to's form; it returns how many changed.
func convertDTypes(cfg *jsonx.Obj, to Dialect, depth int) int {
	if cfg == nil || depth > maxNesting {
		return 0
	}
	n := 0
	for i, k := range cfg.Keys {
		v := cfg.Vals[i]
		if k == "dtype" {
			if name := policyName(v); name != "" && name != "?" {
				nv := PolicyValue(name, to)
				if string(jsonx.Marshal(nv)) != string(jsonx.Marshal(v)) {
					cfg.Vals[i] = nv
					n++
				}
			}
			continue
		}
		if v.Kind == jsonx.Object {
			if inner := v.Obj.Object("config"); inner != nil && v.Obj.Has("class_name") && inner.Has("name") {
				n += convertDTypes(inner, to, depth+1)
			}
		}
	}
	return n
}

// policyName is the policy a "dtype" value names ("" for null, "?" for a
// form modelsurg does not know).
func policyName(v *jsonx.Value) string {
	l := Layer{Config: &jsonx.Obj{Keys: []string{"dtype"}, Vals: []*jsonx.Value{v}}}
	return l.DTypePolicy()
}

// holeIndex maps each reference list inside a node's raw form to the input
// it names.
func holeIndex(nd *Node) map[*jsonx.Value]int {
	idx := map[*jsonx.Value]int{}
	for i, hs := range nd.holes {
		for _, h := range hs {
			idx[h] = i
		}
	}
	return idx
}

// order returns a node's inputs and holes in the order its new raw form
// lists them for to (Keras 3: arguments, then kwargs by sorted key;
// Keras 2: the entries, then each kwargs tensor with its copy in every
// entry), from()'s map of each new hole to the input it names.
func order(nd *Node, to Dialect, from map[*jsonx.Value]int) ([]Tensor, [][]*jsonx.Value) {
	var in []Tensor
	var holes [][]*jsonx.Value
	add := func(hs ...*jsonx.Value) {
		in = append(in, nd.In[from[hs[0]]])
		holes = append(holes, hs)
	}
	if to == Keras3 {
		var ts []*jsonx.Value
		kerasTensors(nd.raw.Obj.Get("args"), &ts, 0)
		kerasTensors(nd.raw.Obj.Get("kwargs"), &ts, 0)
		for _, t := range ts {
			add(historyOf(t))
		}
		return in, holes
	}
	var perEntry [][]*jsonx.Value
	entries := nd.raw.Elems
	if isEntry(nd.raw) {
		entries = []*jsonx.Value{nd.raw}
	}
	for _, e := range entries {
		add(e)
		var hs []*jsonx.Value
		kwTriples(e.Elems[3], &hs, 0)
		perEntry = append(perEntry, hs)
	}
	for p := range perEntry[0] {
		var hs []*jsonx.Value
		for _, e := range perEntry {
			hs = append(hs, e[p])
		}
		add(hs...)
	}
	return in, holes
}

// toDictNode rewrites a Keras 2 node as Keras 3's {"args", "kwargs"}.
func (m *Model) toDictNode(nd *Node, s *Shapes, id NodeID, class string) error {
	idx := holeIndex(nd)
	var shapes []Shape
	if s != nil {
		shapes = s.Inputs(id)
	}
	raw := nd.raw
	var entries []*jsonx.Value
	switch {
	case isEntry(raw):
		entries = []*jsonx.Value{raw}
	case raw.Kind == jsonx.Array:
		for _, e := range raw.Elems {
			if !isEntry(e) {
				return fmt.Errorf("a call whose first argument is a nested structure, which modelsurg cannot write as Keras 3 arguments")
			}
			entries = append(entries, e)
		}
	}
	from := map[*jsonx.Value]int{}
	tensor := func(i int) *jsonx.Value {
		// Keras 3 builds a KerasTensor from this config, then uses the
		// tensor its keras_history names: an unknown shape (a Lambda's
		// output) is written as [], which it accepts.
		sh := Shape{}
		if i < len(shapes) && shapes[i] != nil {
			sh = shapes[i]
		}
		kt := kerasTensor(sh, "float32")
		from[historyOf(kt)] = i
		return kt
	}
	var args []*jsonx.Value
	for _, e := range entries {
		if isConstant(e) {
			return fmt.Errorf("a call whose first argument is a constant, which Keras 3 layers do not take")
		}
		i, ok := idx[e]
		if !ok {
			return fmt.Errorf("malformed inbound node")
		}
		args = append(args, tensor(i))
	}
	kw := jsonx.NewObject()
	if nd.Kwargs != nil {
		kw = convertKwargs(&jsonx.Value{Kind: jsonx.Object, Obj: nd.Kwargs}, func(v *jsonx.Value) *jsonx.Value {
			if i, ok := idx[v]; ok {
				return tensor(i)
			}
			return nil
		}, 0)
	}
	if rnnClasses[class] && len(args) > 1 {
		// tf-keras writes rnn(x, initial_state=[h, c]) as the entries x, h, c
		kw.Obj.Set("initial_state", jsonx.Arr(args[1:]...))
		args = args[:1]
	}
	call := jsonx.NewObject()
	if len(args) == 1 {
		call.Obj.Set("args", jsonx.Arr(args[0]))
	} else {
		call.Obj.Set("args", jsonx.Arr(jsonx.Arr(args...)))
	}
	call.Obj.Set("kwargs", kw)
	nd.raw, nd.Kwargs = call, kw.Obj
	nd.In, nd.holes = order(nd, Keras3, from)
	return nil
}

// toListNode rewrites a Keras 3 node as Keras 2's list of entries.
func (m *Model) toListNode(nd *Node, class string) error {
	idx := holeIndex(nd)
	args, kwargs, err := listArgs(nd, class)
	if err != nil {
		return err
	}
	first := args.Elems[0].Elems
	if args.Elems[0].Kind != jsonx.Array {
		first = []*jsonx.Value{args.Elems[0]}
	}
	from := map[*jsonx.Value]int{}
	call := jsonx.Arr()
	for _, t := range first {
		i, ok := -1, false
		if t.Kind == jsonx.Object {
			i, ok = idx[historyOf(t)]
		}
		if !ok {
			return fmt.Errorf("a call whose first argument is not tensors, which Keras 2's node form cannot write")
		}
		e := jsonx.Arr(jsonx.Str(""), jsonx.Int(0), jsonx.Int(0))
		from[e] = i
		kw := jsonx.NewObject()
		if kwargs != nil {
			kw = convertKwargs(&jsonx.Value{Kind: jsonx.Object, Obj: kwargs}, func(v *jsonx.Value) *jsonx.Value {
				if v.Kind != jsonx.Object {
					return nil
				}
				if c, _ := v.Obj.String("class_name"); c == "__keras_tensor__" {
					if i, ok := idx[historyOf(v)]; ok {
						h := jsonx.Arr(jsonx.Str(""), jsonx.Int(0), jsonx.Int(0))
						from[h] = i
						return h
					}
				}
				return nil
			}, 0)
		}
		e.Elems = append(e.Elems, kw)
		call.Elems = append(call.Elems, e)
	}
	nd.raw = call
	if len(call.Elems) > 0 {
		nd.Kwargs = call.Elems[len(call.Elems)-1].Elems[3].Obj
	}
	if keepsStructure[class] && args.Elems[0].Kind != jsonx.Array && len(call.Elems) == 1 {
		nd.raw = call.Elems[0] // tf-keras would call it on a list of the one tensor
	}
	nd.In, nd.holes = order(nd, Keras2, from)
	return nil
}

// keepsStructure are the tf-keras classes called on their first argument
// as the node writes it (_preserve_input_structure_in_config): one tensor
// is a bare entry, not a list of one.
var keepsStructure = map[string]bool{"TFOpLambda": true, "SlicingOpLambda": true}

// rnnClasses take their initial states as the inputs after the first in
// tf-keras's node form, as initial_state in Keras 3's.
var rnnClasses = map[string]bool{
	"RNN": true, "SimpleRNN": true, "LSTM": true, "GRU": true, "Bidirectional": true,
	"ConvLSTM1D": true, "ConvLSTM2D": true, "ConvLSTM3D": true,
}

// positional names the call arguments after the first of the classes
// Keras 3 files call with several: tf-keras writes them as keyword
// arguments.
var positional = map[string][]string{
	"MultiHeadAttention": {"value", "key"}, // tf-keras's next one is attention_mask, Keras 3's query_mask
}

// listArgs returns a Keras 3 call's arguments as Keras 2 writes them: the
// first one, and the others by the names of the class's call signature
// (an input passed by name, inputs= or query=, goes first).
func listArgs(nd *Node, class string) (*jsonx.Value, *jsonx.Obj, error) {
	args := nd.raw.Obj.Get("args")
	kwargs := nd.Kwargs
	if args == nil || args.Kind != jsonx.Array {
		return nil, nil, fmt.Errorf("malformed inbound node")
	}
	if len(args.Elems) == 0 && kwargs != nil {
		// inputs passed by name: tf-keras writes the first argument in place
		for _, k := range []string{"inputs", "query"} {
			if v := kwargs.Get(k); v != nil {
				args = jsonx.Arr(v)
				kwargs = copyObj(kwargs)
				kwargs.Delete(k)
				break
			}
		}
	}
	if len(args.Elems) == 0 {
		return nil, nil, fmt.Errorf("a call without arguments, which Keras 2's node form cannot write")
	}
	if len(args.Elems) > 1 {
		// tf-keras names every argument after the first by the call's
		// signature; modelsurg knows the signatures of these classes.
		names := positional[class]
		if len(args.Elems) > len(names)+1 {
			return nil, nil, fmt.Errorf("a call with %d positional arguments, which Keras 2's node form cannot write", len(args.Elems))
		}
		kw := jsonx.NewObject()
		for i, a := range args.Elems[1:] {
			kw.Obj.Set(names[i], a)
		}
		if kwargs != nil {
			for i, k := range kwargs.Keys {
				kw.Obj.Set(k, kwargs.Vals[i])
			}
		}
		kwargs = kw.Obj
	}
	return args, kwargs, nil
}

// convertKwargs deep-copies v, replacing each value tensor(v) gives a
// replacement for (a tensor in the old form) by that replacement.
func convertKwargs(v *jsonx.Value, tensor func(*jsonx.Value) *jsonx.Value, depth int) *jsonx.Value {
	if v == nil || depth > 64 {
		return v
	}
	if v.Kind == jsonx.Array || v.Kind == jsonx.Object {
		if t := tensor(v); t != nil {
			return t
		}
	}
	switch v.Kind {
	case jsonx.Array:
		out := jsonx.Arr()
		for _, e := range v.Elems {
			out.Elems = append(out.Elems, convertKwargs(e, tensor, depth+1))
		}
		return out
	case jsonx.Object:
		out := jsonx.NewObject()
		for i, k := range v.Obj.Keys {
			out.Obj.Set(k, convertKwargs(v.Obj.Vals[i], tensor, depth+1))
		}
		return out
	}
	return v
}
