package model

import (
	"strings"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// Style is how the Keras that wrote a model writes new layers: the keys
// its version writes for each class, its dtype value and initializers, and
// how it names weights. Surgery builds new layers through it and writes no
// config itself.
type Style struct {
	dialect Dialect
	// byClass holds one config per class found in the source model: the
	// keys its Keras version writes.
	byClass map[string]*jsonx.Obj
	// dtype is the value of "dtype" to use; nil drops the key.
	dtype      *jsonx.Value
	kernelInit *jsonx.Value
	biasInit   *jsonx.Value
	// weight naming: ":0" suffix (Keras 2), bare names (Keras 3.0-3.2),
	// paths (Keras >= 3.3).
	colonZero, bare bool
}

// NewStyle learns the style of src; kept is the model being edited and
// near the layer new layers follow (its dtype is preferred).
func NewStyle(src, kept *Model, near *Layer) *Style {
	c, cut := kept, near
	t := &Style{dialect: src.Dialect, byClass: map[string]*jsonx.Obj{}}
	var legacyInit bool
	anyDtype := false
	sawWeight, sawSlash := false, false
	src.Walk(func(_ []string, l *Layer) {
		for _, w := range l.Weights {
			sawWeight = true
			if strings.HasSuffix(w.Name, ":0") {
				t.colonZero = true
			}
			if strings.Contains(w.Name, "/") {
				sawSlash = true
			}
		}
		if l.Class == "InputLayer" || l.Sub != nil {
			return
		}
		if _, ok := t.byClass[l.Class]; !ok {
			t.byClass[l.Class] = l.Config
		}
		if l.Config.Has("dtype") {
			anyDtype = true
		}
		for i, k := range l.Config.Keys {
			v := l.Config.Vals[i]
			if !strings.HasSuffix(k, "_initializer") || v.Kind != jsonx.Object {
				continue
			}
			cn, _ := v.Obj.String("class_name")
			if !v.Obj.Has("module") {
				legacyInit = true
			}
			if cn == "GlorotUniform" && t.kernelInit == nil {
				t.kernelInit = withNullSeed(v)
			}
			if cn == "Zeros" && t.biasInit == nil {
				t.biasInit = v.Clone()
			}
		}
	})
	if sawWeight && !sawSlash && src.Dialect == Keras3 {
		t.bare = true
	}
	if !sawWeight && src.Dialect == Keras2 {
		t.colonZero = true
	}
	if t.kernelInit == nil {
		t.kernelInit = parse(kerasInit(src.Dialect, "GlorotUniform", legacyInit))
	}
	if t.biasInit == nil {
		t.biasInit = parse(kerasInit(src.Dialect, "Zeros", legacyInit))
	}
	// dtype: the cut layer's, else the first kept layer's that has one.
	if anyDtype {
		pick := func(l *Layer) bool {
			if l.Class == "InputLayer" || l.Sub != nil {
				return false
			}
			if v := l.Config.Get("dtype"); v != nil {
				t.dtype = v
				return true
			}
			return false
		}
		if !pick(cut) {
			for _, l := range c.Layers {
				if pick(l) {
					break
				}
			}
		}
		if t.dtype == nil {
			t.dtype = parse(baseTemplate(src.Dialect, "Flatten")).Obj.Get("dtype")
		}
	}
	return t
}

func withNullSeed(v *jsonx.Value) *jsonx.Value {
	c := v.Clone()
	if cfg := c.Obj.Object("config"); cfg != nil && cfg.Has("seed") {
		cfg.Set("seed", jsonx.NullV())
	}
	return c
}

func parse(s string) *jsonx.Value {
	v, err := jsonx.Parse([]byte(s))
	if err != nil {
		panic("model: bad template: " + err.Error())
	}
	return v
}

// kerasInit is an initializer as tf-keras >= 2.13 and Keras 3 write it,
// or in the older {"class_name", "config"} form.
func kerasInit(d Dialect, class string, legacy bool) string {
	cfg := `{}`
	if class == "GlorotUniform" {
		cfg = `{"seed": null}`
		if d == Keras3 {
			cfg = `{"seed": null, "input_axes": null, "output_axes": null}`
		}
	}
	if legacy {
		return `{"class_name": "` + class + `", "config": ` + cfg + `}`
	}
	return `{"module": "keras.initializers", "class_name": "` + class + `", "config": ` + cfg + `, "registered_name": null}`
}

const policyFloat32 = `{"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}`

// baseTemplate is a layer config as tf-keras 2.21 (Keras 2) or Keras 3.15
// writes it into an .h5 file, name and values to be filled in.
func baseTemplate(d Dialect, class string) string {
	dtype := `"float32"`
	if d == Keras3 {
		dtype = policyFloat32
	}
	head := `{"name": "", "trainable": true, "dtype": ` + dtype
	switch {
	case class == "Flatten":
		return head + `, "data_format": "channels_last"}`
	case class == "Dropout" && d == Keras3:
		return head + `, "rate": 0.5, "seed": null, "noise_shape": null}`
	case class == "Dropout":
		return head + `, "rate": 0.5, "noise_shape": null, "seed": null}`
	case strings.HasPrefix(class, "Global"):
		return head + `, "data_format": "channels_last", "keepdims": false}`
	case class == "Dense" && d == Keras3:
		return head + `, "units": 1, "activation": "linear", "use_bias": true, "kernel_initializer": null, "bias_initializer": null, ` +
			`"kernel_regularizer": null, "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null, "quantization_config": null}`
	case class == "Dense":
		return head + `, "units": 1, "activation": "linear", "use_bias": true, "kernel_initializer": null, "bias_initializer": null, ` +
			`"kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}`
	}
	panic("model: no template for " + class)
}

// config returns the config of one new layer.
// LayerSpec is a new layer of a class the style can configure: Dense
// (Units, Activation), Dropout (Rate), Flatten and GlobalAverage/Max
// Pooling1D/2D/3D (DataFormat).
type LayerSpec struct {
	Class      string
	Units      int
	Activation string
	Rate       float64
	DataFormat string
}

// NewLayer returns a new layer of spec named name, as m's Keras writes it
// (a Sequential entry or a Functional one without calls).
func (t *Style) NewLayer(m *Model, p LayerSpec, name string) *Layer {
	cfg := t.config(p, name)
	if m.IsSequential() {
		return NewSequentialLayer(p.Class, name, cfg)
	}
	return NewLayer(p.Class, name, cfg)
}

func (t *Style) config(p LayerSpec, name string) *jsonx.Obj {
	cfg := parse(baseTemplate(t.dialect, p.Class)).Obj
	if src := t.byClass[p.Class]; src != nil {
		// The source's Keras writes this class: keep only the keys it knows.
		for _, k := range append([]string(nil), cfg.Keys...) {
			if k != "name" && !src.Has(k) {
				cfg.Delete(k)
			}
		}
	}
	if cfg.Has("dtype") {
		if t.dtype == nil {
			cfg.Delete("dtype")
		} else {
			cfg.Set("dtype", t.dtype.Clone())
		}
	}
	cfg.Set("name", jsonx.Str(name))
	switch p.Class {
	case "Dense":
		cfg.Set("units", jsonx.Int(int64(p.Units)))
		cfg.Set("activation", jsonx.Str(p.Activation))
		cfg.Set("kernel_initializer", t.kernelInit.Clone())
		cfg.Set("bias_initializer", t.biasInit.Clone())
	case "Dropout":
		cfg.Set("rate", jsonx.Float(p.Rate))
	case "Flatten":
		if cfg.Has("data_format") {
			cfg.Set("data_format", jsonx.Str(p.DataFormat))
		}
	default: // global pooling
		if cfg.Has("data_format") || p.DataFormat != "channels_last" {
			cfg.Set("data_format", jsonx.Str(p.DataFormat))
		}
	}
	return cfg
}

// WeightName is the name of a new weight w of layer, in the style of the
// source's weights.
func (t *Style) WeightName(c *Model, layer, w string) string {
	switch {
	case t.colonZero:
		return layer + "/" + w + ":0"
	case t.bare:
		return w
	case c.IsSequential():
		return c.Name + "/" + layer + "/" + w
	}
	return layer + "/" + w
}
