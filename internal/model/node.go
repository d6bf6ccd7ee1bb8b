package model

import (
	"errors"
	"fmt"
	"sort"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// readNode reads one inbound node in either form and returns the
// references of every tensor the call reads, in Keras's order (see Node.In),
// with the lists inside raw that hold each one.
//
// Keras 2 writes a call as its first argument's structure of
// [layer, node, tensor, kwargs] entries (a bare entry when the layer keeps
// the structure, as TFOpLambda does), each entry carrying the same kwargs,
// where tensors are [layer, node, tensor] lists; a constant first argument
// is ["_CONSTANT_VALUE", -1, value, kwargs]. Keras 3 writes
// {"args": [...], "kwargs": {...}} with __keras_tensor__ objects whose
// keras_history is the reference.
func readNode(raw *jsonx.Value) ([]Ref, [][]*jsonx.Value, *jsonx.Obj, error) {
	switch raw.Kind {
	case jsonx.Array:
		return readListNode(raw)
	case jsonx.Object:
		return readDictNode(raw)
	}
	return nil, nil, nil, errors.New("malformed inbound node")
}

func readListNode(raw *jsonx.Value) ([]Ref, [][]*jsonx.Value, *jsonx.Obj, error) {
	var entries []*jsonx.Value
	if isEntry(raw) {
		entries = []*jsonx.Value{raw}
	} else if err := collectEntries(raw, &entries, 0); err != nil {
		return nil, nil, nil, err
	}
	var refs []Ref
	var holes [][]*jsonx.Value
	var kws []*jsonx.Obj
	for _, e := range entries {
		if len(e.Elems) == 4 {
			if e.Elems[3].Kind != jsonx.Object {
				return nil, nil, nil, errors.New("malformed inbound node: kwargs is not an object")
			}
			kws = append(kws, e.Elems[3].Obj)
		} else if len(e.Elems) != 3 {
			return nil, nil, nil, errors.New("malformed inbound node")
		}
		if isConstant(e) {
			continue
		}
		r, ok := refOf(e)
		if !ok {
			return nil, nil, nil, errors.New("malformed inbound node")
		}
		refs = append(refs, r)
		holes = append(holes, []*jsonx.Value{e})
	}
	if len(kws) == 0 {
		return refs, holes, nil, nil
	}
	// Keras reads the kwargs of the last entry; every entry carries them.
	kw := kws[len(kws)-1]
	var kwHoles [][]*jsonx.Value
	for _, o := range kws {
		var hs []*jsonx.Value
		kwTriples(&jsonx.Value{Kind: jsonx.Object, Obj: o}, &hs, 0)
		if kwHoles == nil {
			kwHoles = make([][]*jsonx.Value, len(hs))
		}
		if len(hs) != len(kwHoles) {
			return nil, nil, nil, errors.New("malformed inbound node: its entries pass different keyword tensors")
		}
		for i, h := range hs {
			kwHoles[i] = append(kwHoles[i], h)
		}
	}
	for _, hs := range kwHoles {
		r, _ := refOf(hs[len(hs)-1])
		for _, h := range hs {
			if other, _ := refOf(h); other != r {
				return nil, nil, nil, errors.New("malformed inbound node: its entries pass different keyword tensors")
			}
		}
		refs = append(refs, r)
		holes = append(holes, hs)
	}
	return refs, holes, kw, nil
}

// isEntry reports a [name, node, tensor(, kwargs)] list.
func isEntry(v *jsonx.Value) bool {
	return v.Kind == jsonx.Array && len(v.Elems) > 0 && v.Elems[0].Kind == jsonx.String
}

// collectEntries appends the entries of a first-argument structure in the
// order tf.nest flattens it (dict keys sorted).
func collectEntries(v *jsonx.Value, out *[]*jsonx.Value, depth int) error {
	if depth > 64 {
		return errors.New("malformed inbound node: nested too deep")
	}
	switch {
	case isEntry(v):
		*out = append(*out, v)
	case v.Kind == jsonx.Array:
		for _, e := range v.Elems {
			if err := collectEntries(e, out, depth+1); err != nil {
				return err
			}
		}
	case v.Kind == jsonx.Object:
		for _, k := range sortedKeys(v.Obj) {
			if err := collectEntries(v.Obj.Get(k), out, depth+1); err != nil {
				return err
			}
		}
	default:
		return errors.New("malformed inbound node")
	}
	return nil
}

// kwTriples appends every [layer, node, tensor] list inside a Keras 2
// kwargs value, in the order written: tf_keras keeps the call's keyword
// order for its inputs (measured: MultiHeadAttention(q, value=v, key=k)
// gives q, v, k), where Keras 3 sorts them.
func kwTriples(v *jsonx.Value, out *[]*jsonx.Value, depth int) {
	if v == nil || depth > 64 {
		return
	}
	switch v.Kind {
	case jsonx.Array:
		if _, ok := refOf(v); ok && len(v.Elems) == 3 {
			*out = append(*out, v)
			return
		}
		for _, e := range v.Elems {
			kwTriples(e, out, depth+1)
		}
	case jsonx.Object:
		for _, e := range v.Obj.Vals {
			kwTriples(e, out, depth+1)
		}
	}
}

func readDictNode(raw *jsonx.Value) ([]Ref, [][]*jsonx.Value, *jsonx.Obj, error) {
	args, kwv := raw.Obj.Get("args"), raw.Obj.Get("kwargs")
	if args == nil || args.Kind != jsonx.Array || (kwv != nil && kwv.Kind != jsonx.Object) {
		return nil, nil, nil, errors.New("malformed inbound node")
	}
	var tensors []*jsonx.Value
	kerasTensors(args, &tensors, 0)
	var kw *jsonx.Obj
	if kwv != nil {
		kw = kwv.Obj
		kerasTensors(kwv, &tensors, 0)
	}
	refs := make([]Ref, len(tensors))
	holes := make([][]*jsonx.Value, len(tensors))
	for i, t := range tensors {
		h := historyOf(t)
		r, ok := refOf(h)
		if !ok || len(h.Elems) != 3 {
			return nil, nil, nil, errors.New("malformed inbound node: a __keras_tensor__ without keras_history")
		}
		refs[i], holes[i] = r, []*jsonx.Value{h}
	}
	return refs, holes, kw, nil
}

// kerasTensors appends every __keras_tensor__ object in v in the order
// Keras 3 flattens call arguments (dict keys sorted).
func kerasTensors(v *jsonx.Value, out *[]*jsonx.Value, depth int) {
	if v == nil || depth > 64 {
		return
	}
	switch v.Kind {
	case jsonx.Array:
		for _, e := range v.Elems {
			kerasTensors(e, out, depth+1)
		}
	case jsonx.Object:
		if c, _ := v.Obj.String("class_name"); c == "__keras_tensor__" {
			*out = append(*out, v)
			return
		}
		for _, k := range sortedKeys(v.Obj) {
			kerasTensors(v.Obj.Get(k), out, depth+1)
		}
	}
}

// historyOf is a __keras_tensor__'s keras_history list (nil if absent).
func historyOf(t *jsonx.Value) *jsonx.Value {
	if cfg := t.Obj.Object("config"); cfg != nil {
		return cfg.Get("keras_history")
	}
	return nil
}

func sortedKeys(o *jsonx.Obj) []string {
	ks := append([]string(nil), o.Keys...)
	sort.Strings(ks)
	return ks
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

// ConstantFirst reports a Keras 2 call whose first argument is a constant
// (["_CONSTANT_VALUE", -1, 3.0, {...}], tf-keras's form of 3.0 - x).
func (n *Node) ConstantFirst() bool {
	if n.raw == nil || n.raw.Kind != jsonx.Array {
		return false
	}
	first := n.raw
	for !isEntry(first) && first.Kind == jsonx.Array && len(first.Elems) > 0 {
		first = first.Elems[0]
	}
	return isConstant(first)
}

// FirstConstant is the value of a Keras 2 call's constant first argument.
func (n *Node) FirstConstant() (*jsonx.Value, bool) {
	if !n.ConstantFirst() {
		return nil, false
	}
	first := n.raw
	for !isEntry(first) {
		first = first.Elems[0]
	}
	return first.Elems[2], true
}

func isConstant(v *jsonx.Value) bool {
	return v != nil && v.Kind == jsonx.Array && len(v.Elems) > 0 &&
		v.Elems[0].Kind == jsonx.String && v.Elems[0].Str == "_CONSTANT_VALUE"
}

// setHoles writes the references of n's inputs into its raw config.
func (m *Model) setHoles(n *Node) {
	n.Inputs = make([]Ref, len(n.In))
	for i, t := range n.In {
		r := m.refOf(t, false)
		n.Inputs[i] = r
		if i < len(n.holes) {
			for _, h := range n.holes[i] {
				writeRef(h, r)
			}
		}
	}
}

// writeRef sets the first three elements of a reference list.
func writeRef(h *jsonx.Value, r Ref) {
	h.Elems[0] = jsonx.Str(r.Layer)
	h.Elems[1] = jsonx.Int(int64(r.Node))
	h.Elems[2] = jsonx.Int(int64(r.Tensor))
}

// refOf is the reference the config writes for t: in inbound nodes, or
// (io) in input_layers/output_layers.
func (m *Model) refOf(t Tensor, io bool) Ref {
	if t.Node == nil {
		name := ""
		if t.Layer != nil {
			name = t.Layer.Name
		}
		return Ref{Layer: name, Tensor: t.Index}
	}
	off := m.Dialect.nodeOffset(t.Layer)
	if io {
		off = m.Dialect.ioOffset(t.Layer)
	}
	return Ref{Layer: t.Layer.Name, Node: nodeIndex(t.Layer, t.Node) + off, Tensor: t.Index}
}

func nodeIndex(l *Layer, n *Node) int {
	for i, x := range l.Nodes {
		if x == n {
			return i
		}
	}
	panic(fmt.Sprintf("model: node not in layer %q", l.Name))
}
