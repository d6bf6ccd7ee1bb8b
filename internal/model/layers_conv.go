package model

import "github.com/modelsurg/modelsurg/internal/jsonx"

// Convolution, pooling, padding, cropping and upsampling layers: the
// layers that walk a window over the spatial axes.

type convKind int

const (
	convPlain convKind = iota
	convTranspose
	convDepthwise
	convSeparable
)

// convParams is a convolution config, read and validated as the Keras
// constructors do.
type convParams struct {
	cf                        bool
	kernel, strides, dilation []int
	outPad                    []int // transposed convolutions; nil = inferred
	padding                   string
	filters, groups, mult     int
	useBias                   bool
	kind                      convKind
	rank                      int
}

func (c *lcfg) conv(r int, kind convKind) (*convParams, error) {
	p := &convParams{kind: kind, rank: r}
	var err error
	if p.cf, err = c.channelsFirst(); err != nil {
		return nil, err
	}
	if kind != convDepthwise {
		if p.filters, err = c.positive("filters"); err != nil {
			return nil, err
		}
	}
	if p.kernel, err = c.tuple("kernel_size", r, 0); err != nil {
		return nil, err
	}
	if p.strides, err = c.tuple("strides", r, 1); err != nil {
		return nil, err
	}
	if p.dilation, err = c.tuple("dilation_rate", r, 1); err != nil {
		return nil, err
	}
	causal := r == 1 && (kind == convPlain || (kind == convSeparable && c.d == Keras2))
	if p.padding, err = c.padding(causal); err != nil {
		return nil, err
	}
	if p.groups, err = c.integer("groups", 1); err != nil {
		return nil, err
	}
	if p.groups <= 0 {
		return nil, c.errf("groups must be positive, got %d", p.groups)
	}
	if kind == convPlain && p.filters%p.groups != 0 {
		return nil, c.errf("filters (%d) must be divisible by groups (%d)", p.filters, p.groups)
	}
	if kind == convDepthwise || kind == convSeparable {
		if p.mult, err = c.integer("depth_multiplier", 1); err != nil {
			return nil, err
		}
		if p.mult <= 0 {
			return nil, c.errf("depth_multiplier must be positive, got %d", p.mult)
		}
	}
	if p.useBias, err = c.boolean("use_bias", true); err != nil {
		return nil, err
	}
	strided, dilated := false, false
	for i := range p.strides {
		strided = strided || p.strides[i] > 1
		dilated = dilated || p.dilation[i] > 1
	}
	// Keras 3's depthwise and separable convolutions allow both.
	if strided && dilated && (c.d == Keras2 || kind == convPlain || kind == convTranspose) {
		return nil, c.errf("strides > 1 are not supported together with dilation_rate > 1")
	}
	if kind == convTranspose {
		op, ok, err := c.ints("output_padding")
		if err != nil {
			return nil, err
		}
		if ok {
			if len(op) == 1 && r > 1 {
				op = []int{op[0], op[0], op[0]}[:r]
			}
			if len(op) != r {
				return nil, c.errf("output_padding must have %d values, got %d", r, len(op))
			}
			for i, v := range op {
				if v < 0 || v >= p.strides[i] {
					return nil, c.errf("output_padding %s must be >= 0 and less than strides %s", tupleString(op), tupleString(p.strides))
				}
			}
			p.outPad = op
		}
	}
	return p, nil
}

// channelAxis is the index of the channel dimension in a rank-r conv input.
func channelAxis(cf bool, r int) int {
	if cf {
		return 1
	}
	return r + 1
}

// spatialStart is the index of the first spatial dimension.
func spatialStart(cf bool) int {
	if cf {
		return 2
	}
	return 1
}

// convAxes checks the input rank and returns the channel axis and the first
// spatial axis. tf-keras's Conv1D/2D/3D accept extra leading axes, which
// act as batch axes; every other case wants exactly r+2 axes.
func (c *lcfg) convAxes(p *convParams, s Shape) (ca, sp int, err error) {
	r := p.rank
	if c.d == Keras2 && p.kind == convPlain {
		err = c.minRank(s, r+2)
	} else {
		err = c.rank(s, r+2)
	}
	if err != nil {
		return 0, 0, err
	}
	if p.cf {
		return len(s) - r - 1, len(s) - r, nil
	}
	return len(s) - 1, len(s) - r - 1, nil
}

// dilatedKernel is (k-1)*d + 1.
func (c *lcfg) dilatedKernel(k, d int) (int, error) {
	m, err := c.mul(k-1, d)
	if err != nil {
		return 0, err
	}
	return c.add(m, 1)
}

// windowOut is the output length of a window of size k (already dilated)
// with stride s over n; n is known.
func (c *lcfg) windowOut(n, k, s int, padding string, in Shape) (int, error) {
	if n == 0 {
		return 0, c.errf("input %s has a zero-sized dimension", in)
	}
	if padding == "valid" {
		if n < k {
			return 0, c.errf("window of size %d does not fit in input %s", k, in)
		}
		return (n-k)/s + 1, nil
	}
	return (n-1)/s + 1, nil
}

// transposeOut is the output length of a transposed convolution.
func (c *lcfg) transposeOut(n, k, s int, padding string, outPad []int, i int, in Shape) (int, error) {
	if n == 0 {
		return 0, c.errf("input %s has a zero-sized dimension", in)
	}
	base, err := c.mul(n-1, s)
	if err != nil {
		return 0, err
	}
	var extra int
	switch {
	case outPad == nil && padding == "valid":
		extra = max(k, s)
	case outPad == nil:
		extra = s
	case padding == "valid":
		if extra, err = c.add(k, outPad[i]); err != nil {
			return 0, err
		}
	default:
		extra = k%2 + outPad[i]
	}
	out, err := c.add(base, extra)
	if err != nil {
		return 0, err
	}
	if out <= 0 {
		return 0, c.errf("output size would be zero for input %s", in)
	}
	return out, nil
}

func (c *lcfg) inferConv(p *convParams, s Shape) (Shape, error) {
	r := p.rank
	ca, sp, err := c.convAxes(p, s)
	if err != nil {
		return nil, err
	}
	cin, err := c.known(s[ca], "channel dimension", s)
	if err != nil {
		return nil, err
	}
	if cin == 0 {
		return nil, c.errf("input %s has no channels", s)
	}
	if p.kind == convPlain && cin%p.groups != 0 {
		return nil, c.errf("input channels (%d) must be divisible by groups (%d)", cin, p.groups)
	}
	out := s.Clone()
	for i := 0; i < r; i++ {
		n := s[sp+i]
		if n == None {
			continue
		}
		k, err := c.dilatedKernel(p.kernel[i], p.dilation[i])
		if err != nil {
			return nil, err
		}
		if p.kind == convTranspose {
			out[sp+i], err = c.transposeOut(n, k, p.strides[i], p.padding, p.outPad, i, s)
		} else {
			out[sp+i], err = c.windowOut(n, k, p.strides[i], p.padding, s)
		}
		if err != nil {
			return nil, err
		}
	}
	switch p.kind {
	case convDepthwise:
		if out[ca], err = c.mul(cin, p.mult); err != nil {
			return nil, err
		}
	default:
		out[ca] = p.filters
	}
	return out, nil
}

func (c *lcfg) convWeights(p *convParams, s Shape) ([]WeightSpec, error) {
	if err := c.noExtraWeights(); err != nil {
		return nil, err
	}
	cin := None
	if s != nil {
		ca, _, err := c.convAxes(p, s)
		if err != nil {
			return nil, err
		}
		cin = s[ca]
	}
	kernel := func(name string, last ...int) WeightSpec {
		if cin == None {
			return wUnknown(name, true)
		}
		return w(name, true, append(append([]int{}, p.kernel...), last...)...)
	}
	var ws []WeightSpec
	biasLen := p.filters
	switch p.kind {
	case convPlain:
		ws = append(ws, kernel("kernel", cin/p.groups, p.filters))
	case convTranspose:
		ws = append(ws, kernel("kernel", p.filters, cin))
	case convDepthwise:
		name := "depthwise_kernel"
		if c.d == Keras3 {
			name = "kernel"
		}
		ws = append(ws, kernel(name, cin, p.mult))
		biasLen = None
		if cin != None {
			var err error
			if biasLen, err = c.mul(cin, p.mult); err != nil {
				return nil, err
			}
		}
	case convSeparable:
		ws = append(ws, kernel("depthwise_kernel", cin, p.mult))
		if cin == None {
			ws = append(ws, wUnknown("pointwise_kernel", true))
		} else {
			cm, err := c.mul(cin, p.mult)
			if err != nil {
				return nil, err
			}
			pk := make([]int, 0, p.rank+2)
			for range p.rank {
				pk = append(pk, 1)
			}
			ws = append(ws, w("pointwise_kernel", true, append(pk, cm, p.filters)...))
		}
	}
	if p.useBias {
		if biasLen == None {
			ws = append(ws, wUnknown("bias", true))
		} else {
			ws = append(ws, w("bias", true, biasLen))
		}
	}
	return ws, nil
}

func convLayer(r int, kind convKind) *layerKind {
	return &layerKind{
		nIn: 1,
		infer: func(c *lcfg, in []Shape) (Shape, error) {
			p, err := c.conv(r, kind)
			if err != nil {
				return nil, err
			}
			return c.inferConv(p, in[0])
		},
		weights: func(c *lcfg, in []Shape) ([]WeightSpec, error) {
			p, err := c.conv(r, kind)
			if err != nil {
				return nil, err
			}
			return c.convWeights(p, in[0])
		},
	}
}

func poolLayer(r int) *layerKind {
	return &layerKind{nIn: 1, infer: func(c *lcfg, in []Shape) (Shape, error) {
		cf, err := c.channelsFirst()
		if err != nil {
			return nil, err
		}
		pool, err := c.tuple("pool_size", r, 2)
		if err != nil {
			return nil, err
		}
		strides := pool
		if v, ok, err := c.ints("strides"); err != nil {
			return nil, err
		} else if ok && len(v) > 0 {
			if strides, err = c.tuple("strides", r, 1); err != nil {
				return nil, err
			}
		}
		padding, err := c.padding(false)
		if err != nil {
			return nil, err
		}
		s := in[0]
		if err := c.rank(s, r+2); err != nil {
			return nil, err
		}
		out, sp := s.Clone(), spatialStart(cf)
		for i := 0; i < r; i++ {
			if n := s[sp+i]; n != None {
				if out[sp+i], err = c.windowOut(n, pool[i], strides[i], padding, s); err != nil {
					return nil, err
				}
			}
		}
		return out, nil
	}}
}

func globalPoolLayer(r int) *layerKind {
	return &layerKind{nIn: 1, infer: func(c *lcfg, in []Shape) (Shape, error) {
		cf, err := c.channelsFirst()
		if err != nil {
			return nil, err
		}
		keep, err := c.boolean("keepdims", false)
		if err != nil {
			return nil, err
		}
		s := in[0]
		if err := c.rank(s, r+2); err != nil {
			return nil, err
		}
		ch := s[channelAxis(cf, r)]
		if !keep {
			return Shape{s[0], ch}, nil
		}
		out, sp := s.Clone(), spatialStart(cf)
		for i := 0; i < r; i++ {
			out[sp+i] = 1
		}
		return out, nil
	}}
}

// padPairs reads a ZeroPadding/Cropping amount for r spatial axes: an
// integer, one integer per axis (both sides), or one (before, after) pair
// per axis; for r == 1 a flat pair is (before, after).
func (c *lcfg) padPairs(key string, r, def int) ([][2]int, error) {
	v := c.o.Get(key)
	out := make([][2]int, r)
	set := func(i, a, b int) error {
		if a < 0 || b < 0 {
			return c.errf("%s must not be negative", key)
		}
		out[i] = [2]int{a, b}
		return nil
	}
	switch {
	case v.IsNull():
		for i := range out {
			out[i] = [2]int{def, def}
		}
		return out, nil
	case v.Kind == jsonx.Number:
		n, err := c.number(key, v)
		if err != nil {
			return nil, err
		}
		for i := range out {
			if err := set(i, n, n); err != nil {
				return nil, err
			}
		}
		return out, nil
	case v.Kind != jsonx.Array:
		return nil, c.badf("config %q is not an integer or a list", key)
	}
	if r == 1 {
		vals, _, err := c.ints(key)
		if err != nil {
			return nil, err
		}
		if len(vals) != 2 {
			return nil, c.errf("%s must have 2 values, got %d", key, len(vals))
		}
		return out, set(0, vals[0], vals[1])
	}
	if len(v.Elems) != r {
		return nil, c.errf("%s must have %d entries, got %d", key, r, len(v.Elems))
	}
	for i, e := range v.Elems {
		if e != nil && e.Kind == jsonx.Number {
			n, err := c.number(key, e)
			if err != nil {
				return nil, err
			}
			if err := set(i, n, n); err != nil {
				return nil, err
			}
			continue
		}
		if e == nil || e.Kind != jsonx.Array || len(e.Elems) != 2 {
			return nil, c.badf("config %q entry %d is not an integer or a pair", key, i)
		}
		a, err := c.number(key, e.Elems[0])
		if err != nil {
			return nil, err
		}
		b, err := c.number(key, e.Elems[1])
		if err != nil {
			return nil, err
		}
		if err := set(i, a, b); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// spatialLayer builds a layer that changes each spatial size n into f(n).
func spatialLayer(r int, f func(c *lcfg) (func(i, n int, s Shape) (int, error), error)) *layerKind {
	return &layerKind{nIn: 1, infer: func(c *lcfg, in []Shape) (Shape, error) {
		cf, err := c.channelsFirst()
		if err != nil {
			return nil, err
		}
		g, err := f(c)
		if err != nil {
			return nil, err
		}
		s := in[0]
		if err := c.rank(s, r+2); err != nil {
			return nil, err
		}
		out, sp := s.Clone(), spatialStart(cf)
		for i := 0; i < r; i++ {
			if n := s[sp+i]; n != None {
				if out[sp+i], err = g(i, n, s); err != nil {
					return nil, err
				}
			}
		}
		return out, nil
	}}
}

func zeroPaddingLayer(r int) *layerKind {
	return spatialLayer(r, func(c *lcfg) (func(i, n int, s Shape) (int, error), error) {
		pads, err := c.padPairs("padding", r, 1)
		if err != nil {
			return nil, err
		}
		return func(i, n int, s Shape) (int, error) {
			t, err := c.add(pads[i][0], pads[i][1])
			if err != nil {
				return 0, err
			}
			return c.add(n, t)
		}, nil
	})
}

func croppingLayer(r int) *layerKind {
	return spatialLayer(r, func(c *lcfg) (func(i, n int, s Shape) (int, error), error) {
		crops, err := c.padPairs("cropping", r, 0)
		if err != nil {
			return nil, err
		}
		return func(i, n int, s Shape) (int, error) {
			t, err := c.add(crops[i][0], crops[i][1])
			if err != nil {
				return 0, err
			}
			if t >= n {
				return 0, c.errf("cropping (%d, %d) leaves nothing of input %s", crops[i][0], crops[i][1], s)
			}
			return n - t, nil
		}, nil
	})
}

func upSamplingLayer(r int) *layerKind {
	k := spatialLayer(r, func(c *lcfg) (func(i, n int, s Shape) (int, error), error) {
		size, err := c.tuple("size", r, 2)
		if err != nil {
			return nil, err
		}
		return func(i, n int, s Shape) (int, error) { return c.mul(n, size[i]) }, nil
	})
	if r != 2 {
		return k
	}
	// tf-keras's UpSampling2D resizes to a computed size: one unknown
	// spatial size makes both unknown.
	infer := k.infer
	k.infer = func(c *lcfg, in []Shape) (Shape, error) {
		out, err := infer(c, in)
		if err != nil || c.d != Keras2 {
			return out, err
		}
		cf, _ := c.channelsFirst()
		sp := spatialStart(cf)
		if out[sp] == None || out[sp+1] == None {
			out[sp], out[sp+1] = None, None
		}
		return out, nil
	}
	return k
}

func init() {
	for r := 1; r <= 3; r++ {
		d := string(rune('0' + r))
		register(convLayer(r, convPlain), "Conv"+d+"D", "Convolution"+d+"D")
		register(convLayer(r, convTranspose), "Conv"+d+"DTranspose", "Convolution"+d+"DTranspose")
		register(poolLayer(r), "MaxPooling"+d+"D", "MaxPool"+d+"D", "AveragePooling"+d+"D", "AvgPool"+d+"D")
		register(globalPoolLayer(r), "GlobalMaxPooling"+d+"D", "GlobalMaxPool"+d+"D",
			"GlobalAveragePooling"+d+"D", "GlobalAvgPool"+d+"D")
		register(zeroPaddingLayer(r), "ZeroPadding"+d+"D")
		register(croppingLayer(r), "Cropping"+d+"D")
		register(upSamplingLayer(r), "UpSampling"+d+"D")
	}
	for r := 1; r <= 2; r++ {
		d := string(rune('0' + r))
		register(convLayer(r, convDepthwise), "DepthwiseConv"+d+"D")
		register(convLayer(r, convSeparable), "SeparableConv"+d+"D", "SeparableConvolution"+d+"D")
	}
}
