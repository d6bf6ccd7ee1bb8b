package model

import "github.com/modelsurg/modelsurg/internal/jsonx"

// Recurrent layers and the wrappers that call another layer
// (Bidirectional, TimeDistributed).

// rnnCell describes one recurrent class: its gate count, how many states it
// carries, and the size of its bias in units.
type rnnCell struct {
	gates, states int
	// bias gives the bias shape for units u (nil: no bias).
	bias func(c *lcfg, u int) (Shape, error)
}

var rnnCells = map[string]*rnnCell{
	"SimpleRNN": {gates: 1, states: 1, bias: func(_ *lcfg, u int) (Shape, error) { return Shape{u}, nil }},
	"LSTM":      {gates: 4, states: 2, bias: func(_ *lcfg, u int) (Shape, error) { return Shape{4 * u}, nil }},
	"GRU": {gates: 3, states: 1, bias: func(c *lcfg, u int) (Shape, error) {
		// tf-keras and Keras 3 default to reset_after=True; configs without
		// the key come from Keras before 2.2.x, which had only reset_after=False.
		after, err := c.boolean("reset_after", c.d == Keras3)
		if err != nil || !after {
			return Shape{3 * u}, err
		}
		return Shape{2, 3 * u}, nil
	}},
	"CuDNNLSTM": {gates: 4, states: 2, bias: func(_ *lcfg, u int) (Shape, error) { return Shape{8 * u}, nil }},
	"CuDNNGRU":  {gates: 3, states: 1, bias: func(_ *lcfg, u int) (Shape, error) { return Shape{6 * u}, nil }},
}

// rnnFlags reads return_sequences, return_state and time_major.
func (c *lcfg) rnnFlags() (seq, state, timeMajor bool, err error) {
	if seq, err = c.boolean("return_sequences", false); err != nil {
		return
	}
	if state, err = c.boolean("return_state", false); err != nil {
		return
	}
	timeMajor, err = c.boolean("time_major", false)
	return
}

// rnnOutputs is the number of tensors an RNN call returns.
func (c *lcfg) rnnOutputs(states int) (int, error) {
	_, state, _, err := c.rnnFlags()
	if err != nil || !state {
		return 1, err
	}
	return 1 + states, nil
}

// rnnInfer is the outputs of an RNN on s (batch, time, features): the
// sequence or last output, then the states, each of per-step shape step.
func (c *lcfg) rnnInfer(s Shape, step Shape, states int) ([]Shape, error) {
	seq, state, timeMajor, err := c.rnnFlags()
	if err != nil {
		return nil, err
	}
	batch, time := s[0], s[1]
	if timeMajor {
		batch, time = s[1], s[0]
	}
	last := append(Shape{batch}, step...)
	out := last.Clone()
	if seq {
		out = append(Shape{batch, time}, step...)
		if timeMajor {
			out = append(Shape{time, batch}, step...)
		}
	}
	outs := []Shape{out}
	if state {
		for i := 0; i < states; i++ {
			outs = append(outs, last.Clone())
		}
	}
	return outs, nil
}

func rnnLayer(cell *rnnCell) *layerKind {
	return &layerKind{
		nIn: -2,
		nOut: func(c *lcfg) (int, error) {
			return c.rnnOutputs(cell.states)
		},
		multi: func(c *lcfg, in []Shape) ([]Shape, error) {
			u, err := c.positive("units")
			if err != nil {
				return nil, err
			}
			s := in[0]
			if err := c.rank(s, 3); err != nil {
				return nil, err
			}
			if _, err := c.known(s[2], "last dimension", s); err != nil {
				return nil, err
			}
			return c.rnnInfer(s, Shape{u}, cell.states)
		},
		weights: func(c *lcfg, in []Shape) ([]WeightSpec, error) {
			u, err := c.positive("units")
			if err != nil {
				return nil, err
			}
			bias, err := c.boolean("use_bias", true)
			if err != nil {
				return nil, err
			}
			g, err := c.mul(cell.gates, u)
			if err != nil {
				return nil, err
			}
			ws := []WeightSpec{w("kernel", true, last(in[0]), g), w("recurrent_kernel", true, u, g)}
			if bias || c.class == "CuDNNLSTM" || c.class == "CuDNNGRU" {
				b, err := cell.bias(c, u)
				if err != nil {
					return nil, err
				}
				ws = append(ws, WeightSpec{Name: "bias", Shape: b, Trainable: true})
			}
			return ws, nil
		},
	}
}

// convLSTMLayer is ConvLSTM1D/2D/3D: a convolution per time step.
func convLSTMLayer(r int) *layerKind {
	step := func(c *lcfg, s Shape) (*convParams, Shape, error) {
		p, err := c.conv(r, convPlain)
		if err != nil {
			return nil, nil, err
		}
		if err := c.rank(s, r+3); err != nil {
			return nil, nil, err
		}
		x := append(Shape{s[0]}, s[2:]...)
		out, err := c.inferConv(p, x)
		return p, out, err
	}
	return &layerKind{
		nIn:  -2,
		nOut: func(c *lcfg) (int, error) { return c.rnnOutputs(2) },
		multi: func(c *lcfg, in []Shape) ([]Shape, error) {
			_, out, err := step(c, in[0])
			if err != nil {
				return nil, err
			}
			return c.rnnInfer(in[0], out[1:], 2)
		},
		weights: func(c *lcfg, in []Shape) ([]WeightSpec, error) {
			p, err := c.conv(r, convPlain)
			if err != nil {
				return nil, err
			}
			g, err := c.mul(4, p.filters)
			if err != nil {
				return nil, err
			}
			kernel := wUnknown("kernel", true)
			if s := in[0]; s != nil {
				if err := c.rank(s, r+3); err != nil {
					return nil, err
				}
				ch := s[2+channelAxis(p.cf, r)-1]
				kernel = w("kernel", true, append(append([]int{}, p.kernel...), ch, g)...)
			}
			ws := []WeightSpec{kernel, w("recurrent_kernel", true, append(append([]int{}, p.kernel...), p.filters, g)...)}
			if p.useBias {
				ws = append(ws, w("bias", true, g))
			}
			return ws, nil
		},
	}
}

// inner reads a wrapper's "layer" (or other key) entry: its kind and config.
func (c *lcfg) inner(key string) (*layerKind, *lcfg, error) {
	o := c.o.Object(key)
	if o == nil {
		return nil, nil, c.badf("config %q is missing", key)
	}
	class, _ := o.String("class_name")
	cfg := o.Object("config")
	if cfg == nil {
		return nil, nil, c.badf("config %q has no config", key)
	}
	k, ic, err := lookup(class, cfg, c.d)
	if err != nil {
		return nil, nil, err
	}
	if k.nIn == 0 || k.nIn == 2 {
		return nil, nil, c.badf("%s cannot be wrapped", class)
	}
	return k, ic, nil
}

// bidiLayers returns the forward and backward layers of a Bidirectional.
func (c *lcfg) bidiLayers() (k [2]*layerKind, lc [2]*lcfg, err error) {
	if k[0], lc[0], err = c.inner("layer"); err != nil {
		return
	}
	k[1], lc[1] = k[0], lc[0]
	if c.o.Object("backward_layer") != nil {
		k[1], lc[1], err = c.inner("backward_layer")
	}
	return
}

func (c *lcfg) mergeMode() (string, error) {
	v := c.o.Get("merge_mode")
	if v != nil && v.Kind == jsonx.Null {
		return "", nil
	}
	m, err := c.str("merge_mode", "concat")
	if err != nil {
		return "", err
	}
	switch m {
	case "concat", "sum", "mul", "ave":
		return m, nil
	}
	return "", c.badf("unknown merge_mode %q", m)
}

var bidirectionalLayer = &layerKind{
	nIn: -2,
	nOut: func(c *lcfg) (int, error) {
		k, lc, err := c.bidiLayers()
		if err != nil {
			return 0, err
		}
		mode, err := c.mergeMode()
		if err != nil {
			return 0, err
		}
		n, err := k[0].outputs(lc[0])
		if err != nil {
			return 0, err
		}
		outs := 1 + 2*(n-1)
		if mode == "" {
			outs++
		}
		return outs, nil
	},
	multi: func(c *lcfg, in []Shape) ([]Shape, error) {
		k, lc, err := c.bidiLayers()
		if err != nil {
			return nil, err
		}
		mode, err := c.mergeMode()
		if err != nil {
			return nil, err
		}
		var res [2][]Shape
		for i := range k {
			if res[i], err = k[i].run(lc[i], in[:1]); err != nil {
				return nil, err
			}
		}
		if len(res[0]) != len(res[1]) {
			return nil, c.errf("the forward and backward layers return different numbers of tensors")
		}
		f, b := res[0][0], res[1][0]
		if c.d == Keras3 {
			b = f // Keras 3 computes the merged shape from the forward layer alone
		}
		var outs []Shape
		switch mode {
		case "":
			outs = []Shape{f, b}
		case "concat":
			o, err := c.concat([]Shape{f, b}, -1)
			if err != nil {
				return nil, err
			}
			outs = []Shape{o}
		default:
			if !f.Equal(b) {
				return nil, c.errf("the forward and backward outputs %s and %s differ", f, b)
			}
			outs = []Shape{f}
		}
		outs = append(outs, res[0][1:]...)
		return append(outs, res[1][1:]...), nil
	},
	weights: func(c *lcfg, in []Shape) ([]WeightSpec, error) {
		k, lc, err := c.bidiLayers()
		if err != nil {
			return nil, err
		}
		var ws []WeightSpec
		for i := range k {
			if k[i].weights == nil {
				continue
			}
			sub, err := k[i].weights(lc[i], in[:1])
			if err != nil {
				return nil, err
			}
			ws = append(ws, sub...)
		}
		return ws, nil
	},
}

// stepShape is a TimeDistributed input without its time axis.
func (c *lcfg) stepShape(s Shape) (Shape, error) {
	if s == nil {
		return nil, nil
	}
	if err := c.minRank(s, 3); err != nil {
		return nil, err
	}
	return append(Shape{s[0]}, s[2:]...), nil
}

var timeDistributedLayer = &layerKind{
	nIn: 1,
	multi: func(c *lcfg, in []Shape) ([]Shape, error) {
		k, lc, err := c.inner("layer")
		if err != nil {
			return nil, err
		}
		x, err := c.stepShape(in[0])
		if err != nil {
			return nil, err
		}
		if err := lc.checkInputs(k, []Shape{x}); err != nil {
			return nil, err
		}
		outs, err := k.run(lc, []Shape{x})
		if err != nil {
			return nil, err
		}
		for i, o := range outs {
			if len(o) == 0 {
				return nil, c.errf("the wrapped layer returns a scalar")
			}
			outs[i] = append(Shape{in[0][0], in[0][1]}, o[1:]...)
		}
		return outs, nil
	},
	nOut: func(c *lcfg) (int, error) {
		k, lc, err := c.inner("layer")
		if err != nil {
			return 0, err
		}
		return k.outputs(lc)
	},
	weights: func(c *lcfg, in []Shape) ([]WeightSpec, error) {
		k, lc, err := c.inner("layer")
		if err != nil || k.weights == nil {
			return nil, err
		}
		x, err := c.stepShape(in[0])
		if err != nil {
			return nil, err
		}
		return k.weights(lc, []Shape{x})
	},
}

func init() {
	for name, cell := range rnnCells {
		register(rnnLayer(cell), name)
	}
	register(convLSTMLayer(1), "ConvLSTM1D")
	register(convLSTMLayer(2), "ConvLSTM2D")
	register(convLSTMLayer(3), "ConvLSTM3D")
	register(bidirectionalLayer, "Bidirectional")
	register(timeDistributedLayer, "TimeDistributed")
}
