// Per-layer shape inference and weight specs: what Keras computes when it
// calls or builds one layer, reproduced from the layer's config alone.
//
// Covered layer classes:
//   - input: InputLayer
//   - core: Dense, Embedding, Identity, Masking, Activation, Rescaling, Normalization,
//     CenterCrop, Resizing, Lambda (only with a list output_shape in its config)
//   - TensorFlow and Keras 3 ops: TFOpLambda, SlicingOpLambda (tf-keras), the
//     keras.ops operations Keras 3 saves as layers (layers_tfop.go)
//   - recurrent: LSTM, GRU, SimpleRNN, CuDNNLSTM, CuDNNGRU, ConvLSTM1D/2D/3D,
//     Bidirectional, TimeDistributed
//   - attention: MultiHeadAttention, Attention, AdditiveAttention
//   - Keras 1 configs, read as Keras 2.0's legacy interfaces read them (layers_keras1.go)
//   - convolution: Conv1D, Conv2D, Conv3D, Conv1DTranspose, Conv2DTranspose,
//     Conv3DTranspose, DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D
//   - pooling: MaxPooling1D/2D/3D, AveragePooling1D/2D/3D, GlobalAveragePooling1D/2D/3D,
//     GlobalMaxPooling1D/2D/3D (and their MaxPool/AvgPool aliases)
//   - reshaping: Flatten, Reshape, Permute, RepeatVector, ZeroPadding1D/2D/3D,
//     Cropping1D/2D/3D, UpSampling1D/2D/3D
//   - merging: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot
//   - normalization: BatchNormalization, LayerNormalization, GroupNormalization,
//     UnitNormalization
//   - activations: ReLU, LeakyReLU, PReLU, ELU, ThresholdedReLU, Softmax
//   - regularization: Dropout, SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout,
//     AlphaDropout, ActivityRegularization
//   - keras.applications helpers: LayerScale, StochasticDepth (ConvNeXt),
//     CustomScaleLayer (InceptionResNetV2)
//
// Any other class (custom layers, nested models) gives ErrUnknownLayer. (This comment is detached from the package clause on
// purpose: model.go holds the package doc.)

package model

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// ErrUnknownLayer: the class (or a config it needs) is not understood; the
// caller shows the shape as unknown.
var ErrUnknownLayer = errors.New("unknown layer class")

// ShapeError: the layer cannot be applied to these input shapes (window
// larger than input, dimension <= 0, Reshape target that does not fit,
// incompatible merge shapes, wrong rank, overflow...). Layer is filled by
// the caller.
type ShapeError struct{ Layer, Class, Msg string }

func (e *ShapeError) Error() string {
	switch {
	case e.Layer != "" && e.Class != "":
		return fmt.Sprintf("layer %q (%s): %s", e.Layer, e.Class, e.Msg)
	case e.Layer != "":
		return fmt.Sprintf("layer %q: %s", e.Layer, e.Msg)
	case e.Class != "":
		return e.Class + ": " + e.Msg
	}
	return e.Msg
}

// configError is a config value modelsurg does not understand (a missing
// key, a wrong type, an unknown mode). It matches ErrUnknownLayer.
type configError struct{ class, msg string }

func (e *configError) Error() string {
	return fmt.Sprintf("%s: %s: %s", ErrUnknownLayer, e.class, e.msg)
}
func (e *configError) Unwrap() error { return ErrUnknownLayer }

// WeightSpec is one weight a built layer holds. Shape has no batch dim; it
// is nil when it depends on an input whose shape is unknown.
type WeightSpec struct {
	Name      string
	Shape     Shape
	Trainable bool
}

// maxSize caps every dimension and every product of dimensions: beyond it
// float64 (Python's shape arithmetic in numpy, JSON readers) loses integers.
const maxSize = 1 << 53

// layerKind is how one class computes shapes and weights. infer (or
// multi) only sees known input shapes; weights may see nil shapes (then
// input-dependent weight shapes are nil).
type layerKind struct {
	// nIn is the number of inputs: 1, 2 (exactly), 0 (InputLayer), -1 (one
	// or more) or -2 (one or more; only the first counts, e.g. an RNN's
	// initial states).
	nIn   int
	infer func(c *lcfg, in []Shape) (Shape, error)
	// multi replaces infer for classes whose calls may return several
	// tensors; nOut then gives their number, also for unknown inputs.
	multi   func(c *lcfg, in []Shape) ([]Shape, error)
	nOut    func(c *lcfg) (int, error)
	weights func(c *lcfg, in []Shape) ([]WeightSpec, error)
}

// run computes the output shapes of a call on known inputs.
func (k *layerKind) run(c *lcfg, in []Shape) ([]Shape, error) {
	if k.multi != nil {
		return k.multi(c, in)
	}
	out, err := k.infer(c, in)
	if err != nil {
		return nil, err
	}
	return []Shape{out}, nil
}

// outputs is the number of tensors a call returns.
func (k *layerKind) outputs(c *lcfg) (int, error) {
	if k.nOut == nil {
		return 1, nil
	}
	return k.nOut(c)
}

// prepare finds the layer kind and checks the inputs it is called on.
func prepare(class string, cfg *jsonx.Obj, in []Shape, kw *jsonx.Obj, d Dialect) (*layerKind, *lcfg, []Shape, error) {
	k, c, err := lookup(class, cfg, d)
	if err != nil {
		return nil, nil, nil, err
	}
	c.kw = kw
	if k.nIn == 0 {
		in = nil
	}
	if err := c.checkInputs(k, in); err != nil {
		return nil, nil, nil, err
	}
	return k, c, in, nil
}

// InferLayer returns the output shapes (batch dim included) of one call of
// a layer, given the shapes of its flattened input tensors in call order.
// Unknown inputs (nil Shape) give unknown outputs (nil), never a guess.
func InferLayer(class string, cfg *jsonx.Obj, in []Shape, d Dialect) ([]Shape, error) {
	return InferCall(class, cfg, in, nil, d)
}

// InferCall is InferLayer for one call of a layer: kw holds the call's
// keyword arguments as its node wrote them (nil for none), which can change
// what the layer returns, e.g. MultiHeadAttention(return_attention_scores=True).
// in holds every tensor the call reads: positional ones first, then those
// passed as keywords (in the order written in Keras 2, sorted in Keras 3;
// see Node.In).
func InferCall(class string, cfg *jsonx.Obj, in []Shape, kw *jsonx.Obj, d Dialect) ([]Shape, error) {
	k, c, in, err := prepare(class, cfg, in, kw, d)
	if err != nil {
		return nil, err
	}
	for _, s := range in {
		if s == nil {
			n, err := k.outputs(c)
			if err != nil {
				return nil, err
			}
			return make([]Shape, n), nil
		}
	}
	out, err := k.run(c, in)
	if err != nil {
		return nil, err
	}
	for _, s := range out {
		if err := c.checkShape(s, "output"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// LayerWeights returns the weights Keras creates when it builds this layer
// on inputs in, in the order Keras stores them (trainable ones in creation
// order, then non-trainable ones), with Keras's names for this dialect.
// Trainable is the class's own notion; the caller applies the layer's
// "trainable": false. When every input is known, an input the layer cannot
// be applied to gives the same error as InferLayer.
func LayerWeights(class string, cfg *jsonx.Obj, in []Shape, d Dialect) ([]WeightSpec, error) {
	return CallWeights(class, cfg, in, nil, d)
}

// CallWeights is LayerWeights for the call that builds the layer, with its
// keyword arguments kw and its tensors in as InferCall takes them (which
// tensor is MultiHeadAttention's key and which its value).
func CallWeights(class string, cfg *jsonx.Obj, in []Shape, kw *jsonx.Obj, d Dialect) ([]WeightSpec, error) {
	k, c, in, err := prepare(class, cfg, in, kw, d)
	if err != nil {
		return nil, err
	}
	if k.weights == nil {
		return nil, nil // shapes need not be known, e.g. a TF op without its kwargs
	}
	known := true
	for _, s := range in {
		known = known && s != nil
	}
	if known {
		if _, err := k.run(c, in); err != nil {
			return nil, err
		}
	}
	ws, err := k.weights(c, in)
	if err != nil {
		return nil, err
	}
	if c.k1 {
		ws = keras1Weights(c, ws)
	}
	// Trainable weights first, each group in creation order.
	out := make([]WeightSpec, 0, len(ws))
	for _, w := range ws {
		if w.Trainable {
			out = append(out, w)
		}
	}
	for _, w := range ws {
		if !w.Trainable {
			out = append(out, w)
		}
	}
	total := 0
	for _, w := range out {
		if w.Shape == nil {
			continue
		}
		if err := c.checkShape(w.Shape, "weight "+w.Name); err != nil {
			return nil, err
		}
		n, err := c.prod(w.Shape...)
		if err != nil {
			return nil, err
		}
		if total, err = c.add(total, n); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func lookup(class string, cfg *jsonx.Obj, d Dialect) (*layerKind, *lcfg, error) {
	c := &lcfg{o: cfg, class: class, d: d}
	// Keras 1 configs use other keys (border_mode, dim_ordering "th", ...):
	// they are read as Keras 2.0 converted them.
	if isKeras1(class, cfg) {
		k2class, k2cfg, err := c.fromKeras1()
		if err != nil {
			return nil, nil, err
		}
		c.o, c.k1, c.k1class = k2cfg, true, class
		class = k2class
	}
	k := layerKinds[class]
	if k == nil {
		return nil, nil, fmt.Errorf("%w: %q", ErrUnknownLayer, class)
	}
	return k, c, nil
}

// checkInputs validates the number of inputs and every known input shape.
func (c *lcfg) checkInputs(k *layerKind, in []Shape) error {
	switch {
	case k.nIn == 0:
		// InputLayer: inputs are ignored.
	case k.nIn < 0 && len(in) == 0:
		return c.errf("expects at least 1 input, got none")
	case k.nIn > 0 && len(in) != k.nIn:
		return c.errf("expects %d input%s, got %d", k.nIn, plural(k.nIn), len(in))
	}
	for i, s := range in {
		if err := c.checkShape(s, fmt.Sprintf("input %d", i)); err != nil {
			return err
		}
	}
	return nil
}

// checkShape rejects sizes other than None and 0..maxSize.
func (c *lcfg) checkShape(s Shape, what string) error {
	for _, d := range s {
		if d != None && (d < 0 || d > maxSize) {
			return c.errf("%s %s has an invalid dimension %d", what, s, d)
		}
	}
	return nil
}

// tupleString prints config integers as Python prints a tuple.
func tupleString(v []int) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = strconv.Itoa(x)
	}
	if len(v) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// lcfg reads one layer config.
type lcfg struct {
	o     *jsonx.Obj
	class string
	d     Dialect
	kw    *jsonx.Obj // the call's keyword arguments, nil for none
	// k1 marks a Keras 1 config, translated; k1class is its class name.
	k1      bool
	k1class string
}

func (c *lcfg) errf(format string, args ...any) error {
	return &ShapeError{Class: c.class, Msg: fmt.Sprintf(format, args...)}
}

func (c *lcfg) badf(format string, args ...any) error {
	return &configError{class: c.class, msg: fmt.Sprintf(format, args...)}
}

// w builds a WeightSpec. A dimension that is not known (None, or a
// negative size from a hostile config) leaves the shape unknown.
func w(name string, trainable bool, dims ...int) WeightSpec {
	for _, d := range dims {
		if d < 0 {
			return wUnknown(name, trainable)
		}
	}
	return WeightSpec{Name: name, Shape: Shape(dims), Trainable: trainable}
}

// last is a shape's last dimension, None when the shape is unknown or has
// rank 0 (a partly known call reaches weights without its shapes checked).
func last(s Shape) int {
	if len(s) == 0 {
		return None
	}
	return s[len(s)-1]
}

// wUnknown builds a WeightSpec whose shape depends on an unknown input.
func wUnknown(name string, trainable bool) WeightSpec {
	return WeightSpec{Name: name, Trainable: trainable}
}

// layerKinds maps a config class_name to its rules.
var layerKinds = map[string]*layerKind{}

func register(k *layerKind, names ...string) {
	for _, n := range names {
		layerKinds[n] = k
	}
}

// layerClasses returns the class names InferLayer and LayerWeights know, sorted.
func layerClasses() []string {
	out := make([]string, 0, len(layerKinds))
	for n := range layerKinds {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
