package model

import "github.com/modelsurg/modelsurg/internal/jsonx"

// Args is a Keras 3 call's positional arguments as written (tensors as
// __keras_tensor__ objects, constants as Keras 3 serialized them), nil
// for a Keras 2 call. They are the node's own: read them, change the call
// through Recall and SetKwarg.
func (n *Node) Args() []*jsonx.Value {
	if n.raw == nil || n.raw.Kind != jsonx.Object {
		return nil
	}
	a := n.raw.Obj.Get("args")
	if a == nil || a.Kind != jsonx.Array {
		return nil
	}
	return a.Elems
}

// SetKwarg sets the keyword argument k of call i of l to v, a value that
// holds no tensor (a constant), in m's dialect: Keras 3's "kwargs", or
// the kwargs every Keras 2 entry carries.
func (m *Model) SetKwarg(l *Layer, i int, k string, v *jsonx.Value) {
	n := l.Nodes[i]
	if n.raw.Kind == jsonx.Object {
		kw := n.raw.Obj.Object("kwargs")
		if kw == nil {
			n.raw.Obj.Set("kwargs", jsonx.NewObject())
			kw = n.raw.Obj.Object("kwargs")
		}
		kw.Set(k, v)
		n.Kwargs = kw
		return
	}
	entries := []*jsonx.Value{n.raw}
	if !isEntry(n.raw) {
		entries = n.raw.Elems
	}
	for _, e := range entries {
		if len(e.Elems) == 3 {
			e.Elems = append(e.Elems, jsonx.NewObject())
		}
		e.Elems[3].Obj.Set(k, v.Clone())
		n.Kwargs = e.Elems[3].Obj
	}
}
