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
