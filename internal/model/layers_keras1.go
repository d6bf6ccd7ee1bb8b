package model

import (
	"strings"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// Keras 1 configs, read as Keras 2.0's legacy interfaces converted their
// arguments (keras/legacy/interfaces.py), with Keras 1's weight names and
// layouts.

// keras1Classes are the Keras 1 class names Keras 2 renamed.
var keras1Classes = map[string]string{
	"Convolution1D":          "Conv1D",
	"Convolution2D":          "Conv2D",
	"Convolution3D":          "Conv3D",
	"AtrousConvolution1D":    "Conv1D",
	"AtrousConvolution2D":    "Conv2D",
	"Deconvolution2D":        "Conv2DTranspose",
	"SeparableConvolution2D": "SeparableConv2D",
	"Merge":                  "Merge",
}

// keras1Keys are the renamed arguments, for every class.
var keras1Keys = map[string]string{
	"nb_filter": "filters", "subsample": "strides", "border_mode": "padding",
	"dim_ordering": "data_format", "bias": "use_bias", "atrous_rate": "dilation_rate",
	"filter_length": "kernel_size", "subsample_length": "strides", "pool_length": "pool_size",
	"stride": "strides", "sigma": "stddev",
}

// isKeras1 reports a Keras 1 config: a Keras 1 class name or argument.
func isKeras1(class string, cfg *jsonx.Obj) bool {
	if _, ok := keras1Classes[class]; ok {
		return true
	}
	for _, k := range []string{"border_mode", "dim_ordering", "nb_filter", "subsample", "subsample_length",
		"filter_length", "pool_length", "inner_init", "consume_less"} {
		if cfg.Has(k) {
			return true
		}
	}
	switch class {
	case "Dense":
		return cfg.Has("output_dim") && !cfg.Has("units")
	case "Dropout", "GaussianDropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D":
		return cfg.Has("p") && !cfg.Has("rate")
	case "BatchNormalization":
		return cfg.Has("mode") && !cfg.Has("center")
	case "UpSampling1D":
		return cfg.Has("length") && !cfg.Has("size")
	}
	return false
}

// fromKeras1 returns the Keras 2 class and config of a Keras 1 config.
func (c *lcfg) fromKeras1() (string, *jsonx.Obj, error) {
	class := c.class
	if k2, ok := keras1Classes[class]; ok {
		class = k2
	}
	switch class {
	case "LSTM", "GRU", "SimpleRNN":
		return "", nil, c.badf("keras 1 recurrent layers are not supported")
	}
	if c.o == nil {
		return "", nil, c.badf("no config")
	}
	out := &jsonx.Obj{}
	for i, k := range c.o.Keys {
		v := c.o.Vals[i]
		switch {
		case k == "nb_row" || k == "nb_col":
			continue
		case k == "output_dim" && class == "Dense":
			k = "units"
		case k == "p" || (k == "length" && class == "UpSampling1D"):
			if k == "p" {
				k = "rate"
			} else {
				k = "size"
			}
		case k == "dim_ordering":
			f := "channels_last"
			if s, _ := c.o.String(k); s == "th" {
				f = "channels_first"
			} else if s != "tf" && s != "default" {
				return "", nil, c.badf("unknown dim_ordering %q", s)
			}
			v = jsonx.Str(f)
		}
		if k2, ok := keras1Keys[k]; ok {
			k = k2
		}
		out.Set(k, v)
	}
	if c.o.Has("nb_row") || c.o.Has("nb_col") {
		r, c2 := c.o.Get("nb_row"), c.o.Get("nb_col")
		if r == nil || c2 == nil {
			return "", nil, c.badf("nb_row and nb_col must both be set")
		}
		ks := []*jsonx.Value{r, c2}
		if class == "Conv3D" {
			return "", nil, c.badf("keras 1 Convolution3D is not supported")
		}
		out.Set("kernel_size", jsonx.Arr(ks...))
	}
	if class == "Conv3D" && c.o.Has("kernel_dim1") {
		return "", nil, c.badf("keras 1 Convolution3D is not supported")
	}
	return class, out, nil
}

// keras1Weights renames and re-lays out Keras 2 weights as Keras 1 stores
// them: W and b; Theano-ordered ("th") kernels as (filters, channels,
// rows, cols); Convolution1D kernels as (length, 1, channels, filters);
// BatchNormalization's running_mean and running_std.
func keras1Weights(c *lcfg, ws []WeightSpec) []WeightSpec {
	cf, _ := c.channelsFirst()
	out := make([]WeightSpec, len(ws))
	for i, w := range ws {
		switch w.Name {
		case "kernel":
			w.Name = "W"
			w.Shape = keras1Kernel(c, w.Shape, cf)
		case "bias":
			w.Name = "b"
		case "embeddings":
			w.Name = "W"
		case "moving_mean":
			w.Name = "running_mean"
		case "moving_variance":
			w.Name = "running_std"
		case "alpha":
			w.Name = "alphas"
		}
		out[i] = w
	}
	return out
}

func keras1Kernel(c *lcfg, s Shape, cf bool) Shape {
	if s == nil {
		return nil
	}
	switch {
	case strings.HasPrefix(c.k1class, "Convolution1D") || c.k1class == "AtrousConvolution1D":
		if len(s) == 3 {
			return Shape{s[0], 1, s[1], s[2]}
		}
	case cf && len(s) >= 3 && c.class != "Dense":
		r := len(s) - 2
		out := Shape{s[r+1], s[r]}
		return append(out, s[:r]...)
	}
	return s
}

// merge1Layer is Keras 1's Merge: mode concat (concat_axis), sum, mul,
// ave, max or dot (dot_axes); a function mode is unknown.
var merge1Layer = &layerKind{nIn: -1, infer: func(c *lcfg, in []Shape) (Shape, error) {
	mode, err := c.str("mode", "sum")
	if err != nil {
		return nil, c.badf("merge mode is a function")
	}
	if err := c.minRankAll(in, 1); err != nil {
		return nil, err
	}
	switch mode {
	case "concat":
		a, err := c.integer("concat_axis", -1)
		if err != nil {
			return nil, err
		}
		return c.concat(in, a)
	case "sum", "mul", "ave", "max":
		return c.broadcastEqual(in)
	case "dot":
		if len(in) != 2 {
			return nil, c.errf("dot merge expects 2 inputs, got %d", len(in))
		}
		d := &lcfg{o: &jsonx.Obj{}, class: c.class, d: c.d}
		d.o.Set("axes", c.o.Get("dot_axes"))
		return dotLayer.infer(d, in)
	}
	return nil, c.badf("merge mode %q is not supported", mode)
}}

func init() {
	register(merge1Layer, "Merge")
}
