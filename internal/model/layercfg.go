package model

import (
	"strings"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// Config values surgery reads and writes, typed: the JSON stays here.

// IntPair reads a config value written as n or [a, b] (kernel_size, strides).
func (l *Layer) IntPair(key string) ([2]int, bool) {
	v := l.Config.Get(key)
	if v == nil {
		return [2]int{}, false
	}
	if n, ok := v.Int(); ok {
		return [2]int{int(n), int(n)}, true
	}
	if v.Kind != jsonx.Array || len(v.Elems) != 2 {
		return [2]int{}, false
	}
	a, ok1 := v.Elems[0].Int()
	b, ok2 := v.Elems[1].Int()
	return [2]int{int(a), int(b)}, ok1 && ok2
}

// Pad2D reads a ZeroPadding2D padding: n, [a, b] or [[top, bottom], [left, right]].
func (l *Layer) Pad2D() ([2][2]int, bool) {
	var p [2][2]int
	v := l.Config.Get("padding")
	if v == nil {
		return p, false
	}
	if n, ok := v.Int(); ok {
		return [2][2]int{{int(n), int(n)}, {int(n), int(n)}}, true
	}
	if v.Kind != jsonx.Array || len(v.Elems) != 2 {
		return p, false
	}
	for i, e := range v.Elems {
		if n, ok := e.Int(); ok {
			p[i] = [2]int{int(n), int(n)}
			continue
		}
		if e.Kind != jsonx.Array || len(e.Elems) != 2 {
			return p, false
		}
		a, ok1 := e.Elems[0].Int()
		b, ok2 := e.Elems[1].Int()
		if !ok1 || !ok2 {
			return p, false
		}
		p[i] = [2]int{int(a), int(b)}
	}
	return p, true
}

// SetPad2D writes a ZeroPadding2D padding in its full form.
func (l *Layer) SetPad2D(p [2][2]int) {
	l.Config.Set("padding", jsonx.Arr(
		jsonx.Arr(jsonx.Int(int64(p[0][0])), jsonx.Int(int64(p[0][1]))),
		jsonx.Arr(jsonx.Int(int64(p[1][0])), jsonx.Int(int64(p[1][1])))))
}

// ChannelsFirst reports a data_format of channels_first.
func (l *Layer) ChannelsFirst() bool {
	f, _ := l.Config.String("data_format")
	return f == "channels_first"
}

// AxisIsLast reports whether the config's "axis" (int or list) names only
// the last axis of a rank-r input.
func (l *Layer) AxisIsLast(r int) bool {
	v := l.Config.Get("axis")
	if v == nil || r == 0 {
		return false
	}
	if v.Kind == jsonx.Array {
		if len(v.Elems) != 1 {
			return false
		}
		v = v.Elems[0]
	}
	a, ok := v.Int()
	if !ok {
		return false
	}
	if a < 0 {
		a += int64(r)
	}
	return a == int64(r-1)
}

// Floats reads a config value that is a list of numbers; list is false
// for anything else (a number, null, absent), ok false for a list holding
// other values.
func (l *Layer) Floats(key string) (vals []float64, list, ok bool) {
	v := l.Config.Get(key)
	if v == nil || v.Kind != jsonx.Array {
		return nil, false, true
	}
	vals = make([]float64, len(v.Elems))
	for i, e := range v.Elems {
		f, good := e.Float64()
		if !good {
			return nil, true, false
		}
		vals[i] = f
	}
	return vals, true, true
}

// SetFloats writes a list of numbers as Python floats.
func (l *Layer) SetFloats(key string, vals []float64) {
	out := jsonx.Arr()
	for _, f := range vals {
		out.Elems = append(out.Elems, jsonx.Float(f))
	}
	l.Config.Set(key, out)
}

// DTypePolicy is the name of l's dtype policy as its config writes it: a string (Keras 2) or a policy object (both Kerases); "" for none,
// "?" for an object modelsurg does not know.
func (l *Layer) DTypePolicy() string {
	v := l.Config.Get("dtype")
	switch {
	case v.IsNull():
		return ""
	case v.Kind == jsonx.String:
		return v.Str
	case v.Kind != jsonx.Object:
		return "?"
	}
	class, _ := v.Obj.String("class_name")
	cfg := v.Obj.Get("config")
	if (class != "Policy" && class != "DTypePolicy" && class != "FloatDTypePolicy") || cfg == nil || cfg.Kind != jsonx.Object {
		return "?"
	}
	if name, ok := cfg.Obj.String("name"); ok {
		return name
	}
	return "?"
}

// SetDTypePolicy sets l's dtype policy to name (e.g. "float16",
// "mixed_float16") in the form d's Keras writes it: tf-keras a string for
// a plain dtype and a Policy object for a mixed one, Keras 3 always a
// DTypePolicy object.
func (l *Layer) SetDTypePolicy(name string, d Dialect) {
	l.Config.Set("dtype", PolicyValue(name, d))
}

// PolicyValue is the "dtype" value of a policy as d's Keras writes it.
func PolicyValue(name string, d Dialect) *jsonx.Value {
	module, class := "keras", "DTypePolicy"
	if d != Keras3 {
		if !strings.HasPrefix(name, "mixed_") {
			return jsonx.Str(name)
		}
		module, class = "keras.mixed_precision", "Policy"
	}
	cfg := jsonx.NewObject()
	cfg.Obj.Set("name", jsonx.Str(name))
	v := jsonx.NewObject()
	v.Obj.Set("module", jsonx.Str(module))
	v.Obj.Set("class_name", jsonx.Str(class))
	v.Obj.Set("config", cfg)
	v.Obj.Set("registered_name", jsonx.NullV())
	return v
}

// SetWrappedDTypePolicy sets the dtype policy of the layer configs inside
// l's config (a wrapper's "layer", an RNN's "cell") that write a dtype:
// Keras builds their weights in their own policy. Nested models are the
// caller's. A config is a layer's when it has "name", "trainable" and
// "dtype" (an old initializer's config has a "dtype" of its own).
func SetWrappedDTypePolicy(l *Layer, name string, d Dialect) {
	if l.Sub != nil || l.Config == nil {
		return
	}
	for _, k := range l.Config.Keys {
		setInnerPolicy(l.Config.Get(k), name, d, 0)
	}
}

func setInnerPolicy(x *jsonx.Value, name string, d Dialect, depth int) {
	if x == nil || depth > maxNesting {
		return
	}
	switch x.Kind {
	case jsonx.Array:
		for _, e := range x.Elems {
			setInnerPolicy(e, name, d, depth+1)
		}
	case jsonx.Object:
		if cfg := x.Obj.Object("config"); cfg != nil && x.Obj.Has("class_name") && cfg.Has("dtype") && cfg.Has("trainable") && cfg.Has("name") {
			cfg.Set("dtype", PolicyValue(name, d))
		}
		for _, k := range x.Obj.Keys {
			if k != "dtype" {
				setInnerPolicy(x.Obj.Get(k), name, d, depth+1)
			}
		}
	}
}

// SetModule writes the "module" and a null "registered_name" that Keras 3
// writes in a layer's entry: Keras 3 then reads the layer with its own
// deserializer instead of its legacy one.
func (l *Layer) SetModule(module string) {
	l.entry.Set("module", jsonx.Str(module))
	if !l.entry.Has("registered_name") {
		l.entry.Set("registered_name", jsonx.NullV())
	}
}
