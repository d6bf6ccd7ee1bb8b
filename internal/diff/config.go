package diff

import (
	"sort"
	"strconv"
	"strings"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// KeyChange is one config key whose value differs. A and B are the values
// as JSON, "" where the key is absent.
type KeyChange struct {
	Key string `json:"key"`
	A   string `json:"a"`
	B   string `json:"b"`
}

// ignoredKeys are the keys of a layer config that configChanges never
// compares: the name (a rename is reported as one) and, for a nested
// model, its layers and their wiring (compared layer by layer).
var ignoredKeys = map[string]bool{"name": true, "layers": true, "input_layers": true, "output_layers": true}

// configChanges lists the keys of a and b whose values differ, in a's key
// order then b's new keys. crossDialect allows the differences only the
// dialect makes (see normalize).
func configChanges(a, b *jsonx.Obj, crossDialect bool) []KeyChange {
	na, nb := normalize(a, crossDialect), normalize(b, crossDialect)
	var out []KeyChange
	for i, k := range na.Keys {
		if ignoredKeys[k] {
			continue
		}
		va, vb := na.Vals[i], nb.Get(k)
		switch {
		case vb == nil:
			out = append(out, KeyChange{Key: k, A: show(va)})
		case canon(va) != canon(vb):
			out = append(out, KeyChange{Key: k, A: show(va), B: show(vb)})
		}
	}
	for i, k := range nb.Keys {
		if !ignoredKeys[k] && !na.Has(k) {
			out = append(out, KeyChange{Key: k, B: show(nb.Vals[i])})
		}
	}
	return out
}

// sameConfig reports whether two layer configs are equal but for their
// names; a nested model's layers count too.
func sameConfig(a, b *jsonx.Obj, crossDialect bool) bool {
	if len(configChanges(a, b, crossDialect)) > 0 {
		return false
	}
	la, lb := a.Get("layers"), b.Get("layers")
	if la == nil || lb == nil {
		return la == lb
	}
	return canon(normalizeValue(la, crossDialect)) == canon(normalizeValue(lb, crossDialect))
}

// normalizeValue is a copy of v with normalize's rules applied inside it.
func normalizeValue(v *jsonx.Value, crossDialect bool) *jsonx.Value {
	c := v.Clone()
	strip(c, crossDialect)
	return c
}

// normalize returns a copy of a layer config without what only tells the
// dialect apart, never a value Keras would load differently:
//   - "module" and "registered_name" beside "class_name" and "config" in a
//     serialized object (where to import the class from, not the object);
//   - a dtype policy {"class_name": "DTypePolicy", "config": {"name": X}}
//     is the dtype string X, as Keras 2 writes it;
//   - an InputLayer's "batch_shape" is Keras 2's "batch_input_shape";
//   - across dialects, a key whose value is null is left out: each
//     dialect writes null for some keys the other lacks (Keras 3's
//     quantization_config, Keras 2's activity_regularizer in Dense).
func normalize(o *jsonx.Obj, crossDialect bool) *jsonx.Obj {
	if o == nil {
		return &jsonx.Obj{}
	}
	c := (&jsonx.Value{Kind: jsonx.Object, Obj: o}).Clone()
	strip(c, crossDialect)
	out := c.Obj
	if out.Has("batch_shape") && !out.Has("batch_input_shape") {
		rename(out, "batch_shape", "batch_input_shape")
	}
	return out
}

func rename(o *jsonx.Obj, from, to string) {
	for i, k := range o.Keys {
		if k == from {
			o.Keys[i] = to
		}
	}
}

// strip applies normalize's rules to v and everything inside it.
func strip(v *jsonx.Value, dropNull bool) {
	switch v.Kind {
	case jsonx.Array:
		for _, e := range v.Elems {
			strip(e, dropNull)
		}
	case jsonx.Object:
		o := v.Obj
		if o.Has("class_name") && o.Has("config") {
			o.Delete("module")
			o.Delete("registered_name")
		}
		for i := len(o.Keys) - 1; dropNull && i >= 0; i-- {
			if o.Vals[i].IsNull() {
				o.Delete(o.Keys[i])
			}
		}
		for i, k := range o.Keys {
			if k == "dtype" {
				if name, ok := policyName(o.Vals[i]); ok {
					o.Vals[i] = jsonx.Str(name)
					continue
				}
			}
			strip(o.Vals[i], dropNull)
		}
	}
}

// policyName reads a Keras 3 DTypePolicy object as its dtype name.
func policyName(v *jsonx.Value) (string, bool) {
	if v == nil || v.Kind != jsonx.Object {
		return "", false
	}
	cls, _ := v.Obj.String("class_name")
	if cls != "DTypePolicy" && cls != "Policy" {
		return "", false
	}
	cfg := v.Obj.Object("config")
	if cfg == nil || cfg.Len() != 1 {
		return "", false
	}
	return cfg.String("name")
}

// canon is v as text with sorted keys and numbers in one spelling (2.0
// and 2 are the same number to Python's json), for comparison only.
func canon(v *jsonx.Value) string {
	var b strings.Builder
	writeCanon(&b, v)
	return b.String()
}

func writeCanon(b *strings.Builder, v *jsonx.Value) {
	switch {
	case v == nil:
		b.WriteString("null")
	case v.Kind == jsonx.Number:
		if f, ok := v.Float64(); ok {
			b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
		} else {
			b.WriteString(v.Str)
		}
	case v.Kind == jsonx.Array:
		b.WriteByte('[')
		for i, e := range v.Elems {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCanon(b, e)
		}
		b.WriteByte(']')
	case v.Kind == jsonx.Object:
		idx := make([]int, len(v.Obj.Keys))
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(i, j int) bool { return v.Obj.Keys[idx[i]] < v.Obj.Keys[idx[j]] })
		b.WriteByte('{')
		for n, i := range idx {
			if n > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(v.Obj.Keys[i]))
			b.WriteByte(':')
			writeCanon(b, v.Obj.Vals[i])
		}
		b.WriteByte('}')
	default:
		b.Write(jsonx.Marshal(v))
	}
}

// maxShown caps a value shown in a change: configs can hold long lists.
const maxShown = 200

func show(v *jsonx.Value) string {
	s := string(jsonx.Marshal(v))
	if len(s) > maxShown {
		s = s[:maxShown] + "..."
	}
	return s
}
