package model

import "github.com/modelsurg/modelsurg/internal/jsonx"

// SetUntrainable writes "trainable": false where Keras writes it: every
// layer but InputLayer; a nested model only if its config has the key
// (tf-keras Sequential configs do not). It returns 1 if l changed.
func SetUntrainable(l *Layer) int {
	if l.Class == "InputLayer" {
		return 0
	}
	if v, ok := l.Config.Bool("trainable"); ok {
		if !v {
			return 0
		}
		l.Config.Set("trainable", jsonx.BoolV(false))
		return 1
	}
	if l.Sub != nil {
		return 0
	}
	setAfter(l.Config, "name", "trainable", jsonx.BoolV(false))
	return 1
}

// setAfter sets key k in o, placing it after key after when it is new.
func setAfter(o *jsonx.Obj, after, k string, v *jsonx.Value) {
	if o.Has(k) {
		o.Set(k, v)
		return
	}
	at := 0
	for i, key := range o.Keys {
		if key == after {
			at = i + 1
		}
	}
	o.Keys = append(o.Keys[:at:at], append([]string{k}, o.Keys[at:]...)...)
	o.Vals = append(o.Vals[:at:at], append([]*jsonx.Value{v}, o.Vals[at:]...)...)
}

// ReorderWeights reorders ws, saved in the order before describes, into the order
// after describes. It returns ws unchanged when the two do not match.
func ReorderWeights(ws []*Weight, before, after []WeightInfo) []*Weight {
	if len(ws) != len(before) || len(before) != len(after) {
		return ws
	}
	type key struct {
		owner *Layer
		name  string
	}
	at := map[key]int{}
	for i, w := range before {
		k := key{w.Owner, w.Spec.Name}
		if _, dup := at[k]; dup {
			return ws
		}
		at[k] = i
	}
	out := make([]*Weight, len(ws))
	changed := false
	for j, w := range after {
		i, ok := at[key{w.Owner, w.Spec.Name}]
		if !ok {
			return ws
		}
		out[j] = ws[i]
		changed = changed || i != j
	}
	if !changed {
		return ws
	}
	return out
}

// SetTrainable writes "trainable": true on l where l's config says
// false; a layer without the key is already trainable. Layers nested in
// l are the caller's (Keras's layer.trainable = True sets them too). It
// returns 1 if l changed.
func SetTrainable(l *Layer) int {
	if l.Config == nil || l.Class == "InputLayer" {
		return 0
	}
	if v := l.Config.Get("trainable"); v != nil && !truthy(v) {
		l.Config.Set("trainable", jsonx.BoolV(true))
		return 1
	}
	return 0
}

// SetWrappedTrainable sets "trainable" to v in the configs of the layers
// a layer's config holds (TimeDistributed's and Bidirectional's "layer",
// "forward_layer", "backward_layer", an RNN's "cell"), where they write
// the key: Keras's layer.trainable = False reaches them, and Keras 3 reads
// their own flag back when it loads the file. Nested models are the
// caller's (their layers are layers of their own). It returns how many
// configs changed.
func SetWrappedTrainable(l *Layer, v bool) int {
	if l.Sub != nil || l.Config == nil {
		return 0
	}
	n := 0
	for _, k := range l.Config.Keys {
		n += setInnerTrainable(l.Config.Get(k), v, 0)
	}
	return n
}

func setInnerTrainable(x *jsonx.Value, v bool, depth int) int {
	if x == nil || depth > maxNesting {
		return 0
	}
	n := 0
	switch x.Kind {
	case jsonx.Array:
		for _, e := range x.Elems {
			n += setInnerTrainable(e, v, depth+1)
		}
	case jsonx.Object:
		if cfg := x.Obj.Object("config"); cfg != nil && x.Obj.Has("class_name") && cfg.Has("trainable") {
			if cur := cfg.Get("trainable"); truthy(cur) != v || cur.Kind != jsonx.Bool {
				cfg.Set("trainable", jsonx.BoolV(v))
				n++
			}
		}
		for _, k := range x.Obj.Keys {
			n += setInnerTrainable(x.Obj.Get(k), v, depth+1)
		}
	}
	return n
}
